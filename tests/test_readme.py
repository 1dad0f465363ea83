"""The README's Quick start commands are the ones CI runs; the manifest asks only for justified scopes."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    section = ROOT.joinpath("README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_the_quick_start_has_exactly_two_commands_and_ci_runs_both():
    commands = quick_start_commands()
    assert len(commands) == 2
    ci = ROOT.joinpath(".ci/run").read_text()
    for command in commands:
        assert command in ci


def manifest() -> dict:
    return yaml.safe_load(ROOT.joinpath("manifest.yml").read_text())


def test_every_bot_scope_in_the_manifest_is_justified_in_the_readme():
    scopes = manifest()["oauth_config"]["scopes"]["bot"]
    assert scopes == ["commands", "chat:write", "usergroups:read", "im:write", "im:history", "files:write"]
    readme = ROOT.joinpath("README.md").read_text()
    for scope in scopes:
        assert f"| `{scope}` |" in readme


def test_the_manifest_declares_the_command_the_home_tab_interactivity_and_socket_mode():
    app = manifest()
    assert [command["command"] for command in app["features"]["slash_commands"]] == ["/panel"]
    assert app["features"]["app_home"]["home_tab_enabled"] is True
    assert app["settings"]["interactivity"]["is_enabled"] is True
    assert app["settings"]["socket_mode_enabled"] is True
    assert "app_home_opened" in app["settings"]["event_subscriptions"]["bot_events"]


def test_the_manifest_shortcut_is_the_one_the_app_listens_for():
    from messages.slack.ids import Callback

    shortcuts = manifest()["features"]["shortcuts"]
    assert [shortcut["callback_id"] for shortcut in shortcuts] == [Callback.SUBMIT_SHORTCUT]
