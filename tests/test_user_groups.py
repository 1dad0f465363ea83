"""Slack user groups (`handlers.slack.notify.SlackDirectory`, kept by `bot.groups`): who holds a role is
asked before the ack, so Slack is asked about a group once per five minutes, by one caller, and a
group Slack refuses or cannot list costs neither a call per request nor a wait."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

import pytest
from slack_sdk import WebClient

from handlers.slack.notify import SlackDirectory
from handlers.slack.standin.requests import RequestSigner
from handlers.slack.standin.webapi import SlackStandIn
from tests.clocks import Ticks
from tests.conftest import SIGNING_SECRET, TEST_AUDIT_KEY, at_once
from tests.serving import free_port, request, wait_until_healthy

LIST = "usergroups.users.list"


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def directory(client: WebClient, ticks: Ticks) -> SlackDirectory:
    return SlackDirectory(client, clock=ticks)


def test_a_group_is_listed_once_and_kept_five_minutes(slack: SlackStandIn, directory, ticks):
    for _ in range(20):
        assert directory.group_members("S0TEAMMGRS") == {"U0TOMAS"}
    ticks.now += 299
    slack.groups["S0TEAMMGRS"] = ["U0TOMAS", "U0NEWTM001"]
    assert directory.group_members("S0TEAMMGRS") == {"U0TOMAS"}
    ticks.now += 1
    assert directory.group_members("S0TEAMMGRS") == {"U0TOMAS", "U0NEWTM001"}
    assert len(slack.calls_to(LIST)) == 2


def test_a_group_slack_does_not_have_is_nobody_asked_once_in_five_minutes_and_said_once(slack, directory, ticks,
                                                                                       caplog):
    """Before, a group named in the policy that Slack does not have was asked about on every request,
    inside the request's transaction: a Slack call (300 ms on a slow day) before every ack."""
    with caplog.at_level(logging.WARNING, "panelbot.slack.directory"):
        for _ in range(50):
            assert directory.group_members("S0OPSMGRS1") == frozenset()
    assert len(slack.calls_to(LIST)) == 1
    [line] = [record.getMessage() for record in caplog.records]
    assert "S0OPSMGRS1" in line and "no_such_subteam" in line and "holds nobody" in line
    slack.groups["S0OPSMGRS1"] = ["U0OPSMGR01"]
    ticks.now += 300
    assert directory.group_members("S0OPSMGRS1") == {"U0OPSMGR01"}


def test_a_missing_scope_says_which_scope_to_add(slack, directory, caplog):
    slack.fail_next(LIST, error="missing_scope")
    with caplog.at_level(logging.WARNING, "panelbot.slack.directory"):
        assert directory.group_members("S0TEAMMGRS") == frozenset()
    assert "usergroups:read" in caplog.text


def test_fifty_people_at_once_on_a_slow_slack_wait_for_one_listing(slack, directory):
    """Before, each of them asked Slack (fifty calls of 0.3 s, each inside a request)."""
    slack.delays[LIST] = 0.3
    answers = at_once(*[lambda: directory.group_members("S0TEAMMGRS")] * 50)
    assert answers == [frozenset({"U0TOMAS"})] * 50
    assert len(slack.calls_to(LIST)) == 1


def test_when_the_five_minutes_are_up_one_caller_asks_and_the_others_do_not_wait(slack, directory, ticks):
    directory.group_members("S0TEAMMGRS")
    ticks.now += 301
    slack.groups["S0TEAMMGRS"] = ["U0TOMAS", "U0NEWTM001"]
    listing, release = threading.Event(), threading.Event()

    def held(method: str, args: dict) -> None:
        listing.set()
        release.wait(5)
        return None

    slack.misbehave = held
    asker = threading.Thread(target=directory.group_members, args=("S0TEAMMGRS",))
    asker.start()
    assert listing.wait(5)
    # While Slack is being asked, everyone else gets the members listed five minutes ago, at once.
    assert [directory.group_members("S0TEAMMGRS") for _ in range(10)] == [frozenset({"U0TOMAS"})] * 10
    release.set()
    asker.join(5)
    assert directory.group_members("S0TEAMMGRS") == {"U0TOMAS", "U0NEWTM001"}
    assert len(slack.calls_to(LIST)) == 2


@pytest.mark.parametrize("failure", [dict(status=429, retry_after=60), dict(status=503), "timeout"],
                         ids=["rate limited", "503", "no answer"])
def test_while_slack_cannot_answer_the_members_listed_within_the_hour_stand_in(slack, client, ticks, failure,
                                                                                 caplog):
    directory = SlackDirectory(WebClient(token=client.token, base_url=client.base_url, timeout=0.2,
                                         retry_handlers=[]), clock=ticks)
    directory.group_members("S0TEAMMGRS")
    ticks.now += 600
    if failure == "timeout":
        slack.delays[LIST] = 1.0
    else:
        slack.fail_next(LIST, times=5, **failure)
    with caplog.at_level(logging.WARNING, "panelbot.slack.directory"):
        assert directory.group_members("S0TEAMMGRS") == {"U0TOMAS"}
        assert directory.group_members("S0TEAMMGRS") == {"U0TOMAS"}  # not asked again yet
    if failure == "timeout":
        time.sleep(1.2)  # the stand-in records a call once it has answered it
    assert len(slack.calls_to(LIST)) == 2
    assert "using its members as Slack listed them 600 s ago" in caplog.text
    slack.delays.clear()
    slack.reset()
    ticks.now += 3600  # an hour after the last listing, with Slack still not answering: nobody
    slack.fail_next(LIST, status=503)
    assert directory.group_members("S0TEAMMGRS") == frozenset()


def test_a_group_never_listed_while_slack_cannot_answer_holds_nobody_and_is_asked_again_after_30_s(slack,
                                                                                                  directory, ticks):
    slack.fail_next(LIST, status=500, times=3)
    assert directory.group_members("S0TEAMMGRS") == frozenset()
    assert directory.group_members("S0TEAMMGRS") == frozenset()
    assert len(slack.calls_to(LIST)) == 1
    slack.reset()
    ticks.now += 30
    assert directory.group_members("S0TEAMMGRS") == {"U0TOMAS"}


def test_panelbot_serve_lists_the_policys_groups_at_start_and_says_which_slack_does_not_have(slack, default_policy,
                                                                                            tmp_path):
    """The first people after a start do not wait for Slack, and an administrator reads a wrong group ID
    in the log at once, not when the first case waits on it."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SLACK_BOT_TOKEN="xoxb-groups-test", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.api_url,
               DATABASE_URL=f"sqlite:///{tmp_path}/serve.db", PORT=str(port), PANELBOT_AUDIT_KEY=TEST_AUDIT_KEY,
               LOG_LEVEL="WARNING")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_until_healthy(port, process)
        groups = default_policy.user_groups()
        deadline = time.monotonic() + 10
        while len(slack.calls_to(LIST)) < len(groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        signed = RequestSigner(SIGNING_SECRET).command("U0PRIYA", "help")
        assert request(port, "POST", "/slack/events", signed.body, signed.headers)[0] == 200
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert sorted(call.args["usergroup"] for call in slack.calls_to(LIST)) == sorted(groups)
    missing = [group for group in groups if group not in slack.groups]
    assert missing  # the test workspace lacks some of the policy's groups
    for group in missing:
        assert f"the user group {group} named in the policy does not exist in this Slack workspace" in output
