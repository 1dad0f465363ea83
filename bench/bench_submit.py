"""Case submission latency (view_submission → ack) over HTTP with 10,000 cases stored: panelbot against a bare Bolt app.

panelbot is the real app (`create_app`, all handlers, Bolt's default thread-pool listener executor)
inside `handlers.slack.web.SlackWsgi`, on a database that already holds `--stored` cases (a fresh SQLite file,
or PostgreSQL with `--database-url`). Each request is a signed `view_submission` of the real case
form with a fresh view id and a fresh case reference, filled in as a delegated case (new package
£280/wk against a RAS of £300/wk, team manager U0TOMAS, attendee U0ANNAAP), so every request
stores a case, its audit row and five outbox rows (case card, receipt, the team manager's notice, and
the worker's and the team manager's Home tabs) before it acks `response_action: update`. U0TOMAS holds
the policy's team-manager role through its user groups, which the stand-in lists (`role_groups`).

The floor is a plain Bolt app with one `@app.view("submit_case_form")` listener that acks a small
static modal, served through Bolt's WSGI adapter (`SlackRequestHandler`) and sent the same kind of
signed payloads. It runs twice: `bare-bolt` with Bolt's defaults (the listener on Bolt's thread
pool, its ack looked for every 10 ms), and `bare-direct` answering as panelbot does (the listener in
the request's thread, the ack answered when it returns: `process_before_response`). The target is
against `bare-bolt`; the ratio to `bare-direct` is printed too, so the 10 ms poll panelbot no longer
has is not counted in its favour. All run on waitress with the adjustments `bot.web.serve` uses on
127.0.0.1, in this process, and talk to the same Slack Web API stand-in, which answers from a process
of its own (`slow_standin.RemoteStandIn`), as Slack is not in panelbot's process.

After the ack the case's outbox messages (case card, receipt, decider notice, Home tabs) go to the
stand-in as production sends them (`PANELBOT_DELIVERY`, or `--delivery`): on SQLite panelbot's own
pools send them, competing for the CPU (and the GIL) with the next request; on PostgreSQL a real
`panelbot worker` in a process of its own sends them, woken by each commit (its first tick, over the
pre-loaded cases, is run first, untimed; `BENCH_WORKER_LOG=PATH` keeps its log), competing for the
machine's two cores. `--settle` waits, untimed, until the previous submission's messages have been
delivered before sending the next request; `--inline` runs the apps' listeners, and what panelbot
starts after its ack, in the request thread (`bot.later.InlineExecutor`), so panelbot's ack
returns only after delivery.

The cases are pre-loaded (timed and reported separately) with bulk inserts of `Case` rows, each
with its audit row and its sent outbox rows, not through the app: a mix of routes and stages,
unique references, about half of them closed (`is_open` false, stage "approved").

Each request is built and signed before the clock starts, then timed from just before it is sent to
just after the whole response body is read, over one keep-alive connection per target. 50 warm-up
requests each, then the targets alternate in 10 blocks. Every answer must be a 200 with
`"response_action": "update"`, and afterwards every panelbot submission must have stored a case and
no message it owes may have failed, or the run aborts with exit status 1. Otherwise it exits 0: this
is a measurement, not a gate.

    .venv/bin/python bench/bench_submit.py [--requests 600] [--stored 10000] [--database-url URL]
                                           [--settle] [--inline] [--delivery web|worker] [--profile]

With `--database-url postgresql://user@host/NAME` the database NAME is created (through the
`postgres` database) and dropped afterwards; if it already exists it must be empty, and it is
emptied again afterwards. A `sqlite:///PATH` URL must name a file that does not exist yet; it is
left behind. `--profile` skips the HTTP comparison: it pre-loads the same database, then runs the
submissions in-process through `app.dispatch` under cProfile (listeners inline) and prints where
the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    Target,
    WrongAnswer,
    analyse,
    bench_database,
    describe_database,
    environment,
    insert_cases,
    pounds,
    print_comparison,
    print_profile_stats,
    print_table,
    role_groups,
    run_alternating,
    serve_in_background,
    workspace_groups,
)
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slow_standin import RemoteStandIn
from sqlalchemy import Engine, func, insert, select

from bot.later import InlineExecutor
from bot.logs import configure_logging
from bot.notify import Notice
from bot.policy import Policy
from bot.runtime import build_services
from bot.services import Services
from bot.settings import Settings, load_settings
from bot.worker import tick
from handlers.slack.app import create_app
from handlers.slack.standin.requests import RequestSigner, SignedRequest, form_state
from handlers.slack.web import SlackWsgi
from messages.slack.ids import Callback
from messages.slack.submit import submit_modal
from store import migrate
from store.audit import append_audit_rows
from store.db import make_engine
from store.models import Audit, Case, Outbox

TARGET_RATIO = 2.0  # panelbot's submit p99 should be within 2x the bare app's
DIRECT = "bare-direct"  # the bare app answering as panelbot does: its listener in the request's thread
SUBMITTER, TEAM_MANAGER, ATTENDEE = "U0PRIYA", "U0TOMAS", "U0ANNAAP"
# What the form is filled with: a delegated case (within the RAS), so each submission stores a
# case, an audit row and five outbox rows (card, receipt, the team manager's notice, two Home tabs).
ANSWERS: dict[str, Any] = {
    "service": "adults", "request_type": "new_package", "proposed_weekly": "280", "ras_weekly": "300",
    "strengths_and_needs": "Strengths, eligible needs and the work done so far. " * 8,
    "outcomes": "The outcomes the person wants from their support. " * 4,
    "alternatives": "Community agents and occupational therapy were consulted. " * 3,
    "evidence": ["occupational therapy", "moving and handling"],
    "team_manager": TEAM_MANAGER, "attendee": ATTENDEE,
}
# Pre-loaded references are 7 digits; the benchmark's are 8 digits: both match `[0-9]{5,10}` and never meet.
BENCH_REFERENCES = 20_000_000
SEED = 20261122
OWED = "card, receipt, the team manager's notice, two Home tabs"  # what a submission's outbox rows are
# The floor's answer: a small static modal, as a bare app might show after a submission.
SMALL_VIEW = {
    "type": "modal",
    "callback_id": "submit_case_done",
    "title": {"type": "plain_text", "text": "Case submitted"},
    "close": {"type": "plain_text", "text": "Done"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Thank you: your case has been received."}}],
}


# -- the pre-load -----------------------------------------------------------------------------------


def _stored_rows(count: int, policy: Policy, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """`count` cases as they would be after months of use: a mix of routes and stages, half closed."""
    workers = [f"U0SW{n:05d}" for n in range(80)]
    managers = ["U0TOMAS", *(f"U0TM{n:05d}" for n in range(11))]
    seniors = ["U0ANNAAP", *(f"U0AP{n:05d}" for n in range(7))]
    evidence = list(policy.bodies["forum"].evidence)
    rows = []
    for n, reference in enumerate(rng.sample(range(1_000_000, 10_000_000), count)):
        route = rng.choices(ROUTES, ROUTE_WEIGHTS)[0]
        closed = rng.random() < 0.5
        stage = "approved" if closed else rng.choice(OPEN_STAGES[route])
        request_type = rng.choice(REQUEST_TYPES[route])
        if route == "delegated":
            proposed = pounds(rng, 80, 340)
            ras: Decimal | None = proposed + pounds(rng, 0, 40)
        elif route == "forum":
            proposed, ras = pounds(rng, 351, 1800), pounds(rng, 250, 400)
        else:
            proposed, ras = pounds(rng, 150, 900), pounds(rng, 150, 600)
        changes = request_type in ("increase", "decrease")
        submitted = now - timedelta(days=rng.uniform(1, 730))
        listed = route == "send_panel"
        panel_day = (submitted + timedelta(days=rng.randrange(10, 40))).date() if listed else None
        rows.append({
            "reference": str(reference), "submission_key": f"submit:V0SEED{n:07d}",
            "service": "children_send" if listed else "adults", "request_type": request_type,
            "proposed_weekly": proposed, "ras_weekly": ras,
            "current_weekly": proposed - pounds(rng, 10, 60) if changes else None,
            "hours_per_month": Decimal(rng.randrange(10, 80)) if listed else None,
            "respite_weeks_per_year": Decimal(rng.randrange(1, 9)) if request_type == "respite" else None,
            "urgent": route == "urgent",
            "urgent_reason": "The carer was taken into hospital." if route == "urgent" else None,
            "strengths_and_needs": FILLER * rng.randrange(2, 6), "outcomes": FILLER[:rng.randrange(60, 180)],
            "alternatives": FILLER[:rng.randrange(40, 160)],
            "evidence": rng.sample(evidence, rng.randrange(0, 3)),
            "record_link": None, "submitter": rng.choice(workers), "team_manager": rng.choice(managers),
            "attendee": rng.choice(seniors) if route != "delegated" or rng.random() < 0.3 else None,
            "route": route, "reasons": [f"Routed to {route} by the policy's rules."],
            "then": ["endorsement"] if route == "urgent" else [],
            "practitioner_must_attend": listed and rng.random() < 0.5,
            "attendance": ["an advanced practitioner or service manager attends with the worker"]
            if route == "forum" else [],
            "evidence_required": evidence[:2] if route == "forum" else [],
            "stage": stage, "is_open": not closed,
            "panel_day": panel_day,
            "panel_starts_at": datetime.combine(panel_day, datetime.min.time(), UTC) + timedelta(hours=10)
            if panel_day else None,
            "panel_location": "County Hall, room 2" if listed else None,
            "papers_due": panel_day - timedelta(days=14) if panel_day else None,
            "panel_late_for": None, "card_channel": ROUTE_CHANNELS[route], "card_ts": f"{submitted.timestamp():.6f}",
            "submitted_at": submitted,
            "updated_at": submitted + timedelta(days=rng.uniform(1, 30)) if closed else submitted,
        })
    return rows


def preload(engine: Engine, policy: Policy, count: int) -> tuple[float, float | None]:
    """Bulk-insert `count` cases, each with its audit row and its sent outbox rows.

    Returns (seconds to insert, seconds to ANALYZE or None). PostgreSQL is analysed afterwards, as
    autovacuum would soon do after so many inserts; SQLite is not, as panelbot never runs ANALYZE.
    """
    started = time.perf_counter()
    now = datetime.now(UTC)
    rows = _stored_rows(count, policy, now, random.Random(SEED))
    with engine.begin() as connection:
        if rows:
            insert_cases(connection, rows)
        ids = {key: case_id for key, case_id in connection.execute(select(Case.submission_key, Case.id))}
        audits, messages = [], []
        for row in rows:
            case_id, at = ids[row["submission_key"]], row["submitted_at"]
            audits.append({"at": at, "actor": row["submitter"], "on_behalf_of": None, "action": "case.submitted",
                           "subject_type": "case", "subject_id": row["reference"], "before": None,
                           "after": {"reference": row["reference"], "route": row["route"], "stage": row["stage"]}})
            owed = [(Notice.CASE_CARD, row["card_channel"]), (Notice.RECEIPT, row["submitter"])]
            if row["route"] == "delegated":
                owed.append((Notice.DECIDER_NOTICE, row["team_manager"]))
            for notice, recipient in owed:
                messages.append({"key": f"{notice}:{case_id}:{recipient}", "kind": str(notice), "case_id": case_id,
                                 "recipient": recipient, "state": "sent", "attempts": 1, "not_before": at,
                                 "claimed_at": at, "sent_at": at, "sent_channel": recipient, "sent_ts": row["card_ts"],
                                 "error": None, "created_at": at})
        if audits:
            append_audit_rows(connection, BENCH_AUDIT_KEY.encode(), audits)
            connection.execute(insert(Outbox), messages)
    inserted = time.perf_counter() - started
    return inserted, analyse(engine)


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        counts = {"cases": connection.scalar(select(func.count()).select_from(Case)) or 0,
                  "open": connection.scalar(select(func.count()).select_from(Case).where(Case.is_open)) or 0,
                  "audit": connection.scalar(select(func.count()).select_from(Audit)) or 0}
        for state, number in connection.execute(select(Outbox.state, func.count()).group_by(Outbox.state)):
            counts[f"outbox {state}"] = number
    return counts


# -- the two apps -----------------------------------------------------------------------------------


class Submissions:
    """Signed submissions of the case form, each with a fresh view id and a fresh case reference."""

    def __init__(self, signer: RequestSigner, policy: Policy) -> None:
        self.signer = signer
        self.form = submit_modal(policy)
        self._numbers = itertools.count(1)
        self.made = 0

    def next(self) -> SignedRequest:
        number = next(self._numbers)
        self.made += 1
        view = {**self.form, "id": f"V0BENCH{number:07d}"}
        answers = {**ANSWERS, "reference": str(BENCH_REFERENCES + number)}
        return self.signer.view_submission(SUBMITTER, view, form_state(view, answers))


def submit_target(name: str, port: int, submissions: Submissions) -> Target:
    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:300]!r}"
        try:
            action = json.loads(body).get("response_action")
        except (ValueError, AttributeError):
            action = None
        return None if action == "update" else f"the ack is not a view update: {body[:300]!r}"

    return Target(name, port, submissions.next, check)


def bare_bolt_app(secret: str, api_url: str, executor: Executor | None, *, direct: bool = False) -> SlackRequestHandler:
    """The floor: a plain Bolt app whose one view listener acks a small static modal, via Bolt's WSGI adapter.

    `direct`: the listener runs in the request's thread and the ack is answered when it returns
    (`process_before_response`), as panelbot answers; Bolt's default looks for the ack every 10 ms."""
    app = App(signing_secret=secret, client=WebClient(token=TOKEN, base_url=api_url), listener_executor=executor,
              process_before_response=direct)

    @app.view(Callback.SUBMIT_FORM.value)
    def submitted(ack: Ack) -> None:
        ack(response_action="update", view=SMALL_VIEW)

    return SlackRequestHandler(app)


def wait_for_delivery(engine: Engine, timeout: float) -> bool:
    """True once no outbox row is pending or being sent: every message owed so far was delivered (untimed)."""
    owed = select(func.count()).select_from(Outbox).where(Outbox.state.in_(("pending", "sending")))
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while connection.scalar(owed):
            connection.rollback()  # a fresh snapshot for the next look
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
    return True


# -- the run ----------------------------------------------------------------------------------------


def profile(services: Services, settings: Settings, secret: str, requests: int) -> None:
    """The submissions in-process through `app.dispatch` (listeners inline) under cProfile."""
    app = create_app(settings, services, listener_executor=InlineExecutor())
    submissions = Submissions(RequestSigner(secret), services.policy)
    signed = [submissions.next() for _ in range(requests + 50)]
    for request in signed[:50]:  # warm-up
        app.dispatch(BoltRequest(body=request.body, headers=request.headers))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for request in signed[50:]:
        response = app.dispatch(BoltRequest(body=request.body, headers=request.headers))
        if response.status != 200 or json.loads(response.body).get("response_action") != "update":
            raise WrongAnswer(f"panelbot: {response.status} {response.body[:300]!r}")
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"profiled {requests} submissions in-process, listeners inline (ack + delivery): "
          f"{elapsed / requests * 1000:.2f} ms a submission under cProfile")
    print_profile_stats(profiler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="timed submissions per target (default 600)")
    parser.add_argument("--stored", type=int, default=10_000, help="cases pre-loaded before the run (default 10000)")
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    parser.add_argument("--settle", action="store_true",
                        help="before each request, wait (untimed) until earlier submissions' messages are delivered")
    parser.add_argument("--inline", action="store_true",
                        help="run both apps' listeners in the request thread: panelbot acks only after delivery")
    parser.add_argument("--delivery", choices=["web", "worker"],
                        help="who sends the messages (PANELBOT_DELIVERY; default: panelbot's own, the worker on "
                             "PostgreSQL): `worker` starts `panelbot worker` in a process of its own")
    parser.add_argument("--profile", action="store_true",
                        help="no HTTP comparison: profile the submissions in-process with cProfile")
    args = parser.parse_args(argv)
    if args.requests < 100:
        parser.error("--requests must be at least 100 for a p99 to mean anything")
    if not 0 <= args.stored <= 9_000_000:
        parser.error("--stored must be between 0 and 9,000,000")

    with tempfile.TemporaryDirectory(prefix="panelbot-bench-", ignore_cleanup_errors=True) as tmp:
        log_path = Path(tmp) / "bench.log"
        with (bench_database(args.database_url, Path(tmp), "bench_submit") as url,
              log_path.open("w", encoding="utf-8") as log):
            configure_logging("WARNING", stream=log)
            engine = make_engine(url)
            migrate.upgrade(engine)
            # Slack's servers are not in panelbot's process: the stand-in answering the worker's (or the web
            # process's) deliveries here took the GIL from the request being timed (slow_standin.py).
            standin = RemoteStandIn()
            secret = secrets.token_hex(16)
            settings = load_settings(env_file=None, slack_bot_token=TOKEN, slack_signing_secret=secret,
                                     slack_api_url=standin.api_url, database_url=url,
                                     panelbot_audit_key=BENCH_AUDIT_KEY,
                                     **({"panelbot_delivery": args.delivery} if args.delivery else {}))
            services = build_services(settings)
            # The workspace has the user groups the policy names, and the team manager the form names holds
            # the policy's team-manager role (through its user groups).
            standin.add_groups(workspace_groups(services.policy))
            standin.add_groups(role_groups(services.policy, services.policy.case_form.team_manager_role, TEAM_MANAGER))
            try:
                inserted, analysed = preload(engine, services.policy, args.stored)
                before = table_counts(engine)
                if args.profile:
                    profile(services, settings, secret, args.requests)
                    return 0
                outcome = measure(args, settings, services, standin, secret)
                if isinstance(outcome, str):
                    print(f"aborted: {outcome}", file=sys.stderr)
                    return 1
                targets, submitted, delivered = outcome
                after = table_counts(engine)
            finally:
                standin.stop()
                services.engine.dispose()
                engine.dispose()
        warnings = [line for line in log_path.read_text("utf-8").splitlines() if line.strip()]
        report(args, url, inserted, analysed, before, after, targets, submitted, delivered, warnings)
        if after["cases"] != before["cases"] + submitted:
            print(f"wrong: {submitted} submissions acked but {after['cases'] - before['cases']} cases stored",
                  file=sys.stderr)
            return 1
        failed = {key.removeprefix("outbox "): value - before.get(key, 0) for key, value in after.items()
                  if key not in ("outbox sent", "outbox pending", "outbox sending") and key.startswith("outbox ")
                  and value != before.get(key, 0)}
        if failed:
            print(f"wrong: the submissions' messages were not all delivered: {failed}", file=sys.stderr)
            return 1
    return 0


def measure(args: argparse.Namespace, settings: Settings, services: Services, standin: RemoteStandIn,
            secret: str) -> tuple[list[Target], int, bool] | str:
    """The HTTP comparison; returns (targets, panelbot submissions made, all messages delivered) or a problem."""
    inline = InlineExecutor() if args.inline else None
    app = create_app(settings, services, listener_executor=inline, deliver_here=not settings.worker_delivers)
    worker = None
    if settings.worker_delivers:
        # The worker's first tick runs at its start: over the pre-loaded cases it pseudonymises the closed
        # ones past the retention period, seconds of work a running deployment did long ago. It is run
        # here first, untimed, so the worker started below only sends what the submissions queue.
        started = time.perf_counter()
        tick(services)
        print(f"the worker's first tick over the pre-loaded cases, untimed: {time.perf_counter() - started:.1f} s")
        worker = start_worker(settings, secret, standin.api_url)
    panelbot_port = serve_in_background(SlackWsgi(app, services, secret))
    floor_port = serve_in_background(bare_bolt_app(secret, standin.api_url, inline))
    direct_port = serve_in_background(bare_bolt_app(secret, standin.api_url, inline, direct=True))
    signer = RequestSigner(secret, response_url_base=standin.base_url + "response/")
    panelbot_forms = Submissions(signer, services.policy)
    targets = [submit_target("panelbot", panelbot_port, panelbot_forms),
               submit_target("bare-bolt", floor_port, Submissions(signer, services.policy)),
               submit_target(DIRECT, direct_port, Submissions(signer, services.policy))]
    standin.forget()  # start-up's auth.test is not part of the run

    def settle(_: Target) -> None:
        if not wait_for_delivery(services.engine, timeout=30):
            raise WrongAnswer("panelbot: the messages of earlier submissions were not delivered within 30 s")

    try:
        run_alternating(targets, args.requests, before_each=settle if args.settle else None)
    except WrongAnswer as exc:
        return str(exc)
    finally:
        for target in targets:
            target.close()
    # Let the listener threads (or the worker) finish delivering before the database is counted and closed.
    delivered = wait_for_delivery(services.engine, timeout=60)
    if worker is not None:
        worker.terminate()
        worker.wait(timeout=20)
    return targets, panelbot_forms.made, delivered


def start_worker(settings: Settings, secret: str, api_url: str) -> subprocess.Popen[bytes]:
    """`panelbot worker` in a process of its own, as the Procfile runs it: it sends what submissions queue."""
    root = Path(__file__).resolve().parent.parent
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": api_url,
                "DATABASE_URL": settings.database_url, "PANELBOT_AUDIT_KEY": BENCH_AUDIT_KEY,
                "PANELBOT_DELIVERY": "worker", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(root)})
    with open(os.environ.get("BENCH_WORKER_LOG", os.devnull), "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=root,
                                stdout=log, stderr=subprocess.STDOUT)


def report(args: argparse.Namespace, url: str, inserted: float, analysed: float | None, before: dict[str, int],
           after: dict[str, int], targets: list[Target], submitted: int, delivered: bool,
           warnings: list[str]) -> None:
    print(environment())
    print(f"database: {describe_database(url)}")
    print(f"stored before the run: {before['cases']} cases ({before['open']} open), {before['audit']} audit rows, "
          f"{before.get('outbox sent', 0)} sent outbox rows")
    analyse = f", ANALYZE {analysed:.2f} s" if analysed is not None else ""
    print(f"pre-load (bulk inserts, not through the app): {inserted:.2f} s{analyse}")
    if args.inline:
        print("listeners: inline (no 10 ms ack poll); panelbot acks only after delivering the case's messages "
              f"({OWED})")
    else:
        print("listeners: panelbot's in the request thread (no ack poll), bare-bolt's on Bolt's thread pool "
              f"(10 ms ack poll), bare-direct's in the request thread; after the ack the case's messages "
              f"({OWED}) go to the stand-in, competing for the CPU with the next request")
        if args.settle:
            print("--settle: each request waited (untimed) until earlier submissions' messages were delivered")
        else:
            print("requests back to back: the previous submission's delivery may still be running (see --settle)")
    print(PERCENTILES_NOTE)
    print()
    figures = print_table(targets)
    print()
    print_comparison(figures, "panelbot", "bare-bolt", TARGET_RATIO,
                     f"submit p99 within {TARGET_RATIO:g}x of the bare app")
    print()
    print(f"against the bare app answering as panelbot does (no target: it stores nothing, and panelbot "
          f"stores a case, its audit row and five messages: {OWED}):")
    print_comparison(figures, "panelbot", DIRECT, TARGET_RATIO, None)
    print()
    outbox = ", ".join(f"{key.removeprefix('outbox ')} {value - before.get(key, 0)}"
                       for key, value in sorted(after.items()) if key.startswith("outbox "))
    print(f"after the run: {after['cases'] - before['cases']} cases stored for {submitted} panelbot submissions "
          f"(warm-up included), {after['audit'] - before['audit']} audit rows; new outbox rows: {outbox}"
          f"{'' if delivered else ' (not all delivered 60 s after the run: the rest wait for a worker; see the log)'}")
    if warnings:
        print(f"log lines at WARNING or above: {len(warnings)}; the first: {warnings[0][:300]}")


if __name__ == "__main__":
    sys.exit(main())
