"""50 people submitting, booking and deciding at once through `panelbot serve` while Slack answers late.

Each of `--people` people (50) does five steps in turn, all people starting together: submits a forum
case (the real case form, £412/wk against a RAS of £298/wk), `/panel book <ref>`, books a slot of
their own on the booking form, then the chair of that slot's day presses "Approve" on the case card
and sends the decision form. Every step is a signed request over HTTP, timed from just before it is
sent to just after its whole answer is read: the ack, which Slack abandons after 3 s. After `/panel book`
and the decision button a person waits (untimed, up to 10 s) for the modal to open before sending its
form, as in Slack; the time from the click to its `views.open` reaching Slack is reported too.

- **panelbot** is `panelbot serve` in a process of its own (waitress with `bot.web.SERVER_SETTINGS`,
  Bolt's listener threads, the after-ack pools of `bot.later`) and `panelbot worker` in another, as
  the Procfile runs them, on a fresh SQLite file or, with `--database-url`, PostgreSQL, pointed at
  the stand-in. Who sends what changes queue is panelbot's default (on PostgreSQL the worker, woken
  by the commit; on SQLite the web process) unless `--delivery` says.
- **floor** is a bare Bolt app in a process of its own (`slow_slack_floor.py`): the same five
  listeners, each acking at once and then making the same Web API calls on Bolt's listener threads,
  as Bolt's samples do. Same waitress settings, same stand-in.

The stand-in (`slow_standin.SlowStandIn`, in a process of its own unless `--standin-here`) answers
every Web API call and response-URL post after
`--delay` seconds (0.3 by default), then the whole run is repeated with no delay. For each delay the
floor goes first, then panelbot, each after the stand-in has gone quiet from the previous phase.

Printed per delay: acks over 3 s (or not answered), ack latency per step and over all steps (n, p50,
p99, mean, max) for both, the p50/p99 ratios panelbot / floor, and for panelbot the time from
sending the case form to its card reaching the forum channel. Every panelbot answer must be the
right one (an `update` for the forms that turn into a confirmation, an empty ack otherwise) and every
case must end decided, or the run says WRONG and exits 1. Otherwise it exits 0: a measurement.

    .venv/bin/python bench/bench_slow_slack.py [--people 50] [--delay 0.3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from common import (
    BENCH_AUDIT_KEY,
    DATABASE_URL_HELP,
    PERCENTILES_NOTE,
    bench_database,
    describe_database,
    environment,
    latency_table,
)
from slow_standin import RemoteStandIn, SlowStandIn
from sqlalchemy import func, select

from bot.policy import default_policy_path, load_policy
from bot.services import Services
from bot.services.booking import free_days
from bot.services.views import chair_of
from handlers.slack.standin.requests import RequestSigner, SignedRequest, form_state
from handlers.slack.web import EVENTS_PATH
from messages.slack.ids import BookField, Callback, DecisionField, SubmitField
from messages.slack.submit import submit_modal
from store import migrate
from store.db import make_engine
from store.models import Case, Decision

STEPS = ("submit", "book command", "book form", "decide button", "decision form")
FORUM_CHANNEL = "C0FORUM001"
ACK_LIMIT_MS = 3000.0
ANSWERS = {
    SubmitField.SERVICE: "adults", SubmitField.REQUEST_TYPE: "new_package", SubmitField.PROPOSED_WEEKLY: "412",
    SubmitField.RAS_WEEKLY: "298", SubmitField.STRENGTHS_AND_NEEDS: "strengths", SubmitField.OUTCOMES: "outcomes",
    SubmitField.ALTERNATIVES: "alternatives", SubmitField.EVIDENCE: ["occupational therapy"],
    SubmitField.TEAM_MANAGER: "U0TOMAS", SubmitField.ATTENDEE: "U0ANNAAP",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path, path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server did not start:\n{log.read_text(errors='replace')}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("a server did not start within 60 s")


@dataclass
class Plan:
    """One person's part: their case, their slot, and who decides it."""

    submitter: str
    reference: str
    slot: str  # ISO start, as the booking form's option value
    chair: str
    case_id: int = 0


@dataclass
class Phase:
    name: str
    samples: dict[str, list[float]] = field(default_factory=lambda: {step: [] for step in STEPS})
    over: int = 0  # acks over 3 s, or no answer
    wrong: list[str] = field(default_factory=list)
    sent_submit: dict[str, float] = field(default_factory=dict)  # reference -> monotonic time sent
    sent_trigger: dict[str, float] = field(default_factory=dict)  # trigger_id -> monotonic time its click was sent
    lock: threading.Lock = field(default_factory=threading.Lock)


def _send(connection: http.client.HTTPConnection, signed: SignedRequest) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection.request("POST", EVENTS_PATH, body=signed.body.encode(), headers=signed.headers)
    response = connection.getresponse()
    body = response.read()
    return response.status, body, (time.perf_counter() - started) * 1000


def _is_update(body: bytes) -> bool:
    try:
        return json.loads(body).get("response_action") == "update"
    except (ValueError, AttributeError):
        return False


CHECKS: dict[str, Callable[[bytes], bool]] = {
    "submit": _is_update, "book command": lambda body: body == b"", "book form": _is_update,
    "decide button": lambda body: body == b"", "decision form": lambda body: body == b"",
}


def person(phase: Phase, port: int, signer: RequestSigner, policy: Any, plan: Plan, case_id: Callable[[str], int],
           start: threading.Barrier, tag: str, modal_shown: Callable[[str], bool]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    view = {**submit_modal(policy), "id": f"V{tag}{plan.reference}"}
    start.wait()

    def step(name: str, signed: SignedRequest) -> bool:
        nonlocal connection
        trigger = _trigger_of(signed) if name in ("book command", "decide button") else None
        if trigger is not None:
            with phase.lock:
                phase.sent_trigger[trigger] = time.monotonic()
        try:
            status, body, ms = _send(connection, signed)
        except OSError as exc:
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            with phase.lock:
                phase.over += 1
                phase.wrong.append(f"{name}: {type(exc).__name__}")
            return False
        with phase.lock:
            phase.samples[name].append(ms)
            if ms > ACK_LIMIT_MS:
                phase.over += 1
            if status != 200 or not CHECKS[name](body):
                phase.wrong.append(f"{name}: HTTP {status} {body[:160]!r}")
                return False
        if trigger is not None:
            modal_shown(trigger)  # a person fills in a form once it has opened, not before
        return True

    with phase.lock:
        phase.sent_submit[plan.reference] = time.monotonic()
    answers = {**ANSWERS, SubmitField.REFERENCE: plan.reference}
    if not step("submit", signer.view_submission(plan.submitter, view, form_state(view, answers))):
        return
    plan.case_id = case_id(plan.reference)
    if not step("book command", signer.command(plan.submitter, f"book {plan.reference}")):
        return
    book_view = {"callback_id": Callback.BOOK_FORM, "id": f"VB{tag}{plan.reference}",
                 "private_metadata": str(plan.case_id), "blocks": []}
    slot = {BookField.SLOT: {"value": {"type": "static_select", "selected_option": {"value": plan.slot}}}}
    if not step("book form", signer.view_submission(plan.submitter, book_view, slot)):
        return
    if not step("decide button", signer.block_action(plan.chair, "decide_approved", value=f"{plan.case_id}:1",
                                                     block_id="decide", channel=FORUM_CHANNEL, message_ts="1.1")):
        return
    decision_view = {"callback_id": Callback.DECISION_FORM, "id": f"VD{tag}{plan.reference}",
                     "private_metadata": f"{plan.case_id}:1:approved", "blocks": []}
    reason = {DecisionField.REASON: {"value": {"type": "plain_text_input", "value": "Agreed at forum."}}}
    step("decision form", signer.view_submission(plan.chair, decision_view, reason))
    connection.close()


def _trigger_of(signed: SignedRequest) -> str:
    form = dict(parse_qsl(signed.body))
    if "payload" in form:
        return str(json.loads(form["payload"]).get("trigger_id"))
    return form.get("trigger_id", "")


def run_phase(name: str, port: int, signer: RequestSigner, policy: Any, plans: list[Plan],
              case_id: Callable[[str], int], tag: str, standin: Any) -> Phase:
    phase = Phase(name)
    start = threading.Barrier(len(plans))

    def modal_shown(trigger: str, limit: float = 10.0) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with standin._posted_lock:
                if trigger in standin.opened:
                    return True
            time.sleep(0.02)
        return False

    threads = [threading.Thread(target=person,
                                args=(phase, port, signer, policy, plan, case_id, start, tag, modal_shown))
               for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return phase


def wait_quiet(standin: Any, quiet: float = 2.0, limit: float = 180.0) -> float:
    """Wait until the stand-in has had no call for `quiet` seconds; return how long that took."""
    started = time.monotonic()
    seen, since = -1, time.monotonic()
    while time.monotonic() - started < limit:
        count = len(standin.calls)
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.1)
    return time.monotonic() - started - quiet


def card_latency(standin: Any, phase: Phase) -> list[float]:
    """Per case: ms from sending the case form to its card answered in the forum channel."""
    out = []
    with standin._posted_lock:
        posted = list(standin.posted)
    for reference, sent in phase.sent_submit.items():
        times = [at for at, channel, args in posted if channel == FORUM_CHANNEL and reference in args]
        if times:
            out.append((min(times) - sent) * 1000)
    return out


def modal_latency(standin: Any, phase: Phase) -> list[float]:
    """Per click (`/panel book`, a decision button): ms from sending it to its views.open reaching Slack."""
    with standin._posted_lock:
        opened = dict(standin.opened)
    return [(opened[trigger] - sent) * 1000 for trigger, sent in phase.sent_trigger.items() if trigger in opened]


def report(delay: float, floor: Phase, panelbot: Phase, cards: list[float], drained: float,
           modals: dict[str, list[float]]) -> None:
    print(f"\n== Slack answering every call after {delay * 1000:.0f} ms ==")
    for phase in (floor, panelbot):
        total = sum(len(samples) for samples in phase.samples.values())
        print(f"{phase.name}: {total} acks, {phase.over} over 3 s or unanswered, {len(phase.wrong)} wrong answers")
        for problem in phase.wrong[:5]:
            print(f"   {problem}")
    rows: dict[str, list[float]] = {}
    for step in STEPS:
        for phase in (floor, panelbot):
            if phase.samples[step]:
                rows[f"{phase.name} {step}"] = phase.samples[step]
    rows["floor all steps"] = [ms for samples in floor.samples.values() for ms in samples]
    rows["panelbot all steps"] = [ms for samples in panelbot.samples.values() for ms in samples]
    if len(cards) >= 2:
        rows["panelbot case card in channel"] = cards
    for name, samples in modals.items():
        clicks = len((floor if name == "floor" else panelbot).sent_trigger)
        print(f"{name}: {len(samples)} modals opened of {clicks} clicks, "
              f"{sum(ms > ACK_LIMIT_MS for ms in samples)} after the trigger's 3 s")
        rows[f"{name} views.open after click"] = samples
    figures = latency_table({name: samples for name, samples in rows.items() if len(samples) >= 2})
    if "floor all steps" in figures and "panelbot all steps" in figures:
        (p50, p99, _), (f50, f99, _) = figures["panelbot all steps"], figures["floor all steps"]
        print(f"ack p50 panelbot / floor: {p50 / f50:.2f}x; p99: {p99 / f99:.2f}x "
              f"(target: p99 within 2x: {'PASS' if p99 <= 2 * f99 else 'OVER'})")
    print(f"panelbot's deliveries finished {drained:.1f} s after the last ack")


def _without_figures(line: str) -> str:
    return re.sub(r"\d+(\.\d+)?", "N", line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds Slack takes to answer (then also 0)")
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    parser.add_argument("--delivery", choices=["web", "worker"],
                        help="PANELBOT_DELIVERY for panelbot (default: its own, the worker on PostgreSQL)")
    parser.add_argument("--standin-here", action="store_true",
                        help="run the Slack stand-in in this process, as before (it then competes for this "
                             "process's GIL with the threads timing the acks)")
    args = parser.parse_args(argv)
    policy = load_policy(default_policy_path())
    secret = secrets.token_hex(16)
    bench_dir = Path(__file__).resolve().parent
    root = bench_dir.parent
    failed = False
    with tempfile.TemporaryDirectory(prefix="panelbot-slow-slack-", ignore_cleanup_errors=True) as tmp_name:
        tmp = Path(tmp_name)
        standin: Any = SlowStandIn().start() if args.standin_here else RemoteStandIn()
        signer = RequestSigner(secret, response_url_base=standin.base_url + "response/")
        with bench_database(args.database_url, tmp, "bench_slow_slack") as url:
            migration_engine = make_engine(url, statement_timeout_ms=None)
            migrate.upgrade(migration_engine)
            migration_engine.dispose()
            print(environment())
            print(describe_database(url))
            print(f"{args.people} people at once; five steps each; {PERCENTILES_NOTE}")
            panelbot_port, floor_port = free_port(), free_port()
            env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
            env.update({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": secret,
                        "SLACK_API_URL": standin.api_url, "DATABASE_URL": url, "PORT": str(panelbot_port),
                        "LOG_LEVEL": "WARNING", "PANELBOT_AUDIT_KEY": BENCH_AUDIT_KEY,
                        "PYTHONPATH": f"{root}{os.pathsep}{bench_dir}"})
            if args.delivery:
                env["PANELBOT_DELIVERY"] = args.delivery
            serve_log, floor_log, worker_log = tmp / "serve.log", tmp / "floor.log", tmp / "worker.log"
            with serve_log.open("wb") as serve_out, floor_log.open("wb") as floor_out, \
                    worker_log.open("wb") as worker_out:
                serve = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
                                         env=env, stdout=serve_out, stderr=subprocess.STDOUT, cwd=root)
                worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"],
                                          env=env, stdout=worker_out, stderr=subprocess.STDOUT, cwd=root)
                floor_command = [sys.executable, str(bench_dir / "slow_slack_floor.py"), str(floor_port),
                                 standin.api_url, secret]
                floor = subprocess.Popen(floor_command, env=env, stdout=floor_out,  # noqa: S603
                                         stderr=subprocess.STDOUT, cwd=root)
            engine = make_engine(url)
            services = Services(engine=engine, policy=policy)
            try:
                wait_until_up(panelbot_port, serve, serve_log, "/healthz")
                wait_until_up(floor_port, floor, floor_log, "/")
                with services.sessions() as session:
                    slots = [slot for day in free_days(services, session, services.now(), "forum", days=60)
                             for slot in day.slots]
                delays = [args.delay, 0.0] if args.delay else [0.0]
                if len(slots) < args.people * len(delays):
                    raise SystemExit(f"only {len(slots)} free forum slots for {args.people * len(delays)} bookings")

                def case_id(reference: str) -> int:
                    with engine.connect() as connection:
                        found = connection.scalar(select(Case.id).where(Case.reference == reference))
                    return int(found or 0)

                for round_, delay in enumerate(delays):
                    standin.delay = delay
                    wait_quiet(standin)
                    standin.forget()
                    floor_plans = [Plan(f"U0FW{n:05d}", f"{6_000_000 + round_ * 1000 + n}", "x", f"U0FC{n:05d}", 1)
                                   for n in range(args.people)]
                    floor_phase = run_phase("floor", floor_port, signer, policy, floor_plans, lambda _: 1, f"F{round_}",
                                            standin)
                    wait_quiet(standin)
                    floor_modals = modal_latency(standin, floor_phase)
                    standin.forget()
                    plans = []
                    for n in range(args.people):
                        slot = slots[round_ * args.people + n]
                        _, chairs = chair_of(services, services.policy.bodies["forum"],
                                             services.calendar.local_date(slot.starts_at))
                        plans.append(Plan(f"U0SW{round_}{n:04d}", f"{7_000_000 + round_ * 1000 + n}",
                                          slot.starts_at.isoformat(), chairs[0]))
                    panelbot_phase = run_phase("panelbot", panelbot_port, signer, policy, plans, case_id, f"P{round_}",
                                               standin)
                    drained = wait_quiet(standin)
                    modals = {"floor": floor_modals, "panelbot": modal_latency(standin, panelbot_phase)}
                    report(delay, floor_phase, panelbot_phase, card_latency(standin, panelbot_phase), drained, modals)
                    with engine.connect() as connection:
                        decided = connection.scalar(select(func.count()).select_from(Decision).join(
                            Case, Case.id == Decision.case_id).where(Case.reference.in_([p.reference for p in plans])))
                    print(f"panelbot cases decided: {decided} of {len(plans)}")
                    if panelbot_phase.wrong or decided != len(plans):
                        print("WRONG: panelbot's answers or outcome were not right")
                        failed = True
                lines = serve_log.read_text(errors="replace").splitlines()
                lines += worker_log.read_text(errors="replace").splitlines()
                for level in ("ERROR", "WARNING"):
                    found = [line.split(f" {level} ", 1)[1] for line in lines if f" {level} " in line]
                    print(f"\npanelbot serve and worker logs: {len(found)} {level} lines")
                    for kind in sorted({_without_figures(line) for line in found})[:8]:
                        print(f"   {kind}")
                exceptions = sorted({line for line in lines if line and not line.startswith((" ", "Traceback"))
                                     and ": " in line and line.split(":", 1)[0].endswith(("Error", "Exception"))})
                for line in exceptions[:8]:
                    print(f"   {line}")
            finally:
                for process in (serve, worker, floor):
                    process.terminate()
                    process.wait(timeout=20)
                engine.dispose()
        standin.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
