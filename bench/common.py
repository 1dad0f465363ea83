"""What the benchmarks share: the database's lifecycle, the waitress set-up, a timed keep-alive client,
alternating blocks, the report.

Not a benchmark itself. The benchmarks with a database (all but `bench_help.py`) take `--database-url`
(help text `DATABASE_URL_HELP`), run inside `bench_database` (a fresh SQLite file, or a PostgreSQL
database created for the run and dropped afterwards), bulk-load it and then `analyse` it, which does
something on PostgreSQL only. The HTTP benchmarks serve panelbot and a bare Bolt floor with
`serve_in_background`, wrap each in a `Target` (how to build a fresh signed request, how to tell a right
answer), run them with `run_alternating` and print `environment()`, `print_table` and `print_comparison`
(and `describe_database`, `latency_table` for other series of samples, `print_profile_stats` under
`--profile`). `bench_submit.py` and `bench_decide.py` pre-load the same mix of routes (`ROUTES` and the
tables after it); they and `bench_booking.py` draw sums of money with `pounds`. Stored cases go in with
`insert_cases` (a case's card is a `case_cards` row). The policy's roles are data: `role_groups` says
which user groups to fill so that the benchmark's people hold a role (the stand-in's `groups`, or an
in-process `GroupDirectory`).
"""

from __future__ import annotations

import cProfile
import http.client
import io
import os
import platform
import pstats
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.engine import make_url
from waitress.server import create_server

from bot.addresses import is_group
from bot.policy import Policy
from bot.settings import load_settings
from bot.web import MAX_BODY
from handlers.slack.standin.requests import SignedRequest
from handlers.slack.web import EVENTS_PATH
from store import migrate
from store.db import make_engine
from store.models import Case, CaseCard

TOKEN = "xoxb-bench"  # noqa: S105 (the stand-in accepts any token)
BENCH_AUDIT_KEY = "bench-audit-key-not-for-real-data-0123456789"  # PANELBOT_AUDIT_KEY of the benchmarks
WARMUP = 50
BLOCKS = 10
# The adjustments `bot.web.serve` uses in production, given to both servers alike.
SERVER_OPTIONS: dict[str, Any] = {"threads": 8, "max_request_body_size": MAX_BODY,
                                  "clear_untrusted_proxy_headers": True, "ident": "bench"}
PERCENTILES_NOTE = "percentiles: statistics.quantiles(n=100, method='inclusive')"
DATABASE_URL_HELP = ("postgresql://user@host/NAME (created and dropped) or "
                     "sqlite:///NEW_FILE; default: a fresh SQLite file")


# -- the policy's people ----------------------------------------------------------------------------


def role_groups(policy: Policy, role: str, *people: str) -> dict[str, list[str]]:
    """User groups (group ID -> member IDs) through which `people` hold the policy's `role`.

    The roles are the policy's data: a role lists people and user groups (`bot.addresses`), and a group's
    members come from the directory (Slack's `usergroups.users.list`: the stand-in's `groups`). Each group
    the role lists is given all of `people`; a person the role lists directly needs no group. Raises
    SystemExit, saying why, when the role is not in the policy or a person cannot hold it (the role lists
    them neither directly nor through any group): the benchmark's requests would then be refused.
    """
    members = policy.members(role)
    if not members:
        raise SystemExit(f"the policy names no role {role!r}: the benchmark's people cannot hold it")
    groups = [member for member in members if is_group(member)]
    stranded = [person for person in people if person not in members and not groups]
    if stranded:
        raise SystemExit(f"the policy's role {role!r} lists {', '.join(members)}: no user group to put "
                         f"{', '.join(stranded)} in, so the benchmark's requests would be refused")
    return {group: list(people) for group in groups}


def workspace_groups(policy: Policy) -> dict[str, list[str]]:
    """Every user group the policy's roles name, each holding one made-up person (the group's ID with a
    U for its S), as a council's workspace has them. A group Slack does not have holds nobody; panelbot
    logs that and asks again every five minutes (bot.groups)."""
    return {group: ["U" + group[1:]] for group in policy.user_groups()}


@dataclass
class GroupDirectory:
    """An in-process directory (`bot.notify.Directory`): user groups and their members, as `role_groups` gives."""

    groups: dict[str, list[str]] = field(default_factory=dict)

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset(self.groups.get(group_id, ()))


# -- the database -----------------------------------------------------------------------------------


def insert_cases(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert stored cases; a row's "card_channel" and "card_ts", when set, become its card in
    `case_cards` (where a posted card is kept). The rows are not changed."""
    if not rows:
        return
    connection.execute(insert(Case), [{k: v for k, v in row.items() if k not in ("card_channel", "card_ts")}
                                      for row in rows])
    carded = {row["submission_key"]: row for row in rows if row.get("card_channel") and row.get("card_ts")}
    if not carded:
        return
    ids = {key: case_id for key, case_id in connection.execute(select(Case.submission_key, Case.id))}
    connection.execute(insert(CaseCard), [
        {"case_id": ids[key], "channel": row["card_channel"], "ts": row["card_ts"], "posted_at": row["submitted_at"]}
        for key, row in carded.items()])


@contextmanager
def bench_database(url: str | None, tmp: Path, example: str) -> Iterator[str]:
    """The (normalised) URL of an empty database for the run, cleaned up afterwards.

    No `url`: a fresh SQLite file, `bench.db` in `tmp`. A `sqlite:///PATH` URL must name a file that
    does not exist yet; it is left behind. With `postgresql://user@host/NAME` the database NAME is
    created (through the `postgres` database) and dropped afterwards; if it already exists it must have
    no tables, and it is emptied again afterwards (migrated down to base, `alembic_version` dropped).
    Refused with SystemExit: a SQLite file that exists, an existing database with tables, and a
    PostgreSQL URL naming no database or `postgres` (with the hint
    `postgresql://postgres@127.0.0.1/<example>`).
    """
    if url is None:
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    url = load_settings(env_file=None, database_url=url).database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and Path(parsed.database).exists():
            raise SystemExit(f"{parsed.database} exists: give a SQLite file that does not exist yet")
        yield url
        return
    name = parsed.database
    if not name or name == "postgres":
        raise SystemExit(f"give the benchmark a database of its own, e.g. postgresql://postgres@127.0.0.1/{example}")
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        created = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None
        if created:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if not created:
        engine = make_engine(url)
        with engine.connect() as connection:
            tables = connection.scalar(text("SELECT count(*) FROM pg_tables "
                                            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"))
        engine.dispose()
        if tables:
            raise SystemExit(f"database {name} exists and has {tables} tables: drop it, or name another one")
    try:
        yield url
    finally:
        if created:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        else:
            engine = make_engine(url)
            migrate.downgrade(engine, "base")
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            engine.dispose()


def describe_database(url: str) -> str:
    """One line for the report: which database, and where."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite (file, WAL): {parsed.database}"
    return f"PostgreSQL: {parsed.render_as_string()}"


def analyse(engine: Engine, statement: str = "ANALYZE") -> float | None:
    """After a bulk pre-load, run `statement` on PostgreSQL (as autovacuum soon would) and return its seconds.

    None, and nothing run, on SQLite: panelbot never runs ANALYZE there.
    """
    if engine.dialect.name != "postgresql":
        return None
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statement))
    return time.perf_counter() - started


# -- the pre-load -----------------------------------------------------------------------------------


def pounds(rng: random.Random, low: int, high: int) -> Decimal:
    """A sum from £`low` up to (not including) £`high`, in whole pence."""
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


# The mix of routes, stages and request types that bench_submit.py and bench_decide.py store.
ROUTES = ["delegated", "forum", "send_panel", "urgent"]
ROUTE_WEIGHTS = [40, 35, 15, 10]
OPEN_STAGES = {"delegated": ["awaiting_sign_off"], "forum": ["awaiting_booking", "booked"],
               "send_panel": ["listed"], "urgent": ["awaiting_urgent_decision"]}
REQUEST_TYPES = {"delegated": ["new_package", "increase", "decrease", "respite", "direct_payment"],
                 "forum": ["new_package", "new_package", "increase", "residential_placement", "respite"],
                 "send_panel": ["direct_payment", "new_package", "increase", "respite"],
                 "urgent": ["new_package", "increase"]}
ROUTE_CHANNELS = {"delegated": "C0DELEGAT1", "forum": "C0FORUM001", "send_panel": "C0SENDQAP1",
                  "urgent": "C0URGENT01"}
FILLER = ("Lives alone since a fall last spring; family visit weekly. Needs support with personal care, "
          "meals and medication morning and evening, and to get out to the day centre twice a week. ")


# -- the HTTP comparison ----------------------------------------------------------------------------


class WrongAnswer(Exception):
    """A target answered something other than what it should: the figures would be meaningless."""


@dataclass
class Target:
    """One served app and a keep-alive connection to it; `samples` are milliseconds a request.

    `build` makes a fresh signed request (not timed); `check(status, body)` returns None for a right
    answer, or says what is wrong with it.
    """

    name: str
    port: int
    build: Callable[[], SignedRequest]
    check: Callable[[int, bytes], str | None]
    samples: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def send(self, *, record: bool = True) -> None:
        signed = self.build()  # fresh signature and ids; not timed
        started = time.perf_counter()
        self._conn.request("POST", EVENTS_PATH, body=signed.body, headers=signed.headers)
        response = self._conn.getresponse()
        body = response.read()
        elapsed_ms = (time.perf_counter() - started) * 1000
        problem = self.check(response.status, body)
        if problem is not None:
            raise WrongAnswer(f"{self.name}: {problem}")
        if record:
            self.samples.append(elapsed_ms)

    def close(self) -> None:
        self._conn.close()


def serve_in_background(wsgi: Callable[..., Any]) -> int:
    """Serve `wsgi` with waitress on an ephemeral port in a daemon thread; return the port."""
    server = create_server(wsgi, host="127.0.0.1", port=0, **SERVER_OPTIONS)
    threading.Thread(target=server.run, name=f"waitress-{server.effective_port}", daemon=True).start()
    return int(server.effective_port)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) from `statistics.quantiles(n=100, method="inclusive")`: interpolated between samples."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def run_alternating(targets: list[Target], requests: int, *, warmup: int = WARMUP, blocks: int = BLOCKS,
                    before_each: Callable[[Target], None] | None = None) -> None:
    """`warmup` untimed requests a target, then `requests` timed ones a target in `blocks` alternating blocks.

    `before_each(target)`, if given, runs (untimed) before every request.
    """
    def send(target: Target, record: bool) -> None:
        if before_each is not None:
            before_each(target)
        target.send(record=record)

    for target in targets:
        for _ in range(warmup):
            send(target, False)
    block = max(1, requests // blocks)
    done = 0
    order = list(targets)
    while done < requests:
        size = min(block, requests - done)
        for target in order:
            for _ in range(size):
                send(target, True)
        order.reverse()  # alternate who goes first, so neither always follows the other
        done += size


def environment() -> str:
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    return (f"Python {platform.python_version()} ({platform.python_implementation()}), {cpus} CPUs "
            f"({usable} usable), slack_bolt {version('slack_bolt')}, waitress {version('waitress')}")


Figures = tuple[float, float, float]  # p50, p99, mean (ms)


def print_table(targets: list[Target]) -> dict[str, Figures]:
    """One line a target (n, p50, p99, mean, max); returns {name: (p50, p99, mean)}."""
    print(f"{'target':<12} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}")
    figures = {}
    for target in targets:
        p50, p99 = percentiles(target.samples)
        mean = statistics.fmean(target.samples)
        figures[target.name] = (p50, p99, mean)
        print(f"{target.name:<12} {len(target.samples):>6} {p50:>8.2f} {p99:>8.2f} {mean:>8.2f} "
              f"{max(target.samples):>8.2f}")
    return figures


def latency_table(rows: dict[str, list[float]]) -> dict[str, Figures]:
    """One line a named series of samples in ms (n, p50, p99, mean, max); returns {name: (p50, p99, mean)}."""
    width = max(len(name) for name in rows)
    print(f"{'':<{width}} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}")
    figures = {}
    for name, samples in rows.items():
        p50, p99 = percentiles(samples)
        mean = statistics.fmean(samples)
        figures[name] = (p50, p99, mean)
        print(f"{name:<{width}} {len(samples):>6} {p50:>8.2f} {p99:>8.2f} {mean:>8.2f} {max(samples):>8.2f}")
    return figures


def print_comparison(figures: dict[str, Figures], subject: str, floor: str, ratio: float, goal: str | None) -> bool:
    """The p50 and p99 ratios of `subject` to `floor`, the mean difference, and the target (none when
    `goal` is None: a comparison only); True on PASS."""
    (p50, p99, mean), (floor_p50, floor_p99, floor_mean) = figures[subject], figures[floor]
    print(f"p50 ratio {subject} / {floor}: {p50 / floor_p50:.2f}x  ({p50 - floor_p50:+.2f} ms)")
    print(f"p99 ratio {subject} / {floor}: {p99 / floor_p99:.2f}x  ({p99 - floor_p99:+.2f} ms)")
    print(f"mean difference: {mean - floor_mean:+.2f} ms a request")
    if goal is None:
        return True
    passed = p99 <= ratio * floor_p99
    print(f"target: {goal}: {'PASS' if passed else 'OVER'}")
    return passed


def print_profile_stats(profiler: cProfile.Profile) -> None:
    """The profile's top 35 functions by cumulative time, then by own time (`pstats`, paths as they are)."""
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(35)
        print(out.getvalue())
