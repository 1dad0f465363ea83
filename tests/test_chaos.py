"""Chaos: two worker processes deliver the outbox and the reminders against a slow, failing Slack
that drops connections after keeping the message, while the test kills one of them with SIGKILL
now and then and starts another. Every message must be in Slack exactly once, except channel posts
whose fate Slack never told (those are at most once, and the panel admin is told of each).

The stand-in decides each post's fate from a seeded hash of the message (its outbox or reminder
ids) and the attempt, so the set of failures does not depend on which worker sends what when:
each message fails at most its first two attempts, in any of these ways, and takes 100-300 ms.
"""

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.slack.standin.webapi import Failure
from store.db import make_sessions
from store.models import Outbox, Reminder
from tests.conftest import TEST_AUDIT_KEY

SEED = "panelbot-chaos-1"
SIMULATED_START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, inside working hours
ADMIN = "U0PANELAD1"
PEOPLE = [f"U0PERSON{n:03d}" for n in range(24)]
CASES = 8
KILL_AFTER_POSTS = (8, 20, 32, 44)  # a kill lands while posts are going out
SETTLE_WITHIN = 50.0  # real seconds for everything to be delivered


def fates(key: str, attempt: int) -> tuple[Failure | None, float]:
    """What happens to this attempt at posting this message, and how long Slack takes."""
    digest = hashlib.sha256(f"{SEED}:{key}:{attempt}".encode()).digest()
    delay = 0.1 + digest[1] / 255 * 0.2
    if attempt > 2:
        return None, delay
    roll = digest[0] / 256
    for limit, failure in ((0.30, Failure(drop=True, after_keeping=True)),  # kept; the answer is lost
                           (0.40, Failure(drop=True, after_keeping=False)),  # lost on the way in
                           (0.55, Failure(status=500)),
                           (0.65, Failure(status=503)),
                           (0.70, Failure(status=429, retry_after=1))):
        if roll < limit:
            return failure, delay
    return None, delay


class ChaosSlack:
    """The stand-in's `misbehave`: slow, failing posts; a history read that fails now and then."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.reads = 0

    def __call__(self, method: str, args: dict) -> Failure | None:
        if method == "conversations.history":
            with self.lock:
                self.reads += 1
                if self.reads % 5 == 0:
                    return Failure(status=503)
            time.sleep(0.05)
            return None
        if method != "chat.postMessage":
            return None
        metadata = args.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        key = f"{metadata.get('event_type')}:{payload.get('outbox_id') or payload.get('reminder_ids')}"
        with self.lock:
            self.attempts[key] += 1
            attempt = self.attempts[key]
        failure, delay = fates(key, attempt)
        time.sleep(delay)
        return failure


def start_worker(slack, database_url, real_start, log, mode="tick"):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env["LOG_LEVEL"] = "WARNING"
    env["PANELBOT_AUDIT_KEY"] = TEST_AUDIT_KEY
    return subprocess.Popen(
        [sys.executable, "-m", "tests.chaos_worker", database_url, slack.api_url, str(real_start),
         str(SIMULATED_START.timestamp()), *(["loop"] if mode == "loop" else [])],
        env=env, stdout=subprocess.DEVNULL, stderr=log)


def in_slack(slack):
    """How many times Slack holds each message: outbox ids and reminder ids."""
    outbox, reminders = Counter(), Counter()
    for _, message in slack.all_messages():
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == "panelbot_outbox":
            outbox[metadata["event_payload"]["outbox_id"]] += 1
        elif metadata.get("event_type") == "panelbot_reminders":
            reminders.update(metadata["event_payload"]["reminder_ids"])
    return outbox, reminders


def settled(sessions):
    with sessions() as session:
        outbox = set(session.scalars(select(Outbox.state)))
        reminders = set(session.scalars(select(Reminder.state)))
    return outbox <= {"sent", "unknown", "failed"} and reminders <= {"sent", "failed"}


@pytest.mark.parametrize("mode", ["tick", "loop"])
def test_two_workers_killed_again_and_again_under_a_failing_slack_lose_nothing_and_double_nothing(
        slack, engine, database_url, new_case, tmp_path, mode):
    """`tick`: each worker's minute tick sends (PANELBOT_DELIVERY=web, the worker retrying); `loop`:
    each also runs the delivery loop of PANELBOT_DELIVERY=worker, the ticks and the loops racing."""
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    for n in range(CASES):
        new_case(reference=f"70000{n:02d}", submitter=PEOPLE[n])
    with sessions.begin() as session:
        due = SIMULATED_START - timedelta(hours=1)
        session.add_all(Reminder(key=f"review_due:chaos:{n}:{person}", person=person, case_id=1, kind="review_due",
                                 about_id=n, why="due for the chaos test", due_at=due, state="pending", attempts=0,
                                 created_at=due)
                        for n, person in enumerate(PEOPLE + PEOPLE[:6]))  # six people have two
    slack.misbehave = ChaosSlack()
    real_start = time.time()
    log = (tmp_path / "workers.log").open("w")
    workers = [start_worker(slack, database_url, real_start, log, mode) for _ in range(2)]
    kills = 0
    try:
        deadline = time.monotonic() + SETTLE_WITHIN
        for posts in KILL_AFTER_POSTS:
            while len(slack.calls_to("chat.postMessage")) < posts and time.monotonic() < deadline:
                time.sleep(0.01)
            victim = kills % 2
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait(timeout=10)
            kills += 1
            workers[victim] = start_worker(slack, database_url, real_start, log, mode)
        while not settled(sessions) and time.monotonic() < deadline:
            assert all(worker.poll() is None for worker in workers), (tmp_path / "workers.log").read_text()
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        log.close()
    elapsed = time.time() - real_start

    outbox_in_slack, reminders_in_slack = in_slack(slack)
    with sessions() as session:
        rows = session.execute(select(Outbox.id, Outbox.key, Outbox.kind, Outbox.state)).all()
        reminders = session.execute(select(Reminder.id, Reminder.state)).all()
    # Home tabs are published (views.publish, no message to count); publishing again changes nothing.
    homes = [row for row in rows if row.kind == "home"]
    rows = [row for row in rows if row.kind != "home"]
    unknown = [row for row in rows if row.state == "unknown"]
    told = {int(row.key.split(":")[1]) for row in rows if row.kind == "delivery_unknown"
            and row.state == "sent" and outbox_in_slack[row.id] == 1}  # the admin's DM about that row
    doubled = [row.id for row in rows if outbox_in_slack[row.id] > 1] + \
        [reminder_id for reminder_id, _ in reminders if reminders_in_slack[reminder_id] > 1]
    lost = [row.id for row in rows if row.state != "unknown" and outbox_in_slack[row.id] == 0] + \
        [reminder_id for reminder_id, _ in reminders if reminders_in_slack[reminder_id] == 0]
    print(f"\nchaos: {kills} kills, {len(rows)} outbox messages ({len(unknown)} of unknown fate, "
          f"{sum(outbox_in_slack[row.id] for row in unknown)} of them in Slack), {len(reminders)} reminders, "
          f"{len(slack.calls_to('chat.postMessage'))} posts tried, doubled {len(doubled)}, lost {len(lost)}, "
          f"{elapsed:.1f} s")
    assert settled(sessions), "not everything was delivered in time"
    assert kills == len(KILL_AFTER_POSTS)
    assert doubled == []
    assert lost == []
    assert {row.state for row in rows} <= {"sent", "unknown"}
    assert {row.state for row in homes} <= {"sent"}
    assert {state for _, state in reminders} == {"sent"}
    assert {row.id for row in unknown} <= told  # a person is told to look at each
