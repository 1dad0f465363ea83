"""Kill the worker (a real process) in the middle of a sweep and start it again: every due reminder
is delivered exactly once."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from store.db import make_sessions
from store.models import Reminder
from tests.conftest import BOT_TOKEN, TEST_AUDIT_KEY

PEOPLE = [f"U0PERSON{n:03d}" for n in range(40)]
# Before the machine's real clock: the worker runs on real time and must find these due.
LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def run_worker(slack, database_url, *args):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.api_url, DATABASE_URL=database_url, LOG_LEVEL="WARNING",
               PANELBOT_AUDIT_KEY=TEST_AUDIT_KEY)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker", "--claim-timeout", "0", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def reminder_ids_sent(slack):
    ids = Counter()
    for call in slack.calls_to("chat.postMessage"):
        metadata = call.args.get("metadata") or {}
        if metadata.get("event_type") == "panelbot_reminders":
            ids.update(metadata["event_payload"]["reminder_ids"])
    return ids


def test_a_worker_killed_mid_sweep_and_restarted_delivers_every_reminder_exactly_once(
        slack, engine, database_url, new_case):
    case_id = new_case()
    with make_sessions(engine).begin() as session:
        session.add_all(Reminder(key=f"review_due:{case_id}:{n}:{person}", person=person, case_id=case_id,
                                 kind="review_due", about_id=n, why="due for the test", due_at=LONG_AGO,
                                 state="pending", attempts=0, created_at=LONG_AGO)
                        for n, person in enumerate(PEOPLE))
    slack.delays["chat.postMessage"] = 0.05  # a slow Slack, so the kill lands mid-sweep

    worker = run_worker(slack, database_url, "--interval", "3600")
    deadline = time.monotonic() + 60
    while sum(reminder_ids_sent(slack).values()) < 10:
        assert worker.poll() is None, worker.stderr.read()
        assert time.monotonic() < deadline, "the worker sent nothing"
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    worker.stderr.close()
    sent_before_restart = sum(reminder_ids_sent(slack).values())
    assert 10 <= sent_before_restart < len(PEOPLE)  # it really died mid-sweep

    again = run_worker(slack, database_url, "--once")
    _, errors = again.communicate(timeout=120)
    assert again.returncode == 0, errors

    ids = reminder_ids_sent(slack)
    with make_sessions(engine)() as session:
        rows = session.execute(select(Reminder.id, Reminder.state)).all()
    assert {state for _, state in rows} == {"sent"}
    assert sorted(ids) == sorted(reminder_id for reminder_id, _ in rows)
    assert set(ids.values()) == {1}  # none twice
