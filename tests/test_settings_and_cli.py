"""Start-up: a missing or malformed setting stops it with one line naming the setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ConfigError
from bot.policy import default_policy_path
from bot.settings import load_settings
from tests.conftest import SIGNING_SECRET, TEST_AUDIT_KEY

SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL",
            "PANELBOT_POLICY", "PORT", "LOG_LEVEL", "LOG_FORMAT", "PANELBOT_AUDIT_KEY", "DATABASE_MIGRATION_URL")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No panelbot settings in the environment, and a working directory with no .env."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def run_panelbot(*args, env=None, timeout=60):
    """`panelbot …` as a council's IT officer would run it, in a separate process."""
    base = {key: value for key, value in os.environ.items() if key not in SETTINGS}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          env={**base, **(env or {})}, timeout=timeout, check=False)


def test_the_defaults_are_a_sqlite_file_slacks_own_api_and_port_3000(clean_env):
    settings = load_settings()
    assert settings.database_url == "sqlite:///panelbot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000


def test_settings_are_read_from_a_dot_env_file(clean_env, tmp_path):
    (tmp_path / ".env").write_text("SLACK_API_URL=https://slack-gov.com/api\nPORT=8080\n")
    settings = load_settings()
    assert settings.slack_api_url == "https://slack-gov.com/api/"
    assert settings.port == 8080


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SLACK_SIGNING_SECRET", "   ", "SLACK_SIGNING_SECRET is set but empty"),
        ("SLACK_SIGNING_SECRET", "", "SLACK_SIGNING_SECRET is set but empty"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN must start with xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind", "SLACK_APP_TOKEN must start with xapp-"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL must be an http(s) URL"),
        ("DATABASE_URL", "mysql://db/panel", "DATABASE_URL must be a sqlite:// or postgresql:// URL"),
        ("DATABASE_URL", "not a url", "DATABASE_URL is not a database URL"),
        ("PORT", "eighty", "PORT "),
        ("PORT", "70000", "PORT "),
        ("PANELBOT_POLICY", "/nowhere/policy.toml", "PANELBOT_POLICY no such file"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT "),
    ],
)
def test_a_malformed_setting_is_named_with_how_to_fix_it(clean_env, name, value, says):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(says)
    assert "set it to" in message
    assert "\n" not in message


def test_a_heroku_style_postgres_url_is_accepted(clean_env):
    clean_env.setenv("DATABASE_URL", "postgres://panel@db.example/panelbot")
    assert load_settings().database_url == "postgresql+psycopg://panel@db.example/panelbot"


def test_run_without_tokens_explains_the_manifest_and_the_demo(clean_env, capsys):
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN not set" in err
    assert "manifest.yml" in err
    assert "panelbot demo" in err


def test_run_names_only_what_is_missing(clean_env, capsys):
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    clean_env.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    assert main(["run"]) == 2
    assert "SLACK_APP_TOKEN not set" in capsys.readouterr().err


def test_serve_with_a_blank_signing_secret_stops_with_one_line_and_no_traceback(tmp_path):
    result = run_panelbot("serve", env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": " ",
                                        "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "panelbot: SLACK_SIGNING_SECRET is set but empty: set it to the Signing Secret from your Slack app's "
        "Basic Information page"
    ]


def test_serve_without_a_signing_secret_says_which_setting_is_missing(tmp_path):
    result = run_panelbot("serve", env={"SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "missing setting(s): SLACK_SIGNING_SECRET" in result.stderr


def test_db_upgrade_then_current_reports_an_up_to_date_schema(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    upgraded = run_panelbot("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    current = run_panelbot("db", "current", env=env)
    assert "(up to date)" in current.stdout


def test_an_unreachable_database_is_one_line_not_a_traceback():
    result = run_panelbot("worker", "--once", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
                                                   "PANELBOT_AUDIT_KEY": TEST_AUDIT_KEY})
    assert result.returncode == 2
    assert result.stderr.startswith("panelbot: DATABASE_URL: cannot connect to")
    assert "Traceback" not in result.stderr


def test_policy_check_validates_the_shipped_policy_and_shows_each_route(capsys):
    assert main(["policy", "check"]) == 0
    out = capsys.readouterr().out
    assert "valid policy for" in out
    for route in ("Enhanced Peer Forum", "SEND Quality Assurance Panel", "delegated sign-off", "urgent"):
        assert route in out


def test_policy_check_on_a_broken_file_gives_the_line_and_the_reason(tmp_path, capsys):
    broken = tmp_path / "policy.toml"
    broken.write_text((Path(default_policy_path())).read_text().replace("slot_minutes = 30", "slot_minute = 30"))
    assert main(["policy", "check", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"panelbot: {broken}: line ")
    assert "slot_minute" in err
    assert "\n" not in err


def test_start_up_stops_on_a_broken_policy_file_with_one_line(tmp_path):
    broken = tmp_path / "policy.toml"
    broken.write_text("[council\n")
    result = run_panelbot("worker", "--once", env={"PANELBOT_POLICY": str(broken),
                                                    "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert result.returncode == 2
    assert result.stderr.startswith(f"panelbot: {broken}: line 1")
    assert "Traceback" not in result.stderr


def test_run_with_all_three_tokens_connects_over_socket_mode_with_the_app_token(clean_env, slack, tmp_path,
                                                                               monkeypatch):
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    started = []
    monkeypatch.setattr(SocketModeHandler, "start", lambda handler: started.append(handler))
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    clean_env.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    clean_env.setenv("SLACK_APP_TOKEN", "xapp-1")
    clean_env.setenv("SLACK_API_URL", slack.api_url)
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/run.db")
    clean_env.setenv("PANELBOT_AUDIT_KEY", TEST_AUDIT_KEY)
    assert main(["run", "--no-worker"]) == 0
    [handler] = started
    assert handler.app_token == "xapp-1"
    assert handler.client.web_client.base_url == slack.api_url
    assert slack.calls_to("auth.test")  # the bot token was checked against SLACK_API_URL


def test_panelbot_teams_package_writes_the_zip_to_upload_and_refuses_a_bad_id(tmp_path, capsys):
    import zipfile

    assert main(["teams", "package", "--app-id", "00000000-0000-4000-8000-0000000000aa",
                 "--host", "panelbot.example.gov.uk", "--out", str(tmp_path)]) == 0
    [package] = tmp_path.glob("*.zip")
    assert sorted(zipfile.ZipFile(package).namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert "Upload an app" in capsys.readouterr().out
    assert main(["teams", "package", "--app-id", "not-a-guid", "--host", "x.example", "--out", str(tmp_path)]) == 2
    assert "app_id is not valid" in capsys.readouterr().err
