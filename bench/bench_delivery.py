"""Two workers send 3,000 due reminders while Slack takes 0.8 s a post: how many are doubled or lost,
and how fast do they go?

The issue this answers: with posts that slow, a second worker took the first one's live claims for
abandoned ones and doubled 1,560 of 3,000 reminders. Here two real worker processes
(`panelbot worker --interval 1 --claim-timeout LEASE`, the production command) sweep the same
database against the Slack stand-in, whose `chat.postMessage` takes `--post-seconds`. The lease is
deliberately shorter than one claimed batch takes to send (50 people × 0.8 s = 40 s against the
default 10 s lease), so only the heartbeat (the lease renewed before each DM) keeps a live
worker's claims its own. With `--kills N`, one worker is killed with SIGKILL N times, evenly over
the run, and started again: its claims are then taken over once their lease runs out and looked
for in Slack before anything is sent again.

Pre-load (untimed): one case (its card and receipt also go out through the outbox), `--reminders`
pending reminders due in the past, spread evenly over `--people` people (at most 15 a DM, so a
person with more gets a second DM on a later sweep).

Printed: how many reminders Slack holds once, twice or more, and not at all (doubled, lost), the
DMs posted, the wall time from the workers' start until every reminder is sent, throughput in
reminders and DMs a second, and the floor: what two workers posting one DM at a time need at
best (DMs × post time ÷ 2).

    .venv/bin/python bench/bench_delivery.py [--reminders 3000] [--people 300] [--post-seconds 0.8]
                                             [--claim-timeout 10] [--kills 0] [--timeout 900]
                                             [--database-url URL]

Exit status 1 if a reminder was doubled or lost (or not all were sent within `--timeout`).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from common import (
    BENCH_AUDIT_KEY,
    DATABASE_URL_HELP,
    GroupDirectory,
    bench_database,
    describe_database,
    environment,
    role_groups,
)
from sqlalchemy import func, insert, select

from bot.domain.submission import parse_submission
from bot.policy import default_policy_path, load_policy
from bot.services import Services
from bot.services.cases import submit_case
from handlers.slack.standin.webapi import SlackStandIn
from store import migrate
from store.db import make_engine
from store.models import Reminder

TOKEN = "xoxb-bench"  # noqa: S105 (the stand-in accepts any token)
ROOT = Path(__file__).resolve().parent.parent
LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # due well before the machine's clock: all due now
ANSWERS = {
    "reference": "1234567", "service": "adults", "request_type": "new_package", "proposed_weekly": "412",
    "ras_weekly": "298", "strengths_and_needs": "strengths", "outcomes": "outcomes", "alternatives": "alternatives",
    "evidence": ["occupational therapy"], "team_manager": "U0TOMAS", "attendee": "U0ANNAAP",
}


def team_manager_groups() -> dict[str, list[str]]:
    """The user groups through which the case's team manager holds the policy's team-manager role."""
    policy = load_policy(default_policy_path())
    return role_groups(policy, policy.case_form.team_manager_role, ANSWERS["team_manager"])


def preload(url: str, reminders: int, people: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    services = Services(engine=engine, policy=load_policy(default_policy_path()), clock=lambda: LONG_AGO,
                        directory=GroupDirectory(team_manager_groups()), audit_key=BENCH_AUDIT_KEY)
    case_id = submit_case(services, parse_submission(ANSWERS, policy=services.policy, submitter="U0PRIYA"),
                          key="bench").case.id
    rows = [{"key": f"review_due:{case_id}:{n}", "person": f"U0BENCH{n % people:05d}", "case_id": case_id,
             "kind": "review_due", "about_id": n, "why": "due for the benchmark", "due_at": LONG_AGO,
             "state": "pending", "attempts": 0, "created_at": LONG_AGO} for n in range(reminders)]
    with engine.begin() as connection:
        connection.execute(insert(Reminder), rows)
    engine.dispose()


def start_worker(url: str, api_url: str, claim_timeout: float, log: object) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=api_url, DATABASE_URL=url, LOG_LEVEL="WARNING",
               PANELBOT_AUDIT_KEY=BENCH_AUDIT_KEY, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker", "--interval", "1", "--claim-timeout",  # noqa: S603
                             str(claim_timeout)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=log)  # type: ignore[arg-type]


def reminders_in_slack(slack: SlackStandIn) -> tuple[Counter[int], int]:
    ids: Counter[int] = Counter()
    dms = 0
    for _, message in slack.all_messages():
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == "panelbot_reminders":
            dms += 1
            ids.update(metadata["event_payload"]["reminder_ids"])
    return ids, dms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=3000)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--post-seconds", type=float, default=0.8)
    parser.add_argument("--claim-timeout", type=float, default=10.0, help="the workers' lease, seconds")
    parser.add_argument("--kills", type=int, default=0, help="times a worker is killed with SIGKILL and restarted")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp, bench_database(args.database_url, Path(tmp), "bench_delivery") as url:
        preload(url, args.reminders, args.people)
        slack = SlackStandIn().start()
        for n in range(args.people):
            slack.add_user(f"U0BENCH{n:05d}", f"person {n}")
        slack.groups.update(team_manager_groups())  # as in the pre-load, for the workers' directory
        slack.delays["chat.postMessage"] = args.post_seconds
        engine = make_engine(url)
        print(environment())
        print(describe_database(url))
        print(f"{args.reminders} reminders for {args.people} people; chat.postMessage takes {args.post_seconds} s; "
              f"two workers, lease {args.claim_timeout} s, {args.kills} kill(s)")
        log = (Path(tmp) / "workers.log").open("w")
        started = time.monotonic()
        workers = [start_worker(url, slack.api_url, args.claim_timeout, log) for _ in range(2)]
        kills_at = [started + (k + 1) * args.people * args.post_seconds / 2 / (args.kills + 1)
                    for k in range(args.kills)]
        kills = 0
        try:
            while time.monotonic() - started < args.timeout:
                with engine.connect() as connection:
                    left = connection.scalar(select(func.count()).select_from(Reminder)
                                             .where(Reminder.state != "sent"))
                if left == 0:
                    break
                if kills_at and time.monotonic() >= kills_at[0]:
                    kills_at.pop(0)
                    victim = kills % 2
                    workers[victim].send_signal(signal.SIGKILL)
                    workers[victim].wait()
                    kills += 1
                    workers[victim] = start_worker(url, slack.api_url, args.claim_timeout, log)
                time.sleep(0.2)
            wall = time.monotonic() - started
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
            log.close()
        with engine.connect() as connection:
            states = Counter(dict(connection.execute(select(Reminder.state, func.count())
                                                     .group_by(Reminder.state)).all()))
            all_ids = list(connection.scalars(select(Reminder.id)))
        engine.dispose()
        slack.stop()

        held, dms = reminders_in_slack(slack)
        doubled = sum(1 for reminder_id in all_ids if held[reminder_id] > 1)
        lost = sum(1 for reminder_id in all_ids if held[reminder_id] == 0)
        floor = dms * args.post_seconds / 2
        print(f"states: {dict(states)}")
        print(f"reminders held by Slack: once {sum(1 for i in all_ids if held[i] == 1)}, "
              f"doubled {doubled}, lost {lost}")
        print(f"DMs posted: {dms}; posts tried: {len(slack.calls_to('chat.postMessage'))}; kills: {kills}")
        print(f"wall time until all sent: {wall:.1f} s (floor for two workers posting one DM at a time: "
              f"{floor:.1f} s, {wall / floor if floor else 0:.2f}x)")
        print(f"throughput: {args.reminders / wall:.1f} reminders/s, {dms / wall:.2f} DMs/s")
        if states.get("sent", 0) != args.reminders:
            print("WRONG: not every reminder was sent in time")
            print((Path(tmp) / "workers.log").read_text()[-3000:])
            return 1
        return 1 if doubled or lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
