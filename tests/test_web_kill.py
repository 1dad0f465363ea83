"""Kill `panelbot serve` with SIGKILL while it is sending what people's changes queued
(PANELBOT_DELIVERY=web), with posts in Slack's hands at that moment, then let a worker finish: every
message is in Slack once. A DM the dead process may have sent is looked for in the DM's history before
it is sent again; a channel post it may have sent is at most once, and the panel admins are told."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from handlers.slack.standin.requests import form_state
from messages.slack.submit import submit_modal
from store.db import make_sessions
from store.models import Outbox
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEST_AUDIT_KEY
from tests.serving import free_port, request, wait_until_healthy
from tests.test_submit import FORUM_CASE

CASES = 8
LEASE = "2"  # seconds: PANELBOT_CLAIM_TIMEOUT for both processes, so the worker may take over soon
POST_TAKES = 0.25  # seconds Slack takes to answer each chat.postMessage


class SlowPosts:
    """The stand-in's `misbehave`: every post is slow, and how many are in Slack's hands is counted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_hand = 0

    def __call__(self, method: str, args: dict) -> None:
        if method != "chat.postMessage":
            return None
        with self.lock:
            self.in_hand += 1
        time.sleep(POST_TAKES)  # the message is kept after this, whatever became of the sender
        with self.lock:
            self.in_hand -= 1
        return None


def environment(slack, database_url):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.api_url,
               DATABASE_URL=database_url, PANELBOT_AUDIT_KEY=TEST_AUDIT_KEY, PANELBOT_DELIVERY="web",
               PANELBOT_CLAIM_TIMEOUT=LEASE, LOG_LEVEL="WARNING")
    return env


def settled(sessions):
    with sessions() as session:
        return set(session.scalars(select(Outbox.state))) <= {"sent", "unknown", "failed"}


@pytest.mark.parametrize("kill_after", [0, CASES + 2], ids=["cards in flight", "DMs in flight"])
def test_a_web_process_killed_while_sending_loses_nothing_and_doubles_nothing(
        slack, database_url, engine, signer, policy, tmp_path, kill_after):
    """Killed while the case cards are going (channel posts first), or later, while DMs are."""
    for body in policy.bodies.values():
        slack.add_channel(body.channel)
    slack.misbehave = posts = SlowPosts()
    port = free_port()
    env = environment(slack, database_url)
    log = (tmp_path / "processes.log").open("w")
    serve = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                             env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = None
    try:
        assert wait_until_healthy(port, serve), (tmp_path / "processes.log").read_text()
        deadline = time.monotonic() + 30
        for n in range(CASES):
            view = {**submit_modal(policy), "id": f"V0KILL{n:04d}"}
            signed = signer.view_submission(f"U0WORKER{n:02d}", view,
                                            form_state(view, {**FORUM_CASE, "reference": f"81000{n:02d}"}))
            status, _ = request(port, "POST", "/slack/events", signed.body, signed.headers)
            assert status == 200
        # SIGKILL while posts are in Slack's hands: kept by Slack, never marked sent by panelbot.
        while (posts.in_hand < 2 or len(slack.calls_to("chat.postMessage")) < kill_after) \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        assert posts.in_hand >= 2, "the kill did not land while posts were in flight"
        serve.send_signal(signal.SIGKILL)
        serve.wait(timeout=10)
        killed_after = len(slack.calls_to("chat.postMessage"))
        worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker", "--interval", "1"], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        sessions = make_sessions(engine, TEST_AUDIT_KEY)
        deadline = time.monotonic() + 60
        while not settled(sessions) and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "processes.log").read_text()
            time.sleep(0.2)
    finally:
        for process in (serve, worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        log.close()

    assert settled(sessions), "not everything was delivered in time"
    in_slack = Counter()
    for _, message in slack.all_messages():
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == "panelbot_outbox":
            in_slack[metadata["event_payload"]["outbox_id"]] += 1
    with sessions() as session:
        rows = [row for row in session.execute(select(Outbox.id, Outbox.key, Outbox.kind, Outbox.state,
                                                      Outbox.attempts)) if row.kind != "home"]
    taken_over = [row for row in rows if row.attempts > 1]
    unknown = [row for row in rows if row.state == "unknown"]
    told = {int(row.key.split(":")[1]) for row in rows if row.kind == "delivery_unknown" and row.state == "sent"
            and in_slack[row.id] == 1}
    print(f"\nweb kill: {len(rows)} messages, {killed_after} posts before the kill, {len(taken_over)} taken over "
          f"by the worker, {len(unknown)} of unknown fate")
    assert taken_over, "the worker took over nothing the dead process had claimed"
    assert [row.id for row in rows if in_slack[row.id] > 1] == []  # nothing doubled
    assert [row.id for row in rows if row.state != "unknown" and in_slack[row.id] == 0] == []  # nothing lost
    assert {row.state for row in rows} <= {"sent", "unknown"}
    assert {row.id for row in unknown} <= told  # a person is told to look at each
    if kill_after > CASES:  # DMs were in Slack's hands: found in the DM's history, not sent again
        assert [row for row in taken_over if row.kind != "case_card" and row.state == "sent"]
