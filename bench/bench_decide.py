"""A decision click (block_actions → ack) with 10,000 cases stored: panelbot against a bare Bolt app.

panelbot is the real app (`create_app`, all handlers, Bolt's default thread-pool listener executor,
or `--inline`) inside `handlers.slack.web.SlackWsgi`, on a database that already holds `--stored` cases (a fresh
SQLite file, or PostgreSQL with `--database-url`). The services run on a pinned clock, Tuesday
24 November 2026 10:00 UTC (a forum sitting day, 09:00–13:00 London, eight 30-minute slots).

Each timed request is a signed `block_actions` payload for the button "decide_approved" with the value
"<case id>:1", as the case card in the forum channel carries it. Three series, in alternating blocks:

- **panelbot**: the chair of the day (`bot.services.views.chair_of`) clicks on one of the eight open
  forum cases booked for today's sitting (taken in turn). The listener acks, `start_decision` loads
  the case, its live booking and its decisions and checks the chair, and `views.open` opens the
  decision form (`decision_modal`). Every click is permitted and the case undecided: a click only
  opens the form, so nothing changes from one click to the next.
- **refused**: a chair of another day clicks on the same cases; the service refuses it
  (`NotAllowed`: "Only the chair of the Enhanced Peer Forum on Tuesday 24 November …") and the listener posts
  that as an ephemeral to the payload's `response_url`.
- **bare-bolt**, the floor: a plain Bolt app whose `@app.action("decide_approved")` listener acks
  and calls `client.views_open` with a static decision form (the one panelbot builds for the first
  of the cases, built once), served through Bolt's WSGI adapter (`SlackRequestHandler`).

Both apps run on waitress with the adjustments `bot.web.serve` uses (8 threads) on 127.0.0.1 and talk
to one Slack Web API stand-in, which notes when each `views.open` and each response-URL post arrives.
Each request is built and signed before the clock starts, then timed from just before it is sent to
just after the whole response body is read (the ack), over one keep-alive connection per series. 50
warm-up requests each, then the series alternate in 10 blocks. A second figure per series: request →
`views.open` (or → the refusal at the response URL) reaching the stand-in, when the person sees it.

Every ack must be an empty 200. Afterwards every permitted click must have opened the decision form
for its case, every refused click must have posted the refusal and opened nothing, and no decision
may have been recorded (the stored cases are unchanged), or the run exits 1. Otherwise it exits 0:
this is a measurement, not a gate. Target: panelbot's ack p99 within 2x of the floor's (the issue
gives no number; 2x is the target `bench_submit.py` and `bench_booking.py` use).

The pre-load (bulk inserts, not through the app, timed separately): `--stored` cases, eight of them
the benchmark's own, the rest a mix of routes as `bench_submit.py` stores them (40% delegated, 35%
forum, 15% SEND panel, 10% urgent, about half closed). Every closed case has its decision row; a
closed forum case has its (past) live booking, some an earlier cancelled one too; open forum cases
are booked on the coming sitting days (about 70% of their slots) or wait for a booking. PostgreSQL is
then analysed, as autovacuum soon would be; SQLite is not (panelbot never runs ANALYZE).

    .venv/bin/python bench/bench_decide.py [--requests 600] [--stored 10000] [--database-url URL] [--inline]
                                           [--calls 600] [--profile]

Then `start_decision` alone, in-process, `--calls` times for a permitted and a refused click, and
`decision_modal` alone. `--profile` skips the HTTP comparison and runs the permitted clicks
in-process through `app.dispatch` (listeners inline) under cProfile.

With `--database-url postgresql://user@host/NAME` the database NAME is created (through the
`postgres` database) and dropped afterwards; if it already exists it must be empty, and it is emptied
again afterwards. A `sqlite:///PATH` URL must name a file that does not exist yet; it is left behind.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from common import (
    BENCH_AUDIT_KEY,
    DATABASE_URL_HELP,
    FILLER,
    OPEN_STAGES,
    PERCENTILES_NOTE,
    REQUEST_TYPES,
    ROUTE_CHANNELS,
    ROUTE_WEIGHTS,
    ROUTES,
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
    print_profile_stats,
    print_table,
    run_alternating,
    serve_in_background,
)
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlalchemy import Engine, event, func, insert, select

from bot.domain.calendar import Slot
from bot.domain.decisions import Outcome
from bot.domain.schedules import slots_on
from bot.errors import UserError
from bot.later import InlineExecutor
from bot.logs import configure_logging
from bot.runtime import build_services
from bot.services import Services
from bot.services.decisions import NotAllowed, start_decision
from bot.services.views import chair_of
from bot.settings import Settings, load_settings
from handlers.slack.app import create_app
from handlers.slack.standin.requests import RequestSigner, SignedRequest
from handlers.slack.standin.webapi import SlackStandIn
from handlers.slack.web import SlackWsgi
from messages.slack.decisions import decision_modal
from messages.slack.ids import Callback, decide_action
from store import migrate
from store.db import make_engine
from store.models import Case, Decision, ForumBooking

TARGET_RATIO = 2.0  # panelbot's decision click → ack p99 should be within 2x the bare app's
SEED = 20261122
PINNED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 24 November 2026, 10:00 in London (GMT)
TODAY = date(2026, 11, 24)
OUTCOME = Outcome.APPROVED
ACTION_ID = decide_action(OUTCOME.value)  # "decide_approved"
FORUM_CHANNEL = ROUTE_CHANNELS["forum"]  # where the case cards are
CARD_TS = "1795860000.000100"  # the case card's ts, as the click payload's message_ts
BENCH_SUBMITTER = "U0BENCHSW1"  # submitted the benchmark's own cases (never a chair)
BENCH_REFERENCES = 88_200_000  # pre-loaded references are 7 digits, the benchmark's 8: they never meet
FUTURE_SITTING_DAYS = 20  # how far ahead open forum cases are booked
FUTURE_FILL = 0.70  # share of those slots booked
REFUSAL_WORDS = "Only the chair of the Enhanced Peer Forum on Tuesday 24 November"


# -- the pre-load -----------------------------------------------------------------------------------

# The mix of routes is bench_submit.py's (ROUTES and the tables after it, in common.py); closed cases here end
# in any of the decided stages, not only "approved".
_CLOSED_STAGES = ["approved"] * 14 + ["approved_with_changes"] * 3 + ["declined"] * 2


@dataclass
class Stored:
    """What the pre-load put in."""

    inserted: float = 0.0  # seconds
    analysed: float | None = None
    cases: list[int] = field(default_factory=list)  # the benchmark's own: open, booked for today's sitting
    references: dict[int, str] = field(default_factory=dict)


def _case_row(rng: random.Random, n: int, key: str, reference: str, route: str, stage: str, submitted: datetime,
              submitter: str, policy_evidence: list[str]) -> dict[str, Any]:
    """A case as `/panel submit` would have stored it, then moved on to `stage`."""
    request_type = rng.choice(REQUEST_TYPES[route])
    if route == "delegated":
        proposed = pounds(rng, 80, 340)
        ras: Decimal | None = proposed + pounds(rng, 0, 40)
    elif route == "forum":
        proposed, ras = pounds(rng, 351, 1800), pounds(rng, 250, 400)
    else:
        proposed, ras = pounds(rng, 150, 900), pounds(rng, 150, 600)
    changes = request_type in ("increase", "decrease")
    listed = route == "send_panel"
    panel_day = (submitted + timedelta(days=rng.randrange(10, 40))).date() if listed else None
    closed = stage in _CLOSED_STAGES
    return {
        "reference": reference, "submission_key": key,
        "service": "children_send" if listed else "adults", "request_type": request_type,
        "proposed_weekly": proposed, "ras_weekly": ras,
        "current_weekly": proposed - pounds(rng, 10, 60) if changes else None,
        "hours_per_month": Decimal(rng.randrange(10, 80)) if listed else None,
        "respite_weeks_per_year": Decimal(rng.randrange(5, 9)) if request_type == "respite" else None,
        "urgent": route == "urgent",
        "urgent_reason": "The carer was taken into hospital." if route == "urgent" else None,
        "strengths_and_needs": FILLER * rng.randrange(2, 6), "outcomes": FILLER[:rng.randrange(60, 180)],
        "alternatives": FILLER[:rng.randrange(40, 160)],
        "evidence": rng.sample(policy_evidence, rng.randrange(0, 3)),
        "record_link": None, "submitter": submitter, "team_manager": "U0TOMAS" if n % 12 == 0 else f"U0TM{n % 11:05d}",
        "attendee": f"U0AP{n % 7:05d}" if route != "delegated" or rng.random() < 0.3 else None,
        "route": route, "reasons": [f"Routed to {route} by the policy's rules."],
        "then": ["endorsement"] if route == "urgent" else [],
        "practitioner_must_attend": listed and rng.random() < 0.5,
        "attendance": ["an advanced practitioner or service manager attends with the worker"]
        if route == "forum" else [],
        "evidence_required": policy_evidence[:2] if route == "forum" else [],
        "stage": stage, "is_open": not closed,
        "panel_day": panel_day,
        "panel_starts_at": datetime.combine(panel_day, datetime.min.time(), UTC) + timedelta(hours=10)
        if panel_day else None,
        "panel_location": "County Hall, room 2" if listed else None,
        "papers_due": panel_day - timedelta(days=14) if panel_day else None,
        "panel_late_for": None, "card_channel": ROUTE_CHANNELS[route], "card_ts": f"{submitted.timestamp():.6f}",
        "submitted_at": submitted,
        "updated_at": submitted + timedelta(days=rng.uniform(1, 30)) if closed else submitted,
    }


def _slots_from(services: Services, first: date, step: int, *, need: int = 0, sitting_days: int = 0) -> list[Slot]:
    """Sitting slots day by day from `first` (step +1 forwards, -1 backwards): at least `need` of them, and all
    of the first `sitting_days` sitting days."""
    forum = services.policy.bodies["forum"]
    slots: list[Slot] = []
    day, days_found = first, 0
    while len(slots) < need or days_found < sitting_days:
        found = slots_on(services.calendar, forum, day)
        if found:
            days_found += 1
            slots.extend(found if step > 0 else reversed(found))
        elif step > 0 and day > first + timedelta(days=366):
            break  # the forum never sits
        day += timedelta(days=step)
    return slots


def preload(engine: Engine, services: Services, count: int) -> Stored:
    """Bulk-insert `count` cases (see the module docstring), with their bookings and decisions."""
    stored = Stored()
    started = time.perf_counter()
    rng = random.Random(SEED)
    now = services.now()
    evidence = list(services.policy.bodies["forum"].evidence)
    today_slots = _slots_from(services, TODAY, 1, sitting_days=1)
    if not today_slots or services.calendar.local_date(today_slots[0].starts_at) != TODAY:
        raise SystemExit(f"the forum does not sit on {TODAY}: the pinned clock needs a sitting day")
    mixed = count - len(today_slots)
    workers = [f"U0SW{n:05d}" for n in range(80)]
    plan = []  # (route, stage, submitted)
    for _ in range(mixed):
        route = rng.choices(ROUTES, ROUTE_WEIGHTS)[0]
        stage = rng.choice(_CLOSED_STAGES) if rng.random() < 0.5 else rng.choice(OPEN_STAGES[route])
        plan.append((route, stage, now - timedelta(days=rng.uniform(1, 730))))
    closed_forum = sum(1 for route, stage, _ in plan if route == "forum" and stage in _CLOSED_STAGES)
    booked_forum = [n for n, (route, stage, _) in enumerate(plan) if route == "forum" and stage == "booked"]
    past = iter(rng.sample(_slots_from(services, TODAY - timedelta(days=1), -1, need=int(closed_forum / 0.9) + 1),
                           closed_forum))
    upcoming = _slots_from(services, TODAY + timedelta(days=1), 1, sitting_days=FUTURE_SITTING_DAYS)
    future = iter(rng.sample(upcoming, min(len(booked_forum), round(len(upcoming) * FUTURE_FILL))))
    rows, bookings_for = [], {}  # row index -> (slot, booked at, an earlier cancelled slot or None)
    references = rng.sample(range(1_000_000, 10_000_000), mixed)
    for n, (route, stage, submitted) in enumerate(plan):
        if route == "forum" and stage == "booked":
            slot = next(future, None)
            if slot is None:  # the coming sittings are as full as the pre-load makes them
                stage = "awaiting_booking"
            else:
                bookings_for[n] = (slot, min(now, submitted + timedelta(days=rng.uniform(1, 5))), None)
        elif route == "forum" and stage in _CLOSED_STAGES:
            slot = next(past)
            submitted = slot.starts_at - timedelta(days=rng.uniform(5, 30))
            earlier = slot.starts_at - timedelta(days=rng.randrange(1, 4) * 7) if rng.random() < 0.2 else None
            bookings_for[n] = (slot, submitted + timedelta(days=rng.uniform(1, 4)), earlier)
        rows.append(_case_row(rng, n, f"seed:{n}", str(references[n]), route, stage, submitted,
                              rng.choice(workers), evidence))
        if route == "forum" and stage in _CLOSED_STAGES:
            rows[-1]["updated_at"] = bookings_for[n][0].ends_at + timedelta(hours=1)  # decided at its sitting
    for n, slot in enumerate(today_slots):
        submitted = now - timedelta(days=rng.uniform(8, 20))
        rows.append(_case_row(rng, n, f"bench:{n}", str(BENCH_REFERENCES + n), "forum", "booked", submitted,
                              BENCH_SUBMITTER, evidence))
        bookings_for[mixed + n] = (slot, submitted + timedelta(days=2), None)
    with engine.begin() as connection:
        insert_cases(connection, rows)
        ids = {key: case_id for key, case_id in connection.execute(select(Case.submission_key, Case.id))}
        bookings, decisions = [], []
        for n, row in enumerate(rows):
            case_id = ids[row["submission_key"]]
            if n in bookings_for:
                slot, booked_at, earlier = bookings_for[n]
                day = services.calendar.local_date(slot.starts_at)
                if earlier is not None:
                    bookings.append({"case_id": case_id, "starts_at": earlier, "ends_at": earlier + (slot.ends_at -
                                     slot.starts_at), "day": services.calendar.local_date(earlier),
                                     "booked_by": row["submitter"], "booked_at": booked_at - timedelta(days=1),
                                     "cancelled_at": booked_at, "cancelled_by": row["submitter"]})
                bookings.append({"case_id": case_id, "starts_at": slot.starts_at, "ends_at": slot.ends_at, "day": day,
                                 "booked_by": row["submitter"], "booked_at": booked_at, "cancelled_at": None,
                                 "cancelled_by": None})
            if not row["is_open"]:
                decided = row["updated_at"]
                decisions.append({"case_id": case_id, "round": 1, "kind": "decision", "outcome": row["stage"],
                                  "reason": "Within the policy; community options explored.",
                                  "amended_weekly": row["proposed_weekly"] - 20
                                  if row["stage"] == "approved_with_changes" else None,
                                  "conditions": "Review in six weeks." if row["stage"] == "approved_with_changes"
                                  else None, "info_needed": None, "practice_concern": None, "concern_actions": None,
                                  "stage_after": row["stage"], "decided_by": row["team_manager"],
                                  "decided_at": decided})
        if bookings:
            connection.execute(insert(ForumBooking), bookings)
        if decisions:
            connection.execute(insert(Decision), decisions)
    stored.inserted = time.perf_counter() - started
    stored.cases = [ids[f"bench:{n}"] for n in range(len(today_slots))]
    stored.references = {ids[f"bench:{n}"]: str(BENCH_REFERENCES + n) for n in range(len(today_slots))}
    stored.analysed = analyse(engine)
    return stored


def table_counts(engine: Engine, bench_cases: list[int]) -> dict[str, int]:
    live = ForumBooking.cancelled_at.is_(None)
    with engine.connect() as connection:
        def count(*where: Any, table: Any = Case) -> int:
            return connection.scalar(select(func.count()).select_from(table).where(*where)) or 0
        return {
            "cases": count(), "open": count(Case.is_open),
            "open forum": count(Case.is_open, Case.route == "forum"),
            "bookings": count(table=ForumBooking), "live bookings": count(live, table=ForumBooking),
            "live today": count(live, ForumBooking.day == TODAY, table=ForumBooking),
            "decisions": count(table=Decision),
            "bench booked": count(Case.id.in_(bench_cases), Case.stage == "booked", Case.is_open),
        }


def permitted_view(services: Services, case_id: int, chair: str) -> Any:
    """`start_decision` for the chair of the day, who must be let through. Raises WrongAnswer otherwise."""
    try:
        return start_decision(services, case_id, 1, OUTCOME, chair)
    except UserError as exc:
        raise WrongAnswer(f"start_decision refused the chair of the day ({chair}) on case {case_id}: "
                          f"{type(exc).__name__} {exc} {exc.facts}") from None


# -- the three series over HTTP -----------------------------------------------------------------------


class TimedStandIn(SlackStandIn):
    """The Web API stand-in, noting when each `views.open` (by trigger id) and each response-URL post (by path)
    arrives (perf_counter)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.opened: dict[str, float] = {}
        self.responded: dict[str, float] = {}

    def _handle(self, request: Any) -> None:
        path = urlsplit(request.path).path
        if path.startswith("/response/"):
            self.responded[path] = time.perf_counter()
        super()._handle(request)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "views.open":
            self.opened[str(args.get("trigger_id"))] = time.perf_counter()
        return super()._answer(method, args)


@dataclass
class Clicks:
    """Fresh signed clicks on "decide_approved" by `user`, on `cases` in turn. Each notes its trigger id, its
    response URL's path and when it was built (just before it is sent: `Target.send` starts its clock right
    after `build`)."""

    signer: RequestSigner
    user: str
    cases: list[int]
    name: str
    response_base: str
    sent: dict[str, float] = field(default_factory=dict)
    order: list[tuple[str, str, int]] = field(default_factory=list)  # (trigger id, response path, case id)

    def __post_init__(self) -> None:
        self._turn = itertools.cycle(self.cases)
        self._numbers = itertools.count(1)

    def next(self) -> SignedRequest:
        case_id = next(self._turn)
        # A response URL of its own for each click, so the stand-in can tell which click answered.
        self.signer.response_url_base = f"{self.response_base}{self.name}-{next(self._numbers)}/"
        signed = self.signer.block_action(self.user, ACTION_ID, value=f"{case_id}:1", block_id="decide",
                                          channel=FORUM_CHANNEL, message_ts=CARD_TS)
        payload = json.loads(dict(parse_qsl(signed.body))["payload"])
        trigger = payload["trigger_id"]
        self.order.append((trigger, urlsplit(payload["response_url"]).path, case_id))
        self.sent[trigger] = time.perf_counter()
        return signed


def click_target(name: str, port: int, clicks: Clicks) -> Target:
    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:300]!r}"
        return None if body == b"" else f"the ack is not empty: {body[:300]!r}"

    return Target(name, port, clicks.next, check)


def bare_bolt_app(secret: str, api_url: str, executor: Executor | None, view: dict[str, Any]) -> SlackRequestHandler:
    """The floor: a plain Bolt app whose "decide_approved" listener acks and opens a static modal."""
    app = App(signing_secret=secret, client=WebClient(token=TOKEN, base_url=api_url), listener_executor=executor)

    @app.action(ACTION_ID)
    def decide(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=view)

    return SlackRequestHandler(app)


@dataclass
class ClickRun:
    targets: list[Target]
    seen: dict[str, list[float]]  # series -> request → views.open or response URL, ms (timed requests only)
    view_bytes: int
    forms: int = 0  # panelbot's permitted clicks, each of which opened its case's decision form (checked)
    refusals: int = 0  # refused clicks, each of which posted the refusal and opened nothing (checked)


def measure_clicks(args: argparse.Namespace, settings: Settings, services: Services, standin: TimedStandIn,
                   secret: str, stored: Stored, chair: str, other: str) -> ClickRun:
    """The HTTP comparison. Raises WrongAnswer."""
    static_view = decision_modal(permitted_view(services, stored.cases[0], chair), OUTCOME)
    inline = InlineExecutor() if args.inline else None
    app = create_app(settings, services, listener_executor=inline)
    panelbot_port = serve_in_background(SlackWsgi(app, services, secret))
    floor_port = serve_in_background(bare_bolt_app(secret, standin.api_url, inline, static_view))
    base = standin.base_url + "response/"
    clicks = {"panelbot": Clicks(RequestSigner(secret), chair, stored.cases, "panelbot", base),
              "refused": Clicks(RequestSigner(secret), other, stored.cases, "refused", base),
              "bare-bolt": Clicks(RequestSigner(secret), chair, stored.cases[:1], "bare-bolt", base)}
    ports = {"panelbot": panelbot_port, "refused": panelbot_port, "bare-bolt": floor_port}
    targets = [click_target(name, ports[name], made) for name, made in clicks.items()]
    standin.reset()  # start-up's auth.test is not part of the run
    try:
        run_alternating(targets, args.requests)
    finally:
        for target in targets:
            target.close()
    # With the thread pool, the last listeners may still be running.
    deadline = time.monotonic() + 30

    def missing() -> int:
        return (sum(t not in standin.opened for name in ("panelbot", "bare-bolt") for t, _, _ in clicks[name].order)
                + sum(path not in standin.responded for _, path, _ in clicks["refused"].order))

    while missing():
        if time.monotonic() > deadline:
            raise WrongAnswer(f"{missing()} clicks never reached views.open or their response URL")
        time.sleep(0.01)
    time.sleep(0.2)  # anything a refused click might wrongly open would have arrived by now
    views = {call.args.get("trigger_id"): call.args.get("view") for call in standin.calls_to("views.open")}
    for trigger, _, case_id in clicks["panelbot"].order:
        view = views.get(trigger)
        view = json.loads(view) if isinstance(view, str) else view or {}
        form = (view.get("callback_id"), view.get("private_metadata"))
        if form != (Callback.DECISION_FORM.value, f"{case_id}:1:{OUTCOME.value}"):
            raise WrongAnswer(f"panelbot opened something other than case {case_id}'s decision form: "
                              f"{json.dumps(view)[:300]}")
    answered = standin.calls_to("response_url")
    if len(answered) != len(clicks["refused"].order):
        raise WrongAnswer(f"{len(answered)} posts to response URLs for {len(clicks['refused'].order)} refused clicks")
    wrong = [call.args for call in answered if REFUSAL_WORDS not in str(call.args.get("text", ""))
             or call.args.get("response_type") != "ephemeral"]
    if wrong:
        raise WrongAnswer(f"{len(wrong)} refusals were not the ephemeral refusal, e.g. {json.dumps(wrong[0])[:300]}")
    opened_for_refused = [t for t, _, _ in clicks["refused"].order if t in views]
    if opened_for_refused:
        raise WrongAnswer(f"{len(opened_for_refused)} refused clicks opened a view")
    seen = {
        name: [((standin.responded[path] if name == "refused" else standin.opened[trigger]) - made.sent[trigger])
               * 1000 for trigger, path, _ in made.order[WARMUP:]]
        for name, made in clicks.items()
    }
    return ClickRun(targets, seen, len(json.dumps(static_view)), forms=len(clicks["panelbot"].order),
                    refusals=len(clicks["refused"].order))


# -- in-process ---------------------------------------------------------------------------------------


def _timed(calls: int, work: Callable[[int], Any]) -> list[float]:
    samples = []
    for n in range(calls + WARMUP):
        started = time.perf_counter()
        work(n)
        samples.append((time.perf_counter() - started) * 1000)
    return samples[WARMUP:]


def measure_in_process(services: Services, stored: Stored, chair: str, other: str,
                       calls: int) -> dict[str, list[float]]:
    cases = stored.cases
    view = permitted_view(services, cases[0], chair)

    def refused(n: int) -> None:
        try:
            start_decision(services, cases[n % len(cases)], 1, OUTCOME, other)
        except NotAllowed:
            return
        raise WrongAnswer("start_decision let a chair of another day decide")

    return {
        "start_decision(), the chair": _timed(calls, lambda n: permitted_view(services, cases[n % len(cases)], chair)),
        "start_decision(), refused": _timed(calls, refused),
        "  of which chair_of()": _timed(calls, lambda _: chair_of(services, services.policy.bodies["forum"], TODAY)),
        "decision_modal()": _timed(calls, lambda _: decision_modal(view, OUTCOME)),
    }


def profile(services: Services, settings: Settings, secret: str, stored: Stored, chair: str, requests: int,
            standin: TimedStandIn) -> None:
    """The permitted clicks in-process through `app.dispatch` (listeners inline) under cProfile. Raises
    WrongAnswer unless every click opened its case's decision form (a refused click acks just the same)."""
    permitted_view(services, stored.cases[0], chair)
    app = create_app(settings, services, listener_executor=InlineExecutor())
    signer = RequestSigner(secret, response_url_base=settings.slack_api_url.removesuffix("api/") + "response/")
    turn = itertools.cycle(stored.cases)
    signed = [signer.block_action(chair, ACTION_ID, value=f"{next(turn)}:1", block_id="decide",
                                  channel=FORUM_CHANNEL, message_ts=CARD_TS) for _ in range(requests + WARMUP)]
    for request in signed[:WARMUP]:
        app.dispatch(BoltRequest(body=request.body, headers=request.headers))
    statements: Counter[str] = Counter()

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements[" ".join(statement.split())[:90]] += 1

    event.listen(services.engine, "before_cursor_execute", note)
    probe = signed[WARMUP]
    app.dispatch(BoltRequest(body=probe.body, headers=probe.headers))
    event.remove(services.engine, "before_cursor_execute", note)
    print(f"statements a click (pool_pre_ping's and the sessions' BEGIN/ROLLBACK are not cursor executes): "
          f"{sum(statements.values())}")
    for statement, times in statements.most_common():
        print(f"  {times} x {statement}")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for request in signed[WARMUP:]:
        response = app.dispatch(BoltRequest(body=request.body, headers=request.headers))
        if response.status != 200 or response.body:
            raise WrongAnswer(f"panelbot: {response.status} {response.body[:300]!r}")
    profiler.disable()
    elapsed = time.perf_counter() - started
    clicks = len(signed) + 1  # the probe was dispatched twice
    deadline = time.monotonic() + 30
    while len(standin.calls_to("views.open")) < clicks and time.monotonic() < deadline:
        time.sleep(0.01)
    forms: Counter[bool] = Counter()
    for call in standin.calls_to("views.open"):
        view = call.args.get("view")
        view = json.loads(view) if isinstance(view, str) else view or {}
        forms[view.get("callback_id") == Callback.DECISION_FORM.value] += 1
    refused = len(standin.calls_to("response_url"))
    if forms[True] != clicks or forms[False] or refused:
        raise WrongAnswer(f"{clicks} permitted clicks opened {forms[True]} decision forms and {forms[False]} "
                          f"other views, and {refused} were answered at their response URL (refused?)")
    print(f"profiled {requests} permitted clicks in-process, listeners inline (ack + start_decision + views.open): "
          f"{elapsed / requests * 1000:.2f} ms a click under cProfile; every click opened its decision form")
    print_profile_stats(profiler)


# -- the report ---------------------------------------------------------------------------------------


def report_setup(url: str, stored: Stored, counts: dict[str, int], chair_role: str, chair: str, other: str) -> None:
    print(environment())
    print(f"database: {describe_database(url)}")
    print(f"stored: {counts['cases']} cases ({counts['open']} open, {counts['open forum']} of them forum), "
          f"{counts['bookings']} forum bookings ({counts['live bookings']} live, {counts['live today']} on "
          f"{TODAY:%a %d %b %Y}), {counts['decisions']} decisions")
    analyse = f", ANALYZE {stored.analysed:.2f} s" if stored.analysed is not None else ""
    print(f"pre-load (bulk inserts, not through the app): {stored.inserted:.2f} s{analyse}")
    print(f"services' clock pinned at {PINNED.isoformat()}; the chair of the day: {chair_role} ({chair}); the "
          f"refused series clicks as {other}, a chair of another day")
    print(f"clicked cases: {len(stored.cases)} open forum cases booked for today's sitting (references "
          f"{min(stored.references.values())}–{max(stored.references.values())}), taken in turn")


def report_clicks(args: argparse.Namespace, run: ClickRun) -> bool:
    print()
    print(f"decision click ({ACTION_ID}) over HTTP; decision form {run.view_bytes} bytes of JSON (the floor opens "
          "the same form for the first case, built once)")
    if args.inline:
        print("listeners: inline (no 10 ms ack poll); each ack returns only after views.open (or the refusal)")
    else:
        print("listeners: Bolt's default thread pool (10 ms ack poll); the listener acks first, then panelbot "
              "checks and opens the form (or posts the refusal) after the ack")
    print(PERCENTILES_NOTE)
    print()
    print("request → ack (response body read):")
    figures = print_table(run.targets)
    print()
    passed = print_comparison(figures, "panelbot", "bare-bolt", TARGET_RATIO,
                              f"decision click → ack p99 within {TARGET_RATIO:g}x of the floor")
    print()
    print_comparison(figures, "refused", "bare-bolt", TARGET_RATIO,
                     f"refused click → ack p99 within {TARGET_RATIO:g}x of the floor")
    print()
    print("request → views.open at the stand-in (the form appears; for `refused`, the refusal's post to the "
          "response URL):")
    seen = latency_table(run.seen)
    floor50, floor99, _ = seen["bare-bolt"]
    for name in ("panelbot", "refused"):
        p50, p99, _ = seen[name]
        print(f"{name} / bare-bolt: p50 {p50 / floor50:.2f}x ({p50 - floor50:+.2f} ms), "
              f"p99 {p99 / floor99:.2f}x ({p99 - floor99:+.2f} ms)")
    return passed


# -- the run ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="timed clicks per series (default 600)")
    parser.add_argument("--stored", type=int, default=10_000, help="cases pre-loaded (default 10000)")
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    parser.add_argument("--inline", action="store_true",
                        help="run both apps' listeners in the request thread: the ack follows views.open")
    parser.add_argument("--calls", type=int, default=600, help="in-process calls timed (default 600)")
    parser.add_argument("--profile", action="store_true",
                        help="no HTTP comparison: profile the permitted clicks in-process with cProfile")
    args = parser.parse_args(argv)
    if args.requests < 100 or args.calls < 100:
        parser.error("--requests and --calls must be at least 100 for a p99 to mean anything")
    if not 20 <= args.stored <= 1_000_000:
        parser.error("--stored must be between 20 and 1,000,000")

    with tempfile.TemporaryDirectory(prefix="panelbot-bench-", ignore_cleanup_errors=True) as tmp:
        log_path = Path(tmp) / "bench.log"
        with (bench_database(args.database_url, Path(tmp), "bench_decide") as url,
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
            services.clock = lambda: PINNED
            try:
                stored = preload(engine, services, args.stored)
                before = table_counts(engine, stored.cases)
                forum = services.policy.bodies["forum"]
                role, chairs = chair_of(services, forum, TODAY)
                chair = chairs[0]
                other = next(member for later in range(1, 10)
                             for member in chair_of(services, forum, TODAY + timedelta(days=later))[1]
                             if not services.holds_role(member, role))
                report_setup(url, stored, before, role, chair, other)
                if args.profile:
                    standin.reset()  # start-up's auth.test is not part of the run
                    try:
                        profile(services, settings, secret, stored, chair, args.requests, standin)
                    except WrongAnswer as exc:
                        print(f"aborted: {exc}", file=sys.stderr)
                        return 1
                    return 0
                try:
                    run = measure_clicks(args, settings, services, standin, secret, stored, chair, other)
                    report_clicks(args, run)
                    samples = measure_in_process(services, stored, chair, other, args.calls)
                except WrongAnswer as exc:
                    print(f"aborted: {exc}", file=sys.stderr)
                    return 1
                print()
                print("in-process, no HTTP (each call opens its own session):")
                latency_table(samples)
                after = table_counts(engine, stored.cases)
            finally:
                standin.stop()
                services.engine.dispose()
                engine.dispose()
        print()
        clicked = sum(len(t.samples) + WARMUP for t in run.targets if t.name != "bare-bolt")
        print(f"after the run: {clicked} panelbot clicks (warm-up included): {run.forms} decision forms opened, "
              f"{run.refusals} refusals posted; {after['decisions'] - before['decisions']} decisions recorded (a click "
              f"only opens the form); {after['bench booked']} of the {len(stored.cases)} clicked cases still open "
              f"and booked")
        warnings = [line for line in log_path.read_text("utf-8").splitlines() if line.strip()]
        if warnings:
            print(f"log lines at WARNING or above: {len(warnings)}; the first: {warnings[0][:300]}")
        if after != before:
            print(f"wrong: the clicks changed the stored data: {before} → {after}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
