"""The report over 100,000 cases: `bot.services.report.build` (ten aggregate queries, then the pure
assembly) and the chart (`messages.slack.report.render_chart`, matplotlib's Agg canvas).

The database is pre-loaded with `--cases` cases over the three years to Tuesday 24 November 2026,
across the shipped policy's bodies and request types: about 85 % decided (approved, approved with
changes, declined, deferred), some of the agreed ones ended at a review or withdrawn, the rest in
the pipeline; a spot check for one approval in ten at a person body; a few thousand visits. The
report asked for is the default one (the 12 months to that day). Targets: report p99 under 2 s,
chart p99 under 1 s. Each report is checked against the committed weekly total worked out in Python
from the generated rows.

    .venv/bin/python bench/bench_report.py [--cases 100000] [--runs 30] [--database-url URL]

Exits 0 whatever the figures (1 only if a report's total is wrong).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bench.common import (
    DATABASE_URL_HELP,
    analyse,
    bench_database,
    describe_database,
    environment,
    insert_cases,
    percentiles,
    pounds,
)
from bot.domain.report import parse_period
from bot.policy import default_policy_path, load_policy
from bot.services import Services
from bot.services.report import build
from messages.slack.report import render_chart
from store import migrate
from store.db import make_engine
from store.models import Decision, Provision, SpotCheck, Visit

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
REPORT_TARGET_S, CHART_TARGET_S = 2.0, 1.0
ROUTES = [("delegated", "adults"), ("delegated", "adults"), ("forum", "adults"), ("urgent", "adults"),
          ("send_panel", "children_send")]
TYPES = ["new_package", "new_package", "increase", "decrease", "respite", "direct_payment"]
CHUNK = 5000


def generate(rng: random.Random, n: int) -> tuple[list[dict], list[dict], list[dict], Decimal]:
    """Cases, decisions and spot checks, and the committed weekly total at NOW by hand."""
    cases, decisions, checks = [], [], []
    committed = Decimal(0)
    span = 3 * 365 * 24 * 3600
    for i in range(1, n + 1):
        route, service = rng.choice(ROUTES)
        kind = rng.choice(TYPES)
        proposed = pounds(rng, 50, 900)
        current = pounds(rng, 50, 600) if kind in ("increase", "decrease") else None
        submitted = NOW - timedelta(seconds=rng.randrange(span))
        roll = rng.random()
        outcome = ("approved" if roll < 0.70 else "approved_with_changes" if roll < 0.78 else
                   "declined" if roll < 0.85 else "deferred" if roll < 0.90 else None)
        decided = submitted + timedelta(days=rng.randrange(0, 30), hours=rng.randrange(0, 8))
        if outcome is not None and decided >= NOW:
            outcome = None
        stage, updated = {"delegated": "awaiting_sign_off", "urgent": "awaiting_urgent_decision",
                          "forum": "booked", "send_panel": "listed"}[route], submitted
        amended = None
        if outcome is not None:
            stage, updated = outcome, decided
            if outcome == "approved_with_changes":
                amended = (proposed * Decimal("0.9")).quantize(Decimal("0.01"))
        end = rng.random()
        if outcome in ("approved", "approved_with_changes") and end < 0.10:
            ended_at = decided + timedelta(days=rng.randrange(30, 400))
            if ended_at < NOW:
                stage, updated = ("ended" if end < 0.07 else "withdrawn"), ended_at
        elif outcome is None and end < 0.05:
            stage, updated = "withdrawn", submitted + timedelta(days=2)
        cases.append(dict(id=i, reference=f"{1000000 + i}", submission_key=f"bench:{i}", service=service,
                          request_type=kind, proposed_weekly=proposed, ras_weekly=None, current_weekly=current,
                          hours_per_month=None, respite_weeks_per_year=None, urgent=route == "urgent",
                          urgent_reason=None, strengths_and_needs="x", outcomes="x", alternatives=None, evidence=[],
                          record_link=None, submitter="U0BENCH01", team_manager="U0BENCH02", attendee=None,
                          route=route, reasons=[], then=[], practitioner_must_attend=False, attendance=[],
                          evidence_required=[], stage=stage, is_open=False, round=1, submitted_at=submitted,
                          updated_at=updated))
        if outcome is not None:
            decisions.append(dict(id=i, case_id=i, round=1, kind="decision", outcome=outcome, reason="x",
                                  amended_weekly=amended, stage_after=outcome, decided_by="U0BENCH02",
                                  decided_at=decided))
            if outcome.startswith("approved"):
                agreed = amended if amended is not None else proposed
                if stage not in ("ended", "withdrawn"):
                    committed += agreed - (current or 0)
                if route in ("delegated", "urgent") and rng.random() < 0.1:
                    checks.append(dict(case_id=i, decision_id=i, round=1, draw=Decimal("1.5"), threshold=Decimal(10),
                                       why=["random"], state=rng.choice(["open", "agreed", "concern", "referred"]),
                                       drawn_at=decided))
    return cases, decisions, checks, committed


def load(engine, rng: random.Random, n: int) -> Decimal:  # type: ignore[no-untyped-def]
    cases, decisions, checks, committed = generate(rng, n)
    with engine.begin() as connection:
        for start in range(0, len(cases), CHUNK):
            insert_cases(connection, cases[start:start + CHUNK])
        for table, rows in ((Decision, decisions), (SpotCheck, checks)):
            for start in range(0, len(rows), CHUNK):
                connection.execute(insert(table), rows[start:start + CHUNK])
        connection.execute(insert(Provision), [dict(id=1, name="Bench House", provision_type="residential_home",
                                                    created_by="U0BENCH03", created_at=NOW, updated_at=NOW)])
        connection.execute(insert(Visit), [dict(provision_id=1, kind="annual", due_on=date(2026, 1, 1) + timedelta(d),
                                                why="annual", state="done",
                                                done_on=date(2026, 1, 1) + timedelta(d + rng.randrange(-3, 4)),
                                                created_at=NOW) for d in range(0, 320, 1) for _ in range(10)])
    return committed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="timed reports and charts (after 3 warm-up each)")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    args = parser.parse_args()
    wrong = False
    with tempfile.TemporaryDirectory() as tmp, bench_database(args.database_url, Path(tmp), "bench_report") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        started = time.perf_counter()
        committed = load(engine, random.Random(args.seed), args.cases)
        loaded = time.perf_counter() - started
        analysed = analyse(engine)
        services = Services(engine=engine, policy=load_policy(default_policy_path()), clock=lambda: NOW)
        start, end = parse_period("", NOW.date())
        print(f"bench_report: {environment()}")
        print(f"database: {describe_database(url)}; {args.cases:,} cases loaded in {loaded:.1f} s"
              + (f", ANALYZE {analysed:.1f} s" if analysed is not None else ""))
        print(f"report: {start} to {end}; committed weekly by hand £{committed:,.2f}")
        report_times, chart_times = [], []
        for run in range(args.runs + 3):
            t = time.perf_counter()
            report = build(services, start, end)
            elapsed = time.perf_counter() - t
            if report.value("committed", "weekly") != committed:
                print(f"WRONG: committed weekly {report.value('committed', 'weekly')} != {committed}")
                wrong = True
            t = time.perf_counter()
            png = render_chart(report)
            drawn = time.perf_counter() - t
            if run >= 3:
                report_times.append(elapsed)
                chart_times.append(drawn)
        engine.dispose()
    for name, samples, target in (("report", report_times, REPORT_TARGET_S), ("chart", chart_times, CHART_TARGET_S)):
        p50, p99 = percentiles(samples) if len(samples) > 1 else (samples[0], samples[0])
        verdict = "PASS" if p99 < target else "FAIL"
        print(f"{name:<7} n={len(samples):<4} p50 {p50 * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms  "
              f"mean {statistics.fmean(samples) * 1000:8.1f} ms  target p99 < {target:.0f} s: {verdict}")
    print(f"figures: {len(report.figures)}; chart {len(png):,} bytes")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
