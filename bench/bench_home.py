"""Building a person's Home tab with 200 things on it.

In-process: `home_of` (the queries) and `home_view` (the blocks) for a team manager with 200 cases
waiting on their sign-off among 10,000 stored cases, and a worker with 200 open cases of their own.
The floor is the same for a person with nothing on it. Target: p99 under 50 ms for 200 items.

    .venv/bin/python bench/bench_home.py [--calls 300] [--database-url postgresql://…/bench_home]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.common import (
    DATABASE_URL_HELP,
    GroupDirectory,
    analyse,
    bench_database,
    describe_database,
    insert_cases,
    role_groups,
)
from bot.policy import default_policy_path, load_policy
from bot.services import Services
from bot.services.home import home_of
from messages.slack.home import home_view
from store import migrate
from store.db import make_engine

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TARGET_MS = 50.0


def _case(n: int, submitter: str, stage: str, route: str, tier: str | None) -> dict[str, object]:
    submitted = NOW - timedelta(days=n % 300, minutes=n)
    return {
        "reference": f"{1000000 + n}", "submission_key": f"bench:{n}", "service": "adults",
        "request_type": "new_package", "proposed_weekly": Decimal("280.00"), "ras_weekly": Decimal("300.00"),
        "current_weekly": None, "hours_per_month": None, "respite_weeks_per_year": None, "urgent": False,
        "urgent_reason": None, "strengths_and_needs": "x", "outcomes": "x", "alternatives": None, "evidence": [],
        "record_link": None, "submitter": submitter, "team_manager": "U0TOMAS", "attendee": None, "route": route,
        "reasons": [], "then": [], "practitioner_must_attend": False, "attendance": [], "evidence_required": [],
        "stage": stage, "is_open": stage != "approved", "panel_day": None, "panel_starts_at": None,
        "panel_location": None, "papers_due": None, "panel_late_for": None, "card_channel": None, "card_ts": None,
        "submitted_at": submitted, "updated_at": submitted, "tier_role": tier,
    }


def timed(calls: int, work) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(20):
        work()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(args.database_url, Path(tmp), "bench_home") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        rows = [_case(n, f"U0W{n % 500:05d}", "approved", "delegated", "team_managers") for n in range(9600)]
        rows += [_case(9600 + n, f"U0W{n % 500:05d}", "awaiting_sign_off", "delegated", "team_managers")
                 for n in range(200)]  # waiting on the team manager
        rows += [_case(9800 + n, "U0PRIYA", "awaiting_booking", "forum", None) for n in range(200)]
        with engine.begin() as connection:
            insert_cases(connection, rows)
        analyse(engine)
        policy = load_policy(default_policy_path())
        # U0TOMAS holds the delegated sign-off's tier role (the policy's team managers) through its user groups.
        team = GroupDirectory(role_groups(policy, policy.bodies["delegated"].tiers[0].role, "U0TOMAS"))
        services = Services(engine=engine, policy=policy, directory=team, clock=lambda: NOW)
        print(f"bench_home: {describe_database(url)}; 10,000 cases stored; {args.calls} calls each")
        print("| person | items | p50 ms | p99 ms | target |")
        print("|---|---|---|---|---|")
        for who, label, expected in (("U0TOMAS", "team manager, 200 sign-offs waiting", 200),
                                     ("U0PRIYA", "worker, 200 open cases", 200), ("U0NOBODY", "nobody (floor)", 0)):
            home = home_of(services, who)
            items = home.waiting_count + len(home.cases)  # the waiting tasks it read, and those it counted
            if items != expected:
                print(f"aborted: {who}'s Home has {items} items ({home.waiting_count} waiting, {len(home.cases)} "
                      f"cases), not {expected}: the figures would not be for {label}", file=sys.stderr)
                engine.dispose()
                return 1
            times = timed(args.calls, lambda who=who: home_view(home_of(services, who)))
            p = statistics.quantiles(times, n=100, method="inclusive")
            verdict = ("PASS" if p[98] < TARGET_MS else "OVER") if items else "—"
            print(f"| {label} | {items} | {p[49]:.2f} | {p[98]:.2f} | {verdict} |")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
