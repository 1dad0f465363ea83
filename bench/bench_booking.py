"""Forum booking with 20,000 bookings stored: the booking form over HTTP against a bare Bolt app; concurrent booking.

Two measurements on one database (a fresh SQLite file, or PostgreSQL with `--database-url`), pre-loaded
with `--stored` `ForumBooking` rows for as many forum `Case` rows (bulk inserts, timed separately, not
through the app): most of them in the past, about 30% cancelled, and the coming sitting days partly
booked (about 80% of the next sitting day falling to about 25% of the tenth, then a few further out).
Every slot start comes from `bot.domain.schedules` and the forum's schedule in the policy, so the rows obey the two
partial unique indexes: one live booking per body and slot start, one per case.

1. **The booking form.** A signed `/panel book <ref>` for an open forum case that has no booking.
   panelbot (the real app: `create_app`, all handlers, inside `handlers.slack.web.SlackWsgi`) looks the case up,
   works out the free slots of the next ten sitting days (`free_days`: one query for the live bookings
   in the window), acks, and calls `views.open` with the booking modal. The floor is a plain Bolt app
   whose `/panel` listener acks and calls `client.views_open` with a static modal: the very modal
   panelbot builds for that case, so both send the same bytes to the stand-in. Both run on waitress
   with the adjustments `bot.web.serve` uses (8 threads) on 127.0.0.1 and talk to one Slack Web API
   stand-in, which notes when each `views.open` arrives.

   Two figures a target: request → ack (the whole response body read), and request → `views.open`
   at the stand-in (when the person would see the form). With Bolt's default thread-pool executor, as
   in production, the ack comes through Bolt's 10 ms ack poll and `views.open` happens after it;
   panelbot's query runs before its ack, inside that poll. `--inline` runs both apps' listeners in the
   request thread (`bot.later.InlineExecutor`), so the ack returns only after the query and
   `views.open`: that figure shows the query's cost. 50 warm-up requests each, then the targets
   alternate in 10 blocks. Every ack must be an empty 200, every request must reach `views.open`, and
   every modal panelbot opens must be the booking form for the case, offering no booked slot, or the
   run aborts with exit status 1.

   Then `free_days(services, session, now)` alone, in-process, `--calls` times (the session's
   connection already checked out, so pool checkout is not timed), split into its query and its slot
   arithmetic; the open-case-by-reference lookup alone; the whole `booking_choice` service call; and
   the query plans of the three lookups `booking_choice` makes.

2. **Concurrent booking.** `--contenders` threads (default 20), released together by a barrier, each
   call `bot.services.booking.book_slot` for a case of its own (fresh open forum cases, pre-loaded):
   `--rounds` rounds (default 10) all at one free slot, then as many rounds at as many distinct free
   slots. Each contested slot must end with exactly one live booking, held by the one caller that was
   told it won, every other caller must get `SlotTaken`, and every distinct slot must be booked by its
   own caller; otherwise the run says so loudly and exits 1. The losers' `SlotTaken` carries a fresh
   booking choice (the next free slots), so their time includes that. The engine and its pool are the
   ones `build_services` makes, as in production.

Otherwise it exits 0: this is a measurement, not a gate.

    .venv/bin/python bench/bench_booking.py [--requests 600] [--stored 20000] [--database-url URL] [--inline]
                                            [--calls 600] [--contenders 20] [--rounds 10]

With `--database-url postgresql://user@host/NAME` the database NAME is created (through the `postgres`
database) and dropped afterwards; if it already exists it must be empty, and it is emptied again
afterwards. A `sqlite:///PATH` URL must name a file that does not exist yet; it is left behind.
PostgreSQL is analysed after the pre-load, as autovacuum soon would; SQLite is not (panelbot never
runs ANALYZE).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from common import (
    BENCH_AUDIT_KEY,
    DATABASE_URL_HELP,
    PERCENTILES_NOTE,
    TOKEN,
    WARMUP,
    Target,
    WrongAnswer,
    analyse,
    bench_database,
    describe_database,
    environment,
    insert_cases,
    latency_table,
    pounds,
    print_comparison,
    print_table,
    run_alternating,
    serve_in_background,
)
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import Engine, func, insert, select, text

from bot.domain.calendar import Slot
from bot.domain.schedules import bookable_slots, slots_on
from bot.later import InlineExecutor
from bot.logs import configure_logging
from bot.runtime import build_services
from bot.services import Services
from bot.services.booking import DAYS_OFFERED, SlotTaken, _taken, book_slot, booking_choice, free_days
from bot.settings import load_settings
from handlers.slack.app import create_app
from handlers.slack.standin.requests import RequestSigner, SignedRequest
from handlers.slack.standin.webapi import SlackStandIn
from handlers.slack.web import SlackWsgi
from messages.slack.booking import booking_modal
from messages.slack.ids import BookField, Callback, Command
from store import migrate
from store.db import make_engine
from store.models import Case, ForumBooking

TARGET_RATIO = 2.0  # panelbot's ack p99 should be within 2x the bare app's
SEED = 20261122
FORUM = "forum"  # the meeting body booked (the policy's key): the benchmark's cases' route
BOOKER = "U0BOOKER"  # submits the case the booking form is opened for
BENCH_REFERENCE = "88000001"  # pre-loaded references are 7 digits, the benchmark's 8: they never meet
CONTENDER_REFERENCES = 88_100_000
CANCELLED_SHARE = 0.30  # of past bookings
PAST_OCCUPANCY = 0.90  # share of past slots that were held by a live booking
FUTURE_SITTING_DAYS = 30  # how far ahead the pre-load books
# Next sitting day about 80% booked, falling by 6 points a day over the ten offered, then a few.
NEAR_FILL, NEAR_FALL, FAR_FILL = 0.80, 0.06, 0.08
FUTURE_CANCELLED_SHARE = 0.40  # cancelled future bookings, as a share of the live ones


# -- the database -----------------------------------------------------------------------------------


def describe_pool(engine: Engine) -> str:
    pool = engine.pool
    size, overflow = getattr(pool, "size", None), getattr(pool, "_max_overflow", None)
    if callable(size) and overflow is not None:
        return f"{type(pool).__name__}, {size()} connections + {overflow} overflow"
    return type(pool).__name__


# -- the pre-load -----------------------------------------------------------------------------------


@dataclass
class Stored:
    """What the pre-load put in, and the cases the benchmark itself books for."""

    inserted: float = 0.0  # seconds
    analysed: float | None = None
    bench_case: int = 0
    contenders: list[tuple[int, str]] = field(default_factory=list)  # (case id, its submitter)
    window: list[tuple[date, int, int]] = field(default_factory=list)  # the offered days: (day, booked, slots)


def _forum(services: Services) -> Any:
    return services.policy.bodies["forum"]


def _free(services: Services, now: datetime, days: int, taken: set[datetime], lead: timedelta) -> list[Slot]:
    """The forum's slots of the next `days` sitting days from now + lead, less those taken."""
    forum = _forum(services).model_copy(update={"booking_lead_hours": 0})
    return [slot for slot in bookable_slots(services.calendar, forum, now + lead, days)
            if slot.starts_at not in taken]


def _past_slots(services: Services, before: date, need: int) -> list[Slot]:
    """At least `need` sitting slots on the days before `before`, latest first."""
    slots: list[Slot] = []
    day = before - timedelta(days=1)
    while len(slots) < need:
        slots.extend(reversed(slots_on(services.calendar, _forum(services), day)))
        day -= timedelta(days=1)
    return slots


def _case_row(rng: random.Random, key: str, reference: str, submitter: str, stage: str, submitted: datetime,
              updated: datetime) -> dict[str, Any]:
    """A forum case as `/panel submit` would have stored it."""
    request_type = rng.choice(["new_package", "new_package", "increase", "residential_placement", "respite"])
    proposed = pounds(rng, 351, 1800)
    return {
        "reference": reference, "submission_key": key, "service": "adults", "request_type": request_type,
        "proposed_weekly": proposed, "ras_weekly": pounds(rng, 250, 400),
        "current_weekly": proposed - pounds(rng, 10, 60) if request_type == "increase" else None,
        "hours_per_month": None,
        "respite_weeks_per_year": Decimal(rng.randrange(5, 9)) if request_type == "respite" else None,
        "urgent": False, "urgent_reason": None,
        "strengths_and_needs": "Lives alone since a fall; needs support with personal care and meals. " * 3,
        "outcomes": "To stay at home safely.", "alternatives": "Reablement and assistive technology were tried.",
        "evidence": ["occupational therapy"], "record_link": None, "submitter": submitter,
        "team_manager": "U0TOMAS", "attendee": "U0ANNAAP", "route": "forum",
        "reasons": ["Over the forum threshold."], "then": [], "practitioner_must_attend": False,
        "attendance": ["an advanced practitioner or service manager attends with the worker"],
        "evidence_required": ["moving and handling", "occupational therapy"],
        "stage": stage, "is_open": stage in ("awaiting_booking", "booked"), "panel_day": None,
        "panel_starts_at": None, "panel_location": None, "papers_due": None, "panel_late_for": None,
        "card_channel": "C0FORUM001", "card_ts": f"{submitted.timestamp():.6f}",
        "submitted_at": submitted, "updated_at": updated,
    }


def _plan_bookings(services: Services, count: int, now: datetime,
                   rng: random.Random) -> list[tuple[Slot, bool, datetime, datetime | None]]:
    """`count` bookings as (slot, live, booked at, cancelled at), obeying one live booking per slot start."""
    calendar = services.calendar
    upcoming = _free(services, now, FUTURE_SITTING_DAYS, set(), timedelta(0))
    by_day: dict[date, list[Slot]] = {}
    for slot in upcoming:
        by_day.setdefault(calendar.local_date(slot.starts_at), []).append(slot)
    future_live: list[Slot] = []
    for index, slots in enumerate(by_day.values()):
        fill = max(NEAR_FILL - NEAR_FALL * index, 0.2) if index < DAYS_OFFERED else FAR_FILL
        future_live += rng.sample(slots, round(len(slots) * fill))
    future_cancelled = [rng.choice(upcoming) for _ in range(round(len(future_live) * FUTURE_CANCELLED_SHARE))]
    future_live = future_live[:count]
    future_cancelled = future_cancelled[:count - len(future_live)]
    past = count - len(future_live) - len(future_cancelled)
    past_cancelled = round(past * CANCELLED_SHARE)
    past_live = past - past_cancelled
    window = _past_slots(services, calendar.local_date(now), math.ceil(past_live / PAST_OCCUPANCY))
    plan: list[tuple[Slot, bool, datetime, datetime | None]] = []
    for slot in rng.sample(window, past_live):
        plan.append((slot, True, slot.starts_at - timedelta(days=rng.uniform(1, 30)), None))
    for _ in range(past_cancelled):
        slot = rng.choice(window)
        booked = slot.starts_at - timedelta(days=rng.uniform(2, 30))
        plan.append((slot, False, booked, booked + (slot.starts_at - booked) * rng.uniform(0.1, 0.95)))
    for slot in future_live:
        plan.append((slot, True, now - timedelta(days=rng.uniform(0.1, 20)), None))
    for slot in future_cancelled:
        booked = now - timedelta(days=rng.uniform(1, 20))
        plan.append((slot, False, booked, booked + (now - booked) * rng.uniform(0.1, 0.95)))
    rng.shuffle(plan)
    return plan


def preload(engine: Engine, services: Services, count: int, contenders: int) -> Stored:
    """Bulk-insert `count` cases each with one booking (see the module docstring), the benchmark's own case
    with no booking, and `contenders` open cases with none for the concurrency runs."""
    stored = Stored()
    started = time.perf_counter()
    rng = random.Random(SEED)
    now = services.now()
    plan = _plan_bookings(services, count, now, rng)
    workers = [f"U0SW{n:05d}" for n in range(80)]
    cases, references = [], rng.sample(range(1_000_000, 10_000_000), count)
    for n, (slot, live, booked, cancelled) in enumerate(plan):
        past = slot.starts_at < now
        if live:
            stage = rng.choice(["approved"] * 14 + ["approved_with_changes"] * 3 + ["declined"] * 2 + ["deferred"]) \
                if past else "booked"
        else:
            stage = rng.choice(["withdrawn", "withdrawn", "approved"]) if past else "awaiting_booking"
        submitted = booked - timedelta(days=rng.uniform(0.5, 5))
        updated = slot.ends_at + timedelta(hours=1) if past and live else (cancelled or booked)
        cases.append(_case_row(rng, f"seed:{n}", str(references[n]), rng.choice(workers), stage, submitted,
                               min(updated, now)))
    cases.append(_case_row(rng, "bench:form", BENCH_REFERENCE, BOOKER, "awaiting_booking",
                           now - timedelta(days=1), now - timedelta(days=1)))
    for n in range(contenders):
        cases.append(_case_row(rng, f"bench:contender:{n}", str(CONTENDER_REFERENCES + n), f"U0CW{n:05d}",
                               "awaiting_booking", now - timedelta(days=1), now - timedelta(days=1)))
    with engine.begin() as connection:
        insert_cases(connection, cases)
        ids = {key: case_id for key, case_id in connection.execute(select(Case.submission_key, Case.id))}
        bookings = []
        for n, (slot, live, booked, cancelled) in enumerate(plan):
            submitter = cases[n]["submitter"]
            bookings.append({"case_id": ids[f"seed:{n}"], "starts_at": slot.starts_at, "ends_at": slot.ends_at,
                             "day": services.calendar.local_date(slot.starts_at), "booked_by": submitter,
                             "booked_at": booked, "cancelled_at": None if live else cancelled,
                             "cancelled_by": None if live else submitter})
        if bookings:
            connection.execute(insert(ForumBooking), bookings)
    stored.inserted = time.perf_counter() - started
    stored.bench_case = ids["bench:form"]
    stored.contenders = [(ids[f"bench:contender:{n}"], f"U0CW{n:05d}") for n in range(contenders)]
    stored.analysed = analyse(engine)
    taken = live_starts(engine)
    offered = _free(services, now, DAYS_OFFERED, set(),
                    timedelta(hours=services.policy.bodies["forum"].booking_lead_hours))
    per_day = Counter(services.calendar.local_date(slot.starts_at) for slot in offered)
    booked_day = Counter(services.calendar.local_date(slot.starts_at) for slot in offered if slot.starts_at in taken)
    stored.window = [(day, booked_day[day], total) for day, total in sorted(per_day.items())]
    return stored


def live_starts(engine: Engine) -> set[datetime]:
    with engine.connect() as connection:
        return set(connection.scalars(select(ForumBooking.starts_at).where(ForumBooking.cancelled_at.is_(None))))


def table_counts(engine: Engine, now: datetime) -> dict[str, int]:
    live = ForumBooking.cancelled_at.is_(None)
    with engine.connect() as connection:
        def count(*where: Any, table: Any = ForumBooking) -> int:
            return connection.scalar(select(func.count()).select_from(table).where(*where)) or 0
        return {"cases": count(table=Case), "open cases": count(Case.is_open, table=Case),
                "bookings": count(), "cancelled": count(ForumBooking.cancelled_at.is_not(None)),
                "live past": count(live, ForumBooking.starts_at < now),
                "live future": count(live, ForumBooking.starts_at >= now)}


# -- 1. the booking form over HTTP ----------------------------------------------------------------------


class TimedStandIn(SlackStandIn):
    """The Web API stand-in, noting when each `views.open` arrives (perf_counter), by trigger id."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.opened: dict[str, float] = {}

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "views.open":
            self.opened[str(args.get("trigger_id"))] = time.perf_counter()
        return super()._answer(method, args)


@dataclass
class Commands:
    """Fresh signed `/panel book <ref>` commands, each noting its trigger id and when it was built (just before
    it is sent: `Target.send` starts its clock right after `build`)."""

    signer: RequestSigner
    sent: dict[str, float] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def next(self) -> SignedRequest:
        signed = self.signer.command(BOOKER, f"book {BENCH_REFERENCE}")
        trigger = dict(parse_qsl(signed.body))["trigger_id"]
        self.order.append(trigger)
        self.sent[trigger] = time.perf_counter()
        return signed


def book_target(name: str, port: int, commands: Commands) -> Target:
    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:300]!r}"
        return None if body == b"" else f"the ack is not empty (a refusal?): {body[:300]!r}"

    return Target(name, port, commands.next, check)


def bare_bolt_app(secret: str, api_url: str, executor: Executor | None, view: dict[str, Any]) -> SlackRequestHandler:
    """The floor: a plain Bolt app whose `/panel` listener acks and opens a static modal, via Bolt's WSGI adapter."""
    app = App(signing_secret=secret, client=WebClient(token=TOKEN, base_url=api_url), listener_executor=executor)

    @app.command(Command.PANEL)
    def panel(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=view)

    return SlackRequestHandler(app)


def slot_values(view: dict[str, Any]) -> list[str]:
    blocks = [b for b in view.get("blocks", []) if b.get("block_id") == BookField.SLOT.value]
    if not blocks:
        return []
    return [option["value"] for group in blocks[0]["element"]["option_groups"] for option in group["options"]]


@dataclass
class FormRun:
    targets: list[Target]
    opened: dict[str, list[float]]  # target -> request → views.open, ms (timed requests only)
    view_bytes: int
    options: int


def measure_form(args: argparse.Namespace, settings: Any, services: Services, standin: TimedStandIn, secret: str,
                 stored: Stored) -> FormRun:
    """The HTTP comparison. Raises WrongAnswer."""
    choice = booking_choice(services, BOOKER, reference=BENCH_REFERENCE)
    static_view = booking_modal(choice)
    expected = slot_values(static_view)
    inline = InlineExecutor() if args.inline else None
    app = create_app(settings, services, listener_executor=inline)
    panelbot_port = serve_in_background(SlackWsgi(app, services, secret))
    floor_port = serve_in_background(bare_bolt_app(secret, standin.api_url, inline, static_view))
    signer = RequestSigner(secret, response_url_base=standin.base_url + "response/")
    commands = {"panelbot": Commands(signer), "bare-bolt": Commands(signer)}
    targets = [book_target(name, port, commands[name])
               for name, port in (("panelbot", panelbot_port), ("bare-bolt", floor_port))]
    standin.reset()  # start-up's auth.test is not part of the run
    try:
        run_alternating(targets, args.requests)
    finally:
        for target in targets:
            target.close()
    # With the thread pool, the last views.open may still be on its way.
    everyone = [trigger for made in commands.values() for trigger in made.order]
    deadline = time.monotonic() + 30
    while any(trigger not in standin.opened for trigger in everyone):
        if time.monotonic() > deadline:
            missing = sum(trigger not in standin.opened for trigger in everyone)
            raise WrongAnswer(f"{missing} requests never reached views.open")
        time.sleep(0.01)
    # Every modal panelbot opened must be this case's booking form, offering no booked slot.
    taken = {start.isoformat() for start in live_starts(services.engine)}
    views = {call.args.get("trigger_id"): call.args.get("view") for call in standin.calls_to("views.open")}
    for trigger in commands["panelbot"].order:
        view = views.get(trigger) or {}
        form = (view.get("callback_id"), view.get("private_metadata"))
        if form != (Callback.BOOK_FORM.value, str(stored.bench_case)):
            raise WrongAnswer(f"panelbot opened something other than the booking form: {json.dumps(view)[:300]}")
        offered = slot_values(view)
        if not offered or taken.intersection(offered):
            raise WrongAnswer(f"panelbot's booking form offers {len(offered)} slots, "
                              f"{len(taken.intersection(offered))} of them already booked")
    opened = {name: [(standin.opened[t] - made.sent[t]) * 1000 for t in made.order[WARMUP:]]
              for name, made in commands.items()}
    return FormRun(targets, opened, len(json.dumps(static_view)), len(expected))


# -- 1b. the query alone, in-process ----------------------------------------------------------------------


def _timed(calls: int, setup: Callable[[], Any], work: Callable[[Any], Any],
           teardown: Callable[[Any], None]) -> list[float]:
    samples = []
    for _ in range(calls + WARMUP):
        state = setup()
        started = time.perf_counter()
        work(state)
        samples.append((time.perf_counter() - started) * 1000)
        teardown(state)
    return samples[WARMUP:]


def measure_in_process(services: Services, calls: int) -> dict[str, list[float]]:
    """`free_days` and its parts, and the whole `booking_choice`, `calls` times each (after warm-up)."""
    lead = timedelta(hours=_forum(services).booking_lead_hours)

    def open_session() -> Any:
        session = services.sessions()
        session.connection()  # check the connection out (and ping it) before the clock starts
        return session

    def close(session: Any) -> None:
        session.close()

    def taken_query(session: Any) -> set[datetime]:
        # The query `free_days` makes (`bot.services.booking._taken` itself: the forum's live bookings in the
        # window), over a window at least as long as the one it asks for.
        now = services.now()
        return _taken(session, FORUM, now, now + timedelta(days=DAYS_OFFERED * 3 + 14))

    def by_reference(session: Any) -> None:
        # `booking_choice`'s first lookup: the open case with the reference typed after `/panel book`.
        session.scalars(select(Case.id).where(Case.reference == BENCH_REFERENCE, Case.is_open)).first()

    def arithmetic(_: Any) -> None:
        _free(services, services.now(), DAYS_OFFERED, set(), lead)

    def nothing() -> None:
        return None

    return {
        "free_days()": _timed(calls, open_session, lambda s: free_days(services, s, services.now(), FORUM), close),
        "  its query": _timed(calls, open_session, taken_query, close),
        "  its slot arithmetic": _timed(calls, nothing, arithmetic, lambda _: None),
        "open case by reference": _timed(calls, open_session, by_reference, close),
        "booking_choice()": _timed(calls, nothing, lambda _: booking_choice(services, BOOKER,
                                                                            reference=BENCH_REFERENCE),
                                   lambda _: None),
    }


def query_plans(engine: Engine, now: datetime, case_id: int) -> dict[str, list[str]]:
    """How the database answers the three lookups of `booking_choice` (SQL as SQLAlchemy writes it)."""
    postgres = engine.dialect.name == "postgresql"
    horizon = now + timedelta(days=DAYS_OFFERED * 3 + 14)
    if not postgres:
        now, horizon = now.replace(tzinfo=None), horizon.replace(tzinfo=None)
    by_reference = ("SELECT cases.id FROM cases WHERE cases.reference = :ref AND cases.is_open" if postgres
                    else "SELECT cases.id FROM cases WHERE cases.reference = :ref AND cases.is_open = 1")
    queries = {
        "open case by reference": (by_reference, {"ref": BENCH_REFERENCE}),
        "live booking of the case": ("SELECT forum_booking.id FROM forum_booking WHERE forum_booking.case_id = :id "
                                     "AND forum_booking.cancelled_at IS NULL", {"id": case_id}),
        "taken slots in the window": ("SELECT forum_booking.starts_at FROM forum_booking WHERE "
                                      "forum_booking.body = :body AND forum_booking.cancelled_at IS NULL AND "
                                      "forum_booking.starts_at >= :start AND forum_booking.starts_at < :end",
                                      {"body": FORUM, "start": now, "end": horizon}),
    }
    prefix = "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) " if postgres else "EXPLAIN QUERY PLAN "
    plans = {}
    with engine.connect() as connection:
        for name, (query, params) in queries.items():
            rows = connection.execute(text(prefix + query), params).all()
            plans[name] = [str(row[0]) if postgres else str(row[-1]) for row in rows]
    return plans


# -- 2. concurrent booking --------------------------------------------------------------------------------


@dataclass
class Round:
    slots: list[Slot]  # one per contender, the same one when contested
    outcomes: list[str] = field(default_factory=list)  # "won", "taken", or what went wrong
    seconds: list[float] = field(default_factory=list)  # each attempt's own time
    wall: float = 0.0  # barrier release to the last attempt's end


def run_round(services: Services, contenders: list[tuple[int, str]], slots: list[Slot]) -> Round:
    result = Round(slots, ["?"] * len(contenders), [0.0] * len(contenders))
    barrier = threading.Barrier(len(contenders) + 1)

    def attempt(n: int) -> None:
        case_id, actor = contenders[n]
        barrier.wait()
        started = time.perf_counter()
        try:
            book_slot(services, case_id, slots[n].starts_at, actor)
            outcome = "won"
        except SlotTaken:
            outcome = "taken"
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"[:300]
        result.seconds[n] = time.perf_counter() - started
        result.outcomes[n] = outcome

    threads = [threading.Thread(target=attempt, args=(n,), name=f"contender-{n}") for n in range(len(contenders))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - started
    return result


def holders(engine: Engine, starts: list[datetime]) -> dict[datetime, list[int]]:
    """The cases holding a live booking at each of `starts`."""
    held: dict[datetime, list[int]] = {start: [] for start in starts}
    with engine.connect() as connection:
        for case_id, start in connection.execute(select(ForumBooking.case_id, ForumBooking.starts_at).where(
                ForumBooking.cancelled_at.is_(None), ForumBooking.starts_at.in_(starts))):
            held[start].append(case_id)
    return held


def check_round(engine: Engine, round_: Round, contenders: list[tuple[int, str]], contested: bool) -> list[str]:
    """What is wrong with the round's outcome, if anything."""
    problems = []
    held = holders(engine, sorted({slot.starts_at for slot in round_.slots}))
    odd = [outcome for outcome in round_.outcomes if outcome not in ("won", "taken")]
    if odd:
        problems.append(f"{len(odd)} attempts failed with an unexpected error, e.g. {odd[0]}")
    if contested:
        [(start, cases)] = held.items()
        winners = [contenders[n][0] for n, outcome in enumerate(round_.outcomes) if outcome == "won"]
        if len(cases) != 1 or len(winners) != 1 or cases != winners:
            problems.append(f"slot {start.isoformat()}: {len(cases)} live bookings, {len(winners)} callers told "
                            f"they won (cases holding it {cases}, winners {winners})")
    else:
        for n, slot in enumerate(round_.slots):
            if held[slot.starts_at] != [contenders[n][0]] or round_.outcomes[n] != "won":
                problems.append(f"slot {slot.starts_at.isoformat()}: held by {held[slot.starts_at]}, expected "
                                f"[{contenders[n][0]}]; its caller got {round_.outcomes[n]}")
    return problems


def free_slots(services: Services, need: int) -> list[Slot]:
    """At least `need` free bookable slots, earliest first."""
    lead = timedelta(hours=services.policy.bodies["forum"].booking_lead_hours)
    taken = live_starts(services.engine)
    days = DAYS_OFFERED
    while True:
        # A little past `now + lead`, so that no slot drifts into the lead time during the run.
        slots = _free(services, services.now() + timedelta(minutes=10), days, taken, lead)
        if len(slots) >= need:
            return slots[:need]
        days *= 2


def measure_concurrency(services: Services, stored: Stored, contenders: int,
                        rounds: int) -> tuple[dict[str, list[Round]], list[str]]:
    slots = free_slots(services, rounds + rounds * contenders)
    contested_slots, distinct_slots = slots[:rounds], slots[rounds:]
    people = stored.contenders
    runs: dict[str, list[Round]] = {"contested": [], "distinct": []}
    problems: list[str] = []
    for r in range(rounds):
        group = people[r * contenders:(r + 1) * contenders]
        round_ = run_round(services, group, [contested_slots[r]] * contenders)
        runs["contested"].append(round_)
        problems += check_round(services.engine, round_, group, contested=True)
    offset = rounds * contenders
    for r in range(rounds):
        group = people[offset + r * contenders:offset + (r + 1) * contenders]
        round_ = run_round(services, group, distinct_slots[r * contenders:(r + 1) * contenders])
        runs["distinct"].append(round_)
        problems += check_round(services.engine, round_, group, contested=False)
    return runs, problems


# -- the report -------------------------------------------------------------------------------------------


def report_setup(url: str, stored: Stored, counts: dict[str, int], pool: str) -> None:
    print(environment())
    print(f"database: {describe_database(url)}; connection pool: {pool}")
    print(f"stored: {counts['bookings']} bookings ({counts['cancelled']} cancelled, {counts['live past']} live in "
          f"the past, {counts['live future']} live to come) on {counts['cases']} cases ({counts['open cases']} "
          f"open; {1 + len(stored.contenders)} of them the benchmark's own, with no booking)")
    analyse = f", ANALYZE {stored.analysed:.2f} s" if stored.analysed is not None else ""
    print(f"pre-load (bulk inserts, not through the app): {stored.inserted:.2f} s{analyse}")
    print("the offered sitting days, booked/slots from now + lead: " + ", ".join(
        f"{day:%a %d %b} {booked}/{total}" for day, booked, total in stored.window))


def report_form(args: argparse.Namespace, run: FormRun) -> None:
    print()
    print(f"1. `/panel book {BENCH_REFERENCE}` over HTTP: {run.options} free slots offered, modal "
          f"{run.view_bytes} bytes of JSON (the floor opens the same modal, built once)")
    if args.inline:
        print("listeners: inline (no 10 ms ack poll); both acks return only after views.open")
    else:
        print("listeners: Bolt's default thread pool (10 ms ack poll); panelbot queries before its ack, "
              "views.open follows the ack in both apps")
    print(PERCENTILES_NOTE)
    print()
    print("request → ack (response body read):")
    figures = print_table(run.targets)
    print()
    print_comparison(figures, "panelbot", "bare-bolt", TARGET_RATIO,
                     f"ack p99 within {TARGET_RATIO:g}x of the bare app")
    print()
    print("request → views.open at the stand-in (the form appears):")
    opened = latency_table(run.opened)
    (p50, p99, _), (floor50, floor99, _) = opened["panelbot"], opened["bare-bolt"]
    print(f"p50 ratio {p50 / floor50:.2f}x ({p50 - floor50:+.2f} ms), p99 ratio {p99 / floor99:.2f}x "
          f"({p99 - floor99:+.2f} ms)")


def report_in_process(samples: dict[str, list[float]], plans: dict[str, list[str]]) -> None:
    print()
    print("in-process, no HTTP (the connection already checked out, except for booking_choice(), which opens "
          "its own session):")
    latency_table(samples)
    print()
    print("query plans:")
    for name, lines in plans.items():
        print(f"  {name}: " + " | ".join(line.strip() for line in lines))


def report_concurrency(runs: dict[str, list[Round]], contenders: int, problems: list[str]) -> None:
    print()
    print(f"2. concurrent book_slot, {contenders} threads released together each round, distinct cases:")
    print(f"{'run':<30} {'attempts':>8} {'booked':>7} {'taken':>6} {'other':>6} {'wall s':>7} "
          f"{'tried/s':>8} {'booked/s':>9} {'p50 ms':>8} {'max ms':>8}")
    for name, rounds in runs.items():
        outcomes = Counter(outcome for round_ in rounds for outcome in round_.outcomes)
        seconds = [s * 1000 for round_ in rounds for s in round_.seconds]
        wall = sum(round_.wall for round_ in rounds)
        attempts, won, taken = sum(outcomes.values()), outcomes["won"], outcomes["taken"]
        label = (f"{len(rounds)} x {contenders} at one slot" if name == "contested"
                 else f"{len(rounds)} x {contenders} at {contenders} slots")
        print(f"{label:<30} {attempts:>8} {won:>7} {taken:>6} {attempts - won - taken:>6} {wall:>7.2f} "
              f"{attempts / wall:>8.1f} {won / wall:>9.1f} {statistics.median(seconds):>8.1f} {max(seconds):>8.1f}")
    contested = runs["contested"]
    per_slot = [sum(outcome == "won" for outcome in round_.outcomes) for round_ in contested]
    print(f"contested slots: {len(contested)}, winners per slot {sorted(set(per_slot))}, "
          f"live bookings checked after each round")
    if problems:
        print()
        print("WRONG: " + "\nWRONG: ".join(problems))


# -- the run ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="timed `/panel book` requests per target "
                                                                   "(default 600)")
    parser.add_argument("--stored", type=int, default=20_000, help="bookings (and cases) pre-loaded (default 20000)")
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    parser.add_argument("--inline", action="store_true",
                        help="run both apps' listeners in the request thread: the ack follows views.open")
    parser.add_argument("--calls", type=int, default=600, help="in-process calls timed (default 600)")
    parser.add_argument("--contenders", type=int, default=20, help="threads booking at once (default 20)")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of each concurrent run (default 10)")
    args = parser.parse_args(argv)
    if args.requests < 100 or args.calls < 100:
        parser.error("--requests and --calls must be at least 100 for a p99 to mean anything")
    if not 0 <= args.stored <= 1_000_000:
        parser.error("--stored must be between 0 and 1,000,000")
    if args.contenders < 2 or args.rounds < 1:
        parser.error("--contenders must be at least 2 and --rounds at least 1")

    with tempfile.TemporaryDirectory(prefix="panelbot-bench-", ignore_cleanup_errors=True) as tmp:
        log_path = Path(tmp) / "bench.log"
        with (bench_database(args.database_url, Path(tmp), "bench_booking") as url,
              log_path.open("w", encoding="utf-8") as log):
            configure_logging("WARNING", stream=log)
            engine = make_engine(url)
            migrate.upgrade(engine)
            standin = TimedStandIn().start()
            secret = secrets.token_hex(16)
            settings = load_settings(env_file=None, slack_bot_token=TOKEN, slack_signing_secret=secret,
                                     slack_api_url=standin.api_url, database_url=url,
                                     panelbot_audit_key=BENCH_AUDIT_KEY)
            services = build_services(settings)
            try:
                stored = preload(engine, services, args.stored, 2 * args.rounds * args.contenders)
                counts = table_counts(engine, services.now())
                report_setup(url, stored, counts, describe_pool(services.engine))
                try:
                    form = measure_form(args, settings, services, standin, secret, stored)
                except WrongAnswer as exc:
                    print(f"aborted: {exc}", file=sys.stderr)
                    return 1
                report_form(args, form)
                samples = measure_in_process(services, args.calls)
                report_in_process(samples, query_plans(engine, services.now(), stored.bench_case))
                runs, problems = measure_concurrency(services, stored, args.contenders, args.rounds)
                report_concurrency(runs, args.contenders, problems)
            finally:
                standin.stop()
                services.engine.dispose()
                engine.dispose()
        warnings = [line for line in log_path.read_text("utf-8").splitlines() if line.strip()]
        if warnings:
            print(f"log lines at WARNING or above: {len(warnings)}; the first: {warnings[0][:300]}")
    if problems:
        print(f"aborted: {len(problems)} concurrency checks failed (see WRONG above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
