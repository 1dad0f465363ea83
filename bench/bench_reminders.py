"""One reminder sweep at scale: finding and claiming the due reminders among 1,000,000, and the whole sweep.

The worker calls `bot.services.reminders.send_due_reminders` every minute. It reconciles stale claims,
selects the pending rows due now (index `ix_reminder_due` on (state, due_at)), groups them per person
(at most `MAX_ITEMS_PER_DM` each), claims each person's rows with one conditional
`UPDATE … RETURNING` in a transaction of its own, reads what the DM lists, sends one DM per person
and marks the rows sent. This benchmark measures that database work on a table that holds a
realistic backlog of future reminders, with a tiny in-process notifier (`FakeNotifier`: records each
DM and returns at once; no HTTP, no Slack stand-in), so the figures are panelbot's and the database's.

The pre-load (bulk, not through the app; timed and printed separately): `--cases` cases and
`--reminders` − `--due` pending reminders due in the future, for `--people` Slack user ids (78%
practitioners, 5% advanced practitioners, 12% team managers, 3% operations managers, 2% monitoring
visitors), every kind of `ReminderKind` (nearly half of them reviews) written for the people who get
it, due over the next 2 years from tomorrow on: 85% at the start of working hours (09:00 London) on
a working day, as the services write them, 15% at any moment within working hours (snoozed or
retried). The visit kinds are about one of 20,000 planned monitoring visits (at 400 provisions), not
a case. Plus `--history` rows due in the past 2 years that are sent, done, withdrawn or failed.
Every `key` is unique. SQLite takes the reminders by the DB-API's executemany of the compiled Core `insert()`, in
chunks, each value through its column's SQLAlchemy bind processor (stored exactly as the app stores
it); PostgreSQL by `COPY` (psycopg), and it is then `VACUUM (ANALYZE)`d, as autovacuum would soon do
after a million inserts. Cases, provisions and visits go in by Core `insert()`.

Each measured sweep gets a fresh batch of exactly `--due` pending rows due in the last two days
(inserted untimed just before it), spread over the people in turn, so a sweep sends min(due, people)
DMs (no more than `MAX_ITEMS_PER_DM` rows each). At the first sweep the table holds `--reminders`
pending rows. A repetition is:

1. **find + claim**: the sweep's own due query (the same select; its SQL text is checked against
   what `send_due_reminders` runs) in a session of its own, grouped per person as the sweep groups
   them, then `bot.services.reminders._claim` once for everyone. Both times are printed, and their sum
   is held against the target. The claimed rows are then marked sent (untimed), as the DMs would be.
2. **the whole sweep**: a fresh batch, then `send_due_reminders(services, now)` with the fake
   notifier. Afterwards exactly the batch's `--due` rows must be `sent` (and the sweep must say so),
   each in exactly one DM, one DM a person, no row left `sending` and nothing due left pending, or
   the run says WRONG and exits 1. (So `--due` may be at most the sweep's limit, 5000, and
   `MAX_ITEMS_PER_DM` × `--people`.)

One untimed warm-up repetition first (it also prints the query plans: EXPLAIN QUERY PLAN on SQLite,
EXPLAIN (ANALYZE, BUFFERS) of the due select and EXPLAIN of one claim on PostgreSQL), then
`--repeats` timed ones, then one more with statement timers attached to say where a sweep's time
goes (statements by kind, commits, pool resets, pings, and the Python around them). `--profile`
adds one more sweep under cProfile. Target: "one sweep finds and claims the due ones in under
1 second", for the find + claim figure and for the whole sweep, every repetition.

    .venv/bin/python bench/bench_reminders.py [--cases 100000] [--reminders 1000000] [--due 1000]
                                              [--people 2000] [--history 200000] [--repeats 5]
                                              [--database-url URL] [--profile]

With `--database-url postgresql://user@host/NAME` the database NAME is created (through the
`postgres` database) and dropped afterwards; if it already exists it must be empty, and it is emptied
again afterwards. A `sqlite:///PATH` URL must name a file that does not exist yet; it is left behind.
The default is a fresh SQLite file in a temporary directory (on disk, WAL, as `store.db` opens it).
Exit status 1 only if an answer was wrong: this is a measurement, not a gate.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

from common import BENCH_AUDIT_KEY, DATABASE_URL_HELP, analyse, bench_database, insert_cases
from psycopg import sql
from sqlalchemy import Engine, event, func, insert, select, update

from bot.domain.reminders import ReminderItem, ReminderKind
from bot.notify import DeliveryError, Notice, Sent
from bot.policy import default_policy_path, load_policy
from bot.services import Services
from bot.services import reminders as service
from store import migrate
from store.db import make_engine
from store.models import Case, Provision, Reminder, Visit

TARGET_SECONDS = 1.0  # "one sweep finds and claims the due ones in under 1 second"
SEED = 20261122
CHUNK = 20_000  # rows a bulk insert
DUE_SPAN = timedelta(days=2)  # a batch's rows fall due over the last two days
MORNING_SHARE = 0.85  # the rest are due at any moment in working hours (snoozed or retried)
# Kinds of stored reminder: (weight, who gets it). Visit reminders are about a visit, not a case.
KINDS: dict[ReminderKind, tuple[int, str]] = {
    ReminderKind.FORUM_TOMORROW: (12, "worker_or_ap"),
    ReminderKind.REVIEW_DUE: (46, "worker"),
    ReminderKind.RESUBMISSION_DUE: (9, "worker"),
    ReminderKind.RESUBMIT_DEFERRED: (7, "worker"),
    ReminderKind.DECISION_WAITING: (12, "decider"),
    ReminderKind.DECISION_OVERDUE: (8, "manager"),
    ReminderKind.VISIT_CONFIRM: (3, "visitor"),
    ReminderKind.VISIT_STEP_DUE: (3, "visitor"),
}
VISIT_KINDS = (ReminderKind.VISIT_CONFIRM, ReminderKind.VISIT_STEP_DUE)
# Each role's share of the people, and the kinds a due batch gives each role.
ROLES = [("worker", 0.78), ("ap", 0.05), ("decider", 0.12), ("manager", 0.03), ("visitor", 0.02)]
ROLE_KINDS = {"worker": [ReminderKind.REVIEW_DUE, ReminderKind.FORUM_TOMORROW, ReminderKind.RESUBMISSION_DUE,
                         ReminderKind.RESUBMIT_DEFERRED],
              "ap": [ReminderKind.FORUM_TOMORROW], "decider": [ReminderKind.DECISION_WAITING],
              "manager": [ReminderKind.DECISION_OVERDUE], "visitor": list(VISIT_KINDS)}
VISITS = 20_000  # monitoring visits stored (planned, at 400 provisions), for the visit reminders
PROVISIONS = 400
COLUMNS = ("key", "person", "case_id", "visit_id", "kind", "about_id", "why", "late_person", "due_at", "state",
           "attempts", "claimed_at", "sent_at", "sent_channel", "sent_ts", "error", "created_at", "closed_at")
HISTORY_STATES = [("sent", 70), ("done", 15), ("withdrawn", 13), ("failed", 2)]


# -- the database -----------------------------------------------------------------------------------


def describe_database(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        return f"SQLite {sqlite3.sqlite_version} (file, journal_mode={mode}, synchronous={sync}): {url.database}"
    with engine.connect() as connection:
        server = connection.exec_driver_sql("SHOW server_version").scalar()
        commit = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
    return f"PostgreSQL {server} (synchronous_commit={commit}, pool_pre_ping): {url.render_as_string()}"


# -- what is stored ---------------------------------------------------------------------------------


@dataclass
class People:
    """The Slack user ids, by role, and the order a due batch goes through them."""

    ids: list[str]
    role: dict[str, str]
    by_role: dict[str, list[str]]
    order: list[str]

    @classmethod
    def make(cls, count: int, rng: random.Random) -> People:
        ids = [f"U0P{n:06d}" for n in range(count)]
        role: dict[str, str] = {}
        by_role: dict[str, list[str]] = {name: [] for name, _ in ROLES}
        start = 0
        for index, (name, share) in enumerate(ROLES):
            end = count if index == len(ROLES) - 1 else start + max(1, round(count * share))
            for person in ids[start:end]:
                role[person] = name
                by_role[name].append(person)
            start = end
        order = list(ids)
        rng.shuffle(order)
        return cls(ids, role, by_role, order)

    def pick(self, who: str, rng: random.Random) -> str:
        if who == "worker_or_ap":
            who = "ap" if rng.random() < 0.3 else "worker"
        pool = self.by_role[who] or self.ids
        return pool[rng.randrange(len(pool))]


@dataclass
class Days:
    """Working days (local dates) with the start and end of reminder hours on each, as UTC instants."""

    days: list[date]
    starts: list[datetime]
    ends: list[datetime]
    labels: list[str] = field(default_factory=list)

    @classmethod
    def between(cls, services: Services, first: date, last: date) -> Days:
        calendar, hours = services.calendar, service.hours(services)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        days = [day for day in days if calendar.is_working_day(day)]
        return cls(days, [calendar.instant(day, hours.start) for day in days],
                   [calendar.instant(day, hours.end) for day in days],
                   [f"{day:%A} {day.day} {day:%B %Y}" for day in days])

    def moment(self, index: int, rng: random.Random) -> datetime:
        """The start of hours on working day `index`, or (15%) any moment within its hours."""
        start = self.starts[index]
        if rng.random() < MORNING_SHARE:
            return start
        return start + (self.ends[index] - start) * rng.random()


def why(kind: ReminderKind, label: str) -> str:
    if kind is ReminderKind.FORUM_TOMORROW:
        return f"Forum slot {label}, 09:30–10:00"
    if kind is ReminderKind.REVIEW_DUE:
        return f"due {label}: review of the agreed package (6 weeks, then yearly)"
    if kind is ReminderKind.RESUBMISSION_DUE:
        return f"due {label}: the SEND package is due back at the panel"
    if kind is ReminderKind.RESUBMIT_DEFERRED:
        return f"deferred on {label} for more information"
    if kind is ReminderKind.VISIT_CONFIRM:
        return f"confirm the visit on {label} with the provider"
    if kind is ReminderKind.VISIT_STEP_DUE:
        return f"report to the provider: due {label}"
    return f"waiting since {label}"


def _case_rows(count: int, now: datetime, people: People, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """`count` cases, lighter than `bench_submit.py`'s (the sweep never reads a case's free text)."""
    chunk: list[dict[str, Any]] = []
    workers, managers = people.by_role["worker"] or people.ids, people.by_role["decider"] or people.ids
    for n, reference in enumerate(rng.sample(range(1_000_000, 10_000_000), count)):
        route = rng.choice(["delegated", "forum", "send_panel", "urgent"])
        closed = rng.random() < 0.5
        submitted = now - timedelta(days=rng.uniform(1, 730))
        chunk.append({
            "reference": str(reference), "submission_key": f"submit:V0SEED{n:07d}", "service": "adults",
            "request_type": "new_package", "proposed_weekly": Decimal(rng.randrange(8000, 90000)) / 100,
            "ras_weekly": Decimal(rng.randrange(15000, 40000)) / 100, "current_weekly": None,
            "hours_per_month": None, "respite_weeks_per_year": None, "urgent": route == "urgent",
            "urgent_reason": None, "strengths_and_needs": "Strengths, needs and the work done so far.",
            "outcomes": "The outcomes the person wants.", "alternatives": None, "evidence": [],
            "record_link": None, "submitter": rng.choice(workers), "team_manager": rng.choice(managers),
            "attendee": None, "route": route, "reasons": [f"Routed to {route}."], "then": [],
            "practitioner_must_attend": False, "attendance": [], "evidence_required": [],
            "stage": "approved" if closed else "awaiting_sign_off", "is_open": not closed, "panel_day": None,
            "panel_starts_at": None, "panel_location": None, "papers_due": None, "panel_late_for": None,
            "card_channel": "C0FORUM001", "card_ts": f"{submitted.timestamp():.6f}", "submitted_at": submitted,
            "updated_at": submitted,
        })
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Subjects:
    """What reminders are about: cases, or (for the visit kinds) monitoring visits."""

    case_ids: list[int]
    visit_ids: list[int]

    def pick(self, kind: ReminderKind, rng: random.Random) -> tuple[int | None, int | None, str]:
        """(case_id, visit_id, the subject as `remind` writes it into the key)."""
        if kind in VISIT_KINDS:
            visit_id = self.visit_ids[rng.randrange(len(self.visit_ids))]
            return None, visit_id, f"v{visit_id}"
        case_id = self.case_ids[rng.randrange(len(self.case_ids))]
        return case_id, None, str(case_id)


def _future_rows(count: int, subjects: Subjects, people: People, ahead: Days, now: datetime,
                 rng: random.Random) -> Iterator[tuple[Any, ...]]:
    kinds = list(KINDS)
    weights = [KINDS[kind][0] for kind in kinds]
    for n, kind in enumerate(rng.choices(kinds, weights, k=count)):
        person = people.pick(KINDS[kind][1], rng)
        case_id, visit_id, subject = subjects.pick(kind, rng)
        index = rng.randrange(len(ahead.days))
        late = people.pick("decider", rng) if kind is ReminderKind.DECISION_OVERDUE else None
        created = now - timedelta(days=rng.uniform(0, 60))
        yield (f"{kind}:{subject}:{n + 1}:{person}", person, case_id, visit_id, str(kind), n + 1,
               why(kind, ahead.labels[index]), late, ahead.moment(index, rng), "pending", 0,
               None, None, None, None, None, created, None)


def _history_rows(count: int, subjects: Subjects, people: People, past: Days, first_about: int,
                  rng: random.Random) -> Iterator[tuple[Any, ...]]:
    kinds = list(KINDS)
    weights = [KINDS[kind][0] for kind in kinds]
    states, state_weights = [s for s, _ in HISTORY_STATES], [w for _, w in HISTORY_STATES]
    for n in range(count):
        kind = rng.choices(kinds, weights)[0]
        state = rng.choices(states, state_weights)[0]
        person = people.pick(KINDS[kind][1], rng)
        case_id, visit_id, subject = subjects.pick(kind, rng)
        index = rng.randrange(len(past.days))
        due = past.moment(index, rng)
        about = first_about + n
        late = people.pick("decider", rng) if kind is ReminderKind.DECISION_OVERDUE else None
        created = due - timedelta(days=rng.uniform(1, 60))
        channel = f"D{person[1:]}"
        if state in ("sent", "done"):
            sent = due + timedelta(seconds=rng.uniform(1, 60))
            closed = sent + timedelta(days=rng.uniform(0, 5)) if state == "done" else None
            values = (1, due, sent, channel, f"{sent.timestamp():.6f}", None, closed)
        elif state == "withdrawn":
            values = (0, None, None, None, None, None, created + (due - created) * rng.random())
        else:
            values = (service.MAX_ATTEMPTS, None, None, None, None, "user_not_found", due + timedelta(hours=3))
        yield (f"{kind}:{subject}:{about}:{person}", person, case_id, visit_id, str(kind), about,
               why(kind, past.labels[index]), late, due, state, *values[:6], created, values[6])


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = CHUNK) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_reminders(engine: Engine, rows: Iterator[tuple[Any, ...]]) -> int:
    """Bulk-write reminder rows (tuples in COLUMNS order): COPY on PostgreSQL, Core executemany on SQLite."""
    written = 0
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            raw = connection.connection.driver_connection
            copy_sql = sql.SQL("COPY reminder ({}) FROM STDIN").format(sql.SQL(", ").join(map(sql.Identifier, COLUMNS)))
            with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
        else:
            # The DB-API's executemany with each value passed through its column's own bind processor, so
            # the rows are stored exactly as SQLAlchemy would store them (timestamps as naive UTC text).
            table = Reminder.__table__
            processors = [table.c[name].type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
                          for name in COLUMNS]
            convert = [(i, p) for i, p in enumerate(processors) if p is not None]
            statement = str(insert(Reminder).compile(dialect=engine.dialect, column_keys=list(COLUMNS)))
            # A big page cache for the load only (random-order index inserts); put back before the sweeps.
            default_cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
            connection.exec_driver_sql("PRAGMA cache_size = -524288")
            for chunk in _chunks(rows):
                values = []
                for row in chunk:
                    out = list(row)
                    for i, process in convert:
                        out[i] = process(out[i])
                    values.append(tuple(out))
                connection.exec_driver_sql(statement, values)
                written += len(chunk)
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(default_cache)}")
    return written


@dataclass
class Preloaded:
    cases_s: float
    reminders_s: float
    reminders: int
    analyse_s: float | None
    subjects: Subjects


def _visit_rows(now: datetime, people: People, rng: random.Random) -> tuple[list[dict[str, Any]], Any]:
    provisions = [{"name": f"Provision {n:04d}", "provision_type": rng.choice(["ifa", "residential", "16_plus"]),
                   "ofsted_rating": rng.choice(["good", "outstanding", "requires_improvement", None]),
                   "rated_on": None, "contact": None, "created_by": "U0SQAO0001", "created_at": now,
                   "updated_at": now} for n in range(PROVISIONS)]
    visitors = people.by_role["visitor"] or people.ids

    def visits(provision_ids: list[int]) -> list[dict[str, Any]]:
        rows = []
        for _ in range(VISITS):
            due_on = now.date() + timedelta(days=rng.randrange(-365, 730))
            rows.append({"provision_id": rng.choice(provision_ids), "placement_id": None, "kind": "annual",
                         "due_on": due_on, "why": "every 12 months", "state": "planned", "planned_on": due_on,
                         "visitor": rng.choice(visitors), "done_on": None, "created_at": now})
        return rows
    return provisions, visits


def preload(engine: Engine, services: Services, people: People, args: argparse.Namespace, now: datetime,
            rng: random.Random) -> Preloaded:
    started = time.perf_counter()
    with engine.begin() as connection:
        for chunk in _case_rows(args.cases, now, people, rng):
            insert_cases(connection, chunk)
        case_ids = list(connection.scalars(select(Case.id).order_by(Case.id)))
        provisions, visits = _visit_rows(now, people, rng)
        connection.execute(insert(Provision), provisions)
        connection.execute(insert(Visit), visits(list(connection.scalars(select(Provision.id)))))
        subjects = Subjects(case_ids, list(connection.scalars(select(Visit.id).order_by(Visit.id))))
    cases_s = time.perf_counter() - started

    today = services.calendar.local_date(now)
    # Future rows start tomorrow, so none falls due while the benchmark runs.
    ahead = Days.between(services, today + timedelta(days=1), today + timedelta(days=731))
    past = Days.between(services, today - timedelta(days=730), today - timedelta(days=3))
    future = args.reminders - args.due
    started = time.perf_counter()
    written = _write_reminders(engine, _future_rows(future, subjects, people, ahead, now, rng))
    written += _write_reminders(engine, _history_rows(args.history, subjects, people, past, future + 1, rng))
    reminders_s = time.perf_counter() - started

    analyse_s = analyse(engine, "VACUUM (ANALYZE)")
    return Preloaded(cases_s, reminders_s, written, analyse_s, subjects)


def reminder_counts(engine: Engine, now: datetime) -> dict[str, int]:
    with engine.connect() as connection:
        counts = {state: number for state, number in
                  connection.execute(select(Reminder.state, func.count()).group_by(Reminder.state))}
        counts["pending due"] = connection.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.state == service.PENDING, Reminder.due_at <= now)) or 0
    return counts


def kind_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(select(Reminder.kind, func.count()).where(Reminder.state == service.PENDING)
                                       .group_by(Reminder.kind).order_by(Reminder.kind)).all())


# -- a due batch ------------------------------------------------------------------------------------


@dataclass
class Batch:
    number: int
    ids: list[int]
    expected: list[int]  # the ids one sweep must send: `limit` first by (due_at, id), ≤ MAX_ITEMS_PER_DM a person
    people: int  # DMs one sweep must send


class Batches:
    """Fresh batches of `due` pending rows due in the last two days, one person after another."""

    def __init__(self, engine: Engine, people: People, subjects: Subjects, due: int, limit: int,
                 rng: random.Random) -> None:
        self.engine, self.people, self.subjects, self.due, self.limit, self.rng = \
            engine, people, subjects, due, limit, rng
        self.made = 0
        self.next_person = 0

    def insert(self, now: datetime) -> Batch:
        self.made += 1
        number, rng, rows = self.made, self.rng, []
        for j in range(self.due):
            person = self.people.order[self.next_person % len(self.people.order)]
            self.next_person += 1
            kind = rng.choice(ROLE_KINDS[self.people.role[person]])
            case_id, visit_id, subject = self.subjects.pick(kind, rng)
            about = 900_000_000 + number * 100_000 + j
            due_at = now - DUE_SPAN * rng.random() - timedelta(seconds=1)
            late = self.people.pick("decider", rng) if kind is ReminderKind.DECISION_OVERDUE else None
            rows.append({"key": f"{kind}:{subject}:{about}:{person}", "person": person, "case_id": case_id,
                         "visit_id": visit_id, "kind": str(kind), "about_id": about,
                         "why": why(kind, f"batch {number}"), "late_person": late, "due_at": due_at,
                         "state": service.PENDING, "attempts": 0,
                         "claimed_at": None, "sent_at": None, "sent_channel": None, "sent_ts": None, "error": None,
                         "created_at": due_at - timedelta(days=3), "closed_at": None})
        with self.engine.begin() as connection:
            before = connection.scalar(select(func.max(Reminder.id))) or 0
            connection.execute(insert(Reminder), rows)
            stored = connection.execute(select(Reminder.id, Reminder.person).where(Reminder.id > before)
                                        .order_by(Reminder.due_at, Reminder.id)).all()
        by_person: dict[str, list[int]] = defaultdict(list)
        for reminder_id, person in stored[:self.limit]:
            if len(by_person[person]) < service.MAX_ITEMS_PER_DM:
                by_person[person].append(reminder_id)
        expected = sorted(i for ids in by_person.values() for i in ids)
        return Batch(number, [i for i, _ in stored], expected, len(by_person))


# -- the notifier -----------------------------------------------------------------------------------


class FakeNotifier:
    """The reminder side of the seam, in process: records each DM and answers at once."""

    def __init__(self) -> None:
        self.dms: list[tuple[str, list[int]]] = []
        self.checked: list[str] = []
        self.admin: list[tuple[str, str]] = []

    def send(self, notice: Notice, about: Any, recipient: str, *, outbox_id: int) -> Sent:
        raise DeliveryError("the reminder sweep sends no outbox messages", permanent=True)

    def send_reminders(self, person: str, items: Sequence[ReminderItem]) -> Sent:
        self.dms.append((person, [item.id for item in items]))
        return Sent(channel=f"D{person[1:]}", ts=f"1795000000.{len(self.dms):06d}")

    def reminders_already_sent(self, person: str) -> dict[int, Sent]:
        self.checked.append(person)
        return {}

    def tell_admin(self, admin: str, person: str, references: Sequence[str], error: str) -> None:
        self.admin.append((admin, person))

    def reset(self) -> None:
        self.dms.clear()
        self.checked.clear()
        self.admin.clear()


# -- timing where the time goes ---------------------------------------------------------------------


def _kind_of(statement: str) -> str:
    flat = " ".join(statement.split())
    if flat.startswith("UPDATE reminder") and "RETURNING" in flat:
        return "claim UPDATE … RETURNING"
    if flat.startswith("UPDATE reminder") and "sent_at" in flat:
        return "mark sent UPDATE"
    if flat.startswith("SELECT") and "claimed_at <=" in flat:
        return "reconcile SELECT (stale claims)"
    if flat.startswith("SELECT") and "JOIN cases" in flat:
        return "items SELECT (… JOIN cases)"
    if flat.startswith("SELECT reminder.id, reminder.person FROM reminder"):
        return "due SELECT"
    return f"other: {flat[:40]}"


class Timers:
    """Statement, commit, rollback and ping times on one engine, while `on`. Also keeps the statements seen."""

    def __init__(self, engine: Engine) -> None:
        self.on = False
        self.seen: list[tuple[str, Any]] = []
        self.keep = False
        self.totals: dict[str, float] = defaultdict(float)
        self.counts: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        dialect = engine.dialect
        for name, label in (("do_commit", "COMMIT"), ("do_rollback", "ROLLBACK (session end, pool reset)"),
                            ("do_ping", "pool_pre_ping")):
            setattr(dialect, name, self._timed(getattr(dialect, name), label))

    def _timed(self, call: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.on:
                return call(*args, **kwargs)
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.totals[label] += time.perf_counter() - started
                self.counts[label] += 1
        return timed

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.keep:
            self.seen.append((statement, parameters))
        if self.on:
            conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.on and "bench_started" in conn.info:
            kind = _kind_of(statement)
            self.totals[kind] += time.perf_counter() - conn.info.pop("bench_started")
            self.counts[kind] += 1

    def reset(self) -> None:
        self.totals.clear()
        self.counts.clear()

    @contextmanager
    def timing(self) -> Iterator[None]:
        self.reset()
        self.on = True
        try:
            yield
        finally:
            self.on = False

    @contextmanager
    def keeping(self) -> Iterator[list[tuple[str, Any]]]:
        self.seen = []
        self.keep = True
        try:
            yield self.seen
        finally:
            self.keep = False

    def print_breakdown(self, wall: float, title: str) -> None:
        print(f"{title}: {wall * 1000:.1f} ms in all")
        print(f"  {'where':<40} {'calls':>6} {'total ms':>9} {'share':>6} {'µs a call':>10}")
        accounted = 0.0
        for label, total in sorted(self.totals.items(), key=lambda item: -item[1]):
            accounted += total
            count = self.counts[label]
            print(f"  {label:<40} {count:>6} {total * 1000:>9.1f} {total / wall:>6.0%} {total / count * 1e6:>10.0f}")
        rest = wall - accounted
        print(f"  {'Python (SQLAlchemy ORM, sessions, pool)':<40} {'':>6} {rest * 1000:>9.1f} {rest / wall:>6.0%}")


# -- the measurements -------------------------------------------------------------------------------


def due_query(now: datetime, limit: int) -> Any:
    """The sweep's due select, as `send_due_reminders` writes it (checked against what it runs)."""
    return (select(Reminder.id, Reminder.person).where(Reminder.state == service.PENDING, Reminder.due_at <= now)
            .order_by(Reminder.due_at, Reminder.id).limit(limit))


def find_due(services: Services, now: datetime, limit: int) -> dict[str, list[int]]:
    with services.sessions() as session:
        due = session.execute(due_query(now, limit)).all()
    by_person: dict[str, list[int]] = defaultdict(list)
    for reminder_id, person in due:
        if len(by_person[person]) < service.MAX_ITEMS_PER_DM:
            by_person[person].append(reminder_id)
    return by_person


def claim_all(services: Services, by_person: dict[str, list[int]], now: datetime) -> list[int]:
    """The sweep's claim: one conditional UPDATE … RETURNING for everyone due (as send_due_reminders)."""
    won = service._claim(services, [i for ids in by_person.values() for i in ids], now)
    return [i for ids in won.values() for i in ids]


@dataclass
class Repetition:
    find_s: float
    claim_s: float
    claims: int
    sweep_s: float
    dms: int
    sent: int

    @property
    def find_claim_s(self) -> float:
        return self.find_s + self.claim_s


class Wrong(Exception):
    """An answer was wrong: the figures would mean nothing."""


def mark_sent(engine: Engine, ids: list[int], now: datetime) -> None:
    """What the sweep does once the DMs have gone (untimed after the find + claim measurement)."""
    with engine.begin() as connection:
        for start in range(0, len(ids), 500):
            connection.execute(update(Reminder).where(Reminder.id.in_(ids[start:start + 500]),
                                                      Reminder.state == service.SENDING)
                               .values(state=service.SENT, sent_at=now, sent_channel="D0BENCH", sent_ts="0.0"))


def check_find_claim(batch: Batch, by_person: dict[str, list[int]], won: list[int]) -> None:
    found = sorted(i for ids in by_person.values() for i in ids)
    if found != batch.expected:
        raise Wrong(f"batch {batch.number}: the due query found {len(found)} rows, expected {len(batch.expected)}")
    if sorted(won) != batch.expected or len(set(won)) != len(won):
        raise Wrong(f"batch {batch.number}: claimed {len(won)} rows ({len(set(won))} distinct), "
                    f"expected {len(batch.expected)}")


def check_sweep(engine: Engine, batch: Batch, notifier: FakeNotifier, returned: int, now: datetime) -> None:
    sent_ids = [i for _, ids in notifier.dms for i in ids]
    twice = [i for i, n in Counter(sent_ids).items() if n > 1]
    people = [person for person, _ in notifier.dms]
    problems = []
    if twice:
        problems.append(f"{len(twice)} reminders were in more than one DM")
    if len(set(people)) != len(people):
        problems.append("a person got more than one DM")
    if sorted(set(sent_ids)) != batch.expected:
        problems.append(f"{len(set(sent_ids))} distinct reminders went out, expected {len(batch.expected)}")
    if returned != len(batch.expected):
        problems.append(f"send_due_reminders said {returned}, expected {len(batch.expected)}")
    if notifier.admin:
        problems.append(f"{len(notifier.admin)} admin alerts")
    with engine.connect() as connection:
        sent_now = connection.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.state == service.SENT, Reminder.sent_at == now)) or 0
        sending = connection.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.state == service.SENDING)) or 0
        batch_sent = set(connection.scalars(select(Reminder.id).where(Reminder.id.in_(batch.ids),
                                                                      Reminder.state == service.SENT)))
        still_due = connection.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.state == service.PENDING, Reminder.due_at <= now)) or 0
    if sent_now != len(batch.expected) or batch_sent != set(batch.expected):
        problems.append(f"{sent_now} rows marked sent by this sweep ({len(batch_sent)} of the batch), "
                        f"expected {len(batch.expected)}")
    if sending:
        problems.append(f"{sending} rows left in 'sending'")
    if still_due:
        problems.append(f"{still_due} due rows left pending")
    if problems:
        raise Wrong(f"batch {batch.number}: " + "; ".join(problems))


def repetition(services: Services, notifier: FakeNotifier, batches: Batches, limit: int,
               timers: Timers | None = None, profiler: cProfile.Profile | None = None) -> Repetition:
    # 1. find + claim, on a fresh batch
    batch = batches.insert(datetime.now(UTC))
    now = datetime.now(UTC)
    with timers.timing() if timers is not None else nullcontext():
        started = time.perf_counter()
        by_person = find_due(services, now, limit)
        found = time.perf_counter()
        won = claim_all(services, by_person, now)
        claimed = time.perf_counter()
    if timers is not None:
        timers.print_breakdown(claimed - started, f"where find + claim's time goes ({len(by_person)} claims, "
                                                  "statement timers attached)")
    check_find_claim(batch, by_person, won)
    mark_sent(services.engine, won, now)
    claims = len(by_person)
    # 2. the whole sweep, on another fresh batch
    batch = batches.insert(datetime.now(UTC))
    notifier.reset()
    now = datetime.now(UTC)
    if timers is not None:
        with timers.timing():
            started_sweep = time.perf_counter()
            returned = service.send_due_reminders(services, now, limit=limit)
            sweep_s = time.perf_counter() - started_sweep
    elif profiler is not None:
        started_sweep = time.perf_counter()
        profiler.enable()
        returned = service.send_due_reminders(services, now, limit=limit)
        profiler.disable()
        sweep_s = time.perf_counter() - started_sweep
    else:
        started_sweep = time.perf_counter()
        returned = service.send_due_reminders(services, now, limit=limit)
        sweep_s = time.perf_counter() - started_sweep
    check_sweep(services.engine, batch, notifier, returned, now)
    return Repetition(found - started, claimed - found, claims, sweep_s, len(notifier.dms), returned)


def explain(services: Services, notifier: FakeNotifier, batches: Batches, timers: Timers, limit: int) -> Repetition:
    """The warm-up repetition, printing the plans of the due select and of one claim on the way."""
    engine = services.engine
    batch = batches.insert(datetime.now(UTC))
    now = datetime.now(UTC)
    with timers.keeping() as seen:
        started = time.perf_counter()
        by_person = find_due(services, now, limit)
        found = time.perf_counter()
    select_sql, select_params = next((s, p) for s, p in seen if _kind_of(s) == "due SELECT")
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(prefix + select_sql, select_params).all()
    print(f"the due select, with {len(batch.ids):,} of the pending rows due:")
    print("  " + " ".join(select_sql.split()))
    print(f"  {prefix.strip()}:")
    for row in plan:
        print("    " + (row[0] if postgres else f"{'  ' if row[1] else ''}|-- {row[-1]}"))
    with timers.keeping() as seen:
        started_claim = time.perf_counter()
        won = claim_all(services, by_person, now)
        claimed = time.perf_counter()
    check_find_claim(batch, by_person, won)
    claim_sql, claim_params = next((s, p) for s, p in seen if _kind_of(s).startswith("claim"))
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + claim_sql,
                                          claim_params).all()
        connection.rollback()
    print("one claim (after it ran: the plan, not its rows):")
    print("  " + " ".join(claim_sql.split()))
    for row in plan:
        print("    " + (row[0] if postgres else "|-- " + str(row[-1])))
    mark_sent(engine, won, now)
    claims = len(by_person)
    # The sweep itself: also checks that it runs the very select measured above.
    batch = batches.insert(datetime.now(UTC))
    notifier.reset()
    now = datetime.now(UTC)
    with timers.keeping() as seen:
        started_sweep = time.perf_counter()
        returned = service.send_due_reminders(services, now, limit=limit)
        sweep_s = time.perf_counter() - started_sweep
    check_sweep(engine, batch, notifier, returned, now)
    if not any(statement == select_sql for statement, _ in seen):
        raise Wrong("send_due_reminders no longer runs the due select this benchmark measures: update due_query()")
    print()
    return Repetition(found - started, claimed - started_claim, claims, sweep_s, len(notifier.dms), returned)


# -- the run ----------------------------------------------------------------------------------------


def environment() -> str:
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"Python {platform.python_version()}, {cpus} CPUs ({usable} usable, load average {load}), "
            f"SQLAlchemy {version('sqlalchemy')}, psycopg {version('psycopg')}, SQLite {sqlite3.sqlite_version}")


def verdict(seconds: Sequence[float]) -> str:
    return "PASS" if max(seconds) < TARGET_SECONDS else "OVER"


def report_repetitions(reps: list[Repetition]) -> None:
    print(f"{'rep':>4} {'find ms':>8} {'claim ms':>9} {'claims':>7} {'find+claim ms':>14} {'sweep ms':>9} "
          f"{'DMs':>5} {'sent':>5}")
    for n, rep in enumerate(reps, 1):
        print(f"{n:>4} {rep.find_s * 1000:>8.1f} {rep.claim_s * 1000:>9.1f} {rep.claims:>7} "
              f"{rep.find_claim_s * 1000:>14.1f} {rep.sweep_s * 1000:>9.1f} {rep.dms:>5} {rep.sent:>5}")
    for name, pick in (("median", statistics.median), ("max", max)):
        print(f"{name:>4} {pick(r.find_s for r in reps) * 1000:>8.1f} {pick(r.claim_s for r in reps) * 1000:>9.1f} "
              f"{'':>7} {pick(r.find_claim_s for r in reps) * 1000:>14.1f} "
              f"{pick(r.sweep_s for r in reps) * 1000:>9.1f}")
    claim_us = statistics.median(r.claim_s / r.claims * 1e6 for r in reps if r.claims)
    sweep_us = statistics.median(r.sweep_s / r.dms * 1e6 for r in reps if r.dms)
    print(f"median per person: one claim {claim_us:.0f} µs; the whole sweep {sweep_us:.0f} µs a DM")
    find_claim = [r.find_claim_s for r in reps]
    sweep = [r.sweep_s for r in reps]
    print(f"target: one sweep finds and claims the due ones in under {TARGET_SECONDS:g} s: {verdict(find_claim)} "
          f"(median {statistics.median(find_claim):.3f} s, max {max(find_claim):.3f} s)")
    print(f"target: the whole sweep (reconcile, find, claim, read items, DM, mark sent) in under "
          f"{TARGET_SECONDS:g} s: {verdict(sweep)} (median {statistics.median(sweep):.3f} s, max {max(sweep):.3f} s)")


def print_profile(profiler: cProfile.Profile) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(30)
        print(re.sub(r"/\S*/site-packages/", "", out.getvalue()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases pre-loaded (default 100000)")
    parser.add_argument("--reminders", type=int, default=1_000_000,
                        help="pending reminders at the first sweep: --due due now, the rest in the future "
                             "(default 1000000)")
    parser.add_argument("--due", type=int, default=1000,
                        help="pending rows due now, fresh for each sweep (default 1000)")
    parser.add_argument("--people", type=int, default=2000, help="distinct Slack user ids (default 2000)")
    parser.add_argument("--history", type=int, default=200_000,
                        help="past rows sent, done, withdrawn or failed (default 200000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    parser.add_argument("--profile", action="store_true", help="one more sweep under cProfile")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.people < 1 or args.due < 1 or args.repeats < 1:
        parser.error("--cases, --people, --due and --repeats must be at least 1")
    if not args.due <= args.reminders or args.history < 0:
        parser.error("--reminders must be at least --due, and --history not negative")
    limit = 5000  # send_due_reminders' default
    if args.due > min(limit, service.MAX_ITEMS_PER_DM * args.people):
        # Otherwise one sweep leaves some due rows for the next, and "exactly --due sent" cannot hold.
        parser.error(f"--due must be at most {limit} (the sweep's limit) and {service.MAX_ITEMS_PER_DM} x --people")

    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="panelbot-bench-", ignore_cleanup_errors=True) as tmp, \
            bench_database(args.database_url, Path(tmp), "bench_reminders") as url:
        engine = make_engine(url, statement_timeout_ms=None)  # the bulk COPY runs longer than the app's 5 s
        migrate.upgrade(engine)
        notifier = FakeNotifier()
        services = Services(engine=engine, policy=load_policy(default_policy_path()), notifier=notifier,
                            audit_key=BENCH_AUDIT_KEY)
        timers = Timers(engine)
        try:
            return run(args, services, notifier, timers, limit, rng)
        except Wrong as exc:
            print(f"WRONG: {exc}", file=sys.stderr)
            return 1
        finally:
            engine.dispose()


def run(args: argparse.Namespace, services: Services, notifier: FakeNotifier, timers: Timers, limit: int,
        rng: random.Random) -> int:
    engine = services.engine
    now = datetime.now(UTC)
    people = People.make(args.people, rng)
    print(environment())
    print(f"database: {describe_database(engine)}")
    loaded = preload(engine, services, people, args, now, rng)
    how = "COPY" if engine.dialect.name == "postgresql" else "DB-API executemany of the Core insert()"
    print(f"pre-load: {args.cases:,} cases, {PROVISIONS} provisions, {VISITS:,} visits {loaded.cases_s:.1f} s "
          f"(Core insert()); {loaded.reminders:,} reminders "
          f"{loaded.reminders_s:.1f} s ({how}, {loaded.reminders / loaded.reminders_s:,.0f} rows/s)"
          + (f"; VACUUM (ANALYZE) {loaded.analyse_s:.1f} s" if loaded.analyse_s is not None else
             "; not analysed (panelbot never runs ANALYZE on SQLite)"))
    counts = reminder_counts(engine, datetime.now(UTC))
    print("stored reminders by state: " + ", ".join(f"{state} {n:,}" for state, n in sorted(counts.items())))
    print("pending by kind: " + ", ".join(f"{kind} {n:,}" for kind, n in kind_counts(engine).items()))
    roles = ", ".join(f"{len(people.by_role[name])} {name}s" for name, _ in ROLES)
    print(f"people: {args.people:,} ({roles})")
    batches = Batches(engine, people, loaded.subjects, args.due, limit, rng)
    per_dm = -(-args.due // args.people)
    print(f"each sweep: a fresh batch of {args.due:,} pending rows due in the last {DUE_SPAN.days} days, "
          f"{per_dm if per_dm > 1 else 1} a person at most before the cap of {service.MAX_ITEMS_PER_DM}; "
          f"the sweep's limit is {limit}")
    print()

    warm = explain(services, notifier, batches, timers, limit)
    print(f"warm-up (not counted): find {warm.find_s * 1000:.1f} ms, claim {warm.claim_s * 1000:.1f} ms "
          f"({warm.claims} UPDATEs), whole sweep {warm.sweep_s * 1000:.1f} ms ({warm.dms} DMs, {warm.sent} sent)")
    print()

    reps = [repetition(services, notifier, batches, limit) for _ in range(args.repeats)]
    report_repetitions(reps)
    print(f"checked after each sweep: exactly the batch's {args.due:,} rows are sent, each in one DM, one DM a "
          "person, none left 'sending', nothing due left pending")
    print()

    print("one more repetition with statement timers attached (not counted above):")
    timed = repetition(services, notifier, batches, limit, timers=timers)
    timers.print_breakdown(timed.sweep_s, f"where the whole sweep's time goes ({timed.dms} DMs)")
    if args.profile:
        profiler = cProfile.Profile()
        profiled = repetition(services, notifier, batches, limit, profiler=profiler)
        print()
        print(f"cProfile of one more whole sweep ({profiled.sweep_s * 1000:.0f} ms under the profiler):")
        print_profile(profiler)
    after = reminder_counts(engine, datetime.now(UTC))
    print()
    print("stored reminders afterwards: " + ", ".join(f"{state} {n:,}" for state, n in sorted(after.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
