"""`panelbot demo`: a scripted conversation through the real app.

The same signed requests Slack would send go through the real Bolt app, with its real handlers,
services and a throwaway SQLite database; Slack's Web API is the local stand-in. What each person
would see (ephemeral answers, DMs, channel posts, modals) is printed as readable text.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from slack_bolt.request import BoltRequest
from sqlalchemy import select

from bot.domain.decisions import Outcome
from bot.later import InlineExecutor
from bot.policy import default_policy_path
from bot.runtime import build_services
from bot.services import Services
from bot.services.cases import look_up_case
from bot.services.visits import provisions, visits_overview
from bot.settings import load_settings
from bot.worker import tick
from handlers.slack.app import PanelbotApp, create_app
from handlers.slack.demo_records import records
from handlers.slack.standin.requests import RequestSigner, SignedRequest, form_state
from handlers.slack.standin.webapi import SlackStandIn
from messages.slack.decisions import decision_modal
from messages.slack.ids import (
    VALUE,
    Action,
    AttendanceField,
    BookField,
    Callback,
    PlacementField,
    PlanVisitField,
    ProvisionField,
    WithdrawField,
    decide_action,
)
from messages.slack.submit import submit_modal
from messages.slack.text import render_message, render_view
from messages.slack.visits import placement_modal, plan_visit_modal, provision_modal
from store.models import Case, Reminder

# The demo's fixed audit key (a real council's is PANELBOT_AUDIT_KEY, kept outside the database).
DEMO_AUDIT_KEY = "demo-audit-key-not-for-real-data-0123456789"

# The demo's cast: Slack user IDs and who they are. Channels and chairs come from the default policy.
PEOPLE = {
    "U0PRIYA": "Priya (social worker)",
    "U0TOMAS": "Tomás (team manager)",
    "U0ANNAAP": "Anna (advanced practitioner)",
    "U0OLUOPS": "Olu (operations manager)",
    "U0SDASCOP1": "Sam (forum chair)",
    "U0VISITOR": "Val (a colleague with no role on the case)",
    "U0BENWORK": "Ben (social worker)",
    "U0SMHISIC1": "Hana (forum chair)",
    "U0SMNBHD01": "Nadia (forum chair)",
    "U0PCO0001": "Pat (placement commissioning officer)",
    "U0SQAO0001": "Quinn (senior QA officer)",
    "U0CSW0001": "Chris (the child's social worker)",
    "U0IRO0001": "Ira (independent reviewing officer)",
    "U0SVCMGR1": "Sol (service manager, chairs the Resource Allocation Panel)",
    "U0FINANCE": "Fin (finance officer)",
    "U0PRACLEAD": "Lee (practice lead)",
    "U0PANELAD1": "Pam (panel admin)",
}
CHANNELS = {
    "C0FORUM001": "#enhanced-peer-forum",
    "C0DELEGAT1": "#delegated-sign-off",
    "C0SENDQAP1": "#send-qa-panel",
    "C0URGENT01": "#urgent-decisions",
    "C0RAPANEL1": "#resource-allocation-panel",
    "C0TMSIGN01": "#team-manager-sign-off",
}
OPERATIONS_MANAGERS_GROUP = "S0OPSMGRS1"
TEAM_MANAGERS_GROUP = "S0TEAMMGRS"
PCO_GROUP = "S0PCOTEAM"

# What Priya types into the form, one case per route (the person is never named: only the reference).
FORUM_CASE = {
    "reference": "1234567", "service": "adults", "request_type": "new_package", "proposed_weekly": "412",
    "ras_weekly": "298", "strengths_and_needs": "Strengths, eligible needs and work so far (free text).",
    "outcomes": "Desired outcomes (free text).", "alternatives": "Community agents and OT consulted (free text).",
    "evidence": ["occupational therapy", "moving and handling"], "team_manager": "U0TOMAS", "attendee": "U0ANNAAP",
}
DELEGATED_CASE = {**FORUM_CASE, "reference": "2345678", "proposed_weekly": "280", "ras_weekly": "300"}
SEND_CASE = {**FORUM_CASE, "reference": "3456789", "service": "children_send", "request_type": "direct_payment",
             "proposed_weekly": "310", "ras_weekly": "300", "hours_per_month": "45"}
WAITING_CASE = {**FORUM_CASE, "reference": "6789012", "proposed_weekly": "250", "ras_weekly": "260"}
BEN_CASE = {**FORUM_CASE, "reference": "5678901", "proposed_weekly": "380", "ras_weekly": "320"}
# The demo's clock: Tuesday 24 November 2026, 10:00 in London, so its dates read the same every run.
DEMO_NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
URGENT_CASE = {**FORUM_CASE, "reference": "4567890", "proposed_weekly": "500", "ras_weekly": "450",
               "urgent": ["urgent"], "urgent_reason": "Why it cannot wait (free text)."}


@dataclass
class Conversation:
    """The real app wired to the stand-in; `say` sends a signed request and prints what people see."""

    out: IO[str]
    standin: SlackStandIn
    app: PanelbotApp
    services: Services
    signer: RequestSigner
    seen: int = field(default=0)
    show_home: bool = False  # Home tabs are republished after every change; shown only when a step asks
    speaker: str = ""

    def _print(self, line: str = "") -> None:
        self.out.write(_names(line) + "\n")

    def step(self, title: str) -> None:
        self._print()
        self._print(f"── {title} " + "─" * max(0, 66 - len(title)))

    def send(self, who: str, signed: SignedRequest, doing: str) -> int:
        """Dispatch a signed request as Slack would; print the answer and every Web API effect."""
        self._print(f"{PEOPLE.get(who, who)} {doing}")
        self.speaker = who
        response = self.app.dispatch(BoltRequest(body=signed.body, headers=signed.headers))
        body = _json(response.body) if response.body else {}
        if response.status != 200:
            self._print(f"    (panelbot refuses the request: HTTP {response.status})")
        elif body.get("response_action") == "errors":
            self._print("  the form stays open, with what was typed, and shows:")
            for field_id, message in body["errors"].items():
                self._print(f"    ⚠ {field_id}: {message}")
        elif body.get("response_action") == "update":
            self._print("  the form turns into:")
            for line in render_view(body["view"]):
                self._print(f"    {line}")
        elif body:
            self._show(who, "only you can see this", body)
        self._show_calls()
        return response.status

    def command(self, who: str, text: str) -> int:
        return self.send(who, self.signer.command(who, text), f"types `/panel {text}`")

    def choose_slot(self, who: str, reference: str, starts_at: str, view_id: str) -> int:
        case = look_up_case(self.services, reference, who)
        assert case is not None
        view = {"type": "modal", "callback_id": Callback.BOOK_FORM, "private_metadata": str(case.case.id),
                "id": view_id, "blocks": [{"type": "input", "block_id": BookField.SLOT,
                                            "element": {"type": "static_select", "action_id": VALUE}}]}
        signed = self.signer.view_submission(who, view, form_state(view, {BookField.SLOT: starts_at}))
        return self.send(who, signed, f"picks the {starts_at} (UTC) slot for case {reference} and presses Book")

    def press(self, who: str, action_id: str, reference: str, label: str) -> int:
        case = look_up_case(self.services, reference, who)
        assert case is not None
        signed = self.signer.block_action(who, action_id, value=str(case.case.id), channel="D" + who,
                                          message_ts="1800000000.000100")
        return self.send(who, signed, f"presses “{label}” for case {reference}")

    def first_offered_slot(self) -> str:
        """The earliest slot in the booking form panelbot last opened."""
        view = _json(self.standin.calls_to("views.open")[-1].args["view"])
        [block] = [b for b in view["blocks"] if b.get("block_id") == BookField.SLOT]
        return str(block["element"]["initial_option"]["value"])

    def tick(self, at: datetime) -> None:
        """Move the demo's clock to `at` and run one worker tick."""
        self.services.clock = lambda: at
        self._print(f"The worker ticks at {at.astimezone(self.services.calendar.tz):%A %d %B %Y %H:%M} (London)")
        tick(self.services, at)
        self._show_calls()

    def press_reminder(self, who: str, action_id: str, reference: str, label: str) -> int:
        """Press a button on the newest reminder DM `who` has about `reference`."""
        with self.services.sessions() as session:
            reminder_id = session.scalars(
                select(Reminder.id).join(Case, Case.id == Reminder.case_id)
                .where(Reminder.person == who, Case.reference == reference).order_by(Reminder.id.desc())).first()
        signed = self.signer.block_action(who, action_id, value=str(reminder_id), channel="D" + who[1:],
                                          message_ts="1800000000.000200")
        return self.send(who, signed, f"presses “{label}” on the reminder about case {reference}")

    def decide(self, who: str, reference: str, outcome: str, answers: dict[str, str], view_id: str) -> int:
        """Press a decision button on the case card; if a form opens, fill it in and submit it."""
        found = look_up_case(self.services, reference, who)
        assert found is not None
        case = found.case
        button = self.signer.block_action(who, decide_action(outcome), value=f"{case.id}:{case.round}",
                                          channel=case.card_channel, message_ts=case.card_ts)
        forms_before = len(self.standin.calls_to("views.open"))
        self.send(who, button, f"presses “{outcome.replace('_', ' ')}” for case {reference}")
        if len(self.standin.calls_to("views.open")) == forms_before:
            return 0  # refused: no form opened
        view = {**decision_modal(case, Outcome(outcome)), "id": view_id}
        signed = self.signer.view_submission(who, view, form_state(view, answers))
        return self.send(who, signed, f"writes the reason (“{answers['reason']}”) and records the decision")

    def at(self, when: datetime) -> None:
        """Move the demo's clock."""
        self.services.clock = lambda: when
        self._print(f"(it is now {when.astimezone(self.services.calendar.tz):%A %d %B %Y %H:%M} in London)")

    def submit_view(self, who: str, view: dict[str, Any], answers: dict[str, Any], view_id: str, doing: str) -> int:
        """Fill in and submit a modal panelbot built."""
        view = {**view, "id": view_id}
        return self.send(who, self.signer.view_submission(who, view, form_state(view, answers)), doing)

    def button(self, who: str, action_id: str, value: str, label: str) -> int:
        signed = self.signer.block_action(who, action_id, value=value, channel="D" + who[1:],
                                          message_ts="1800000000.000300")
        return self.send(who, signed, f"presses “{label}”")

    def fill_form(self, who: str, answers: dict[str, Any], view_id: str) -> int:
        view = {**submit_modal(self.services.policy), "id": view_id}
        signed = self.signer.view_submission(who, view, form_state(view, answers))
        summary = ", ".join(f"{key}={value}" for key, value in answers.items()
                            if key in ("reference", "service", "request_type", "proposed_weekly", "ras_weekly",
                                       "hours_per_month", "urgent"))
        return self.send(who, signed, f"fills in the form ({summary}) and presses Submit")

    def _show(self, who: str, where: str, message: dict[str, Any]) -> None:
        self._print(f"  {PEOPLE.get(who, CHANNELS.get(who, who))} sees ({where}):")
        for line in render_message(message):
            self._print(f"    │ {line}")

    def _show_calls(self) -> None:
        calls = self.standin.calls[self.seen:]
        self.seen = len(self.standin.calls)
        for call in calls:
            args = call.args
            if call.method == "chat.postMessage":
                channel = str(args.get("channel", ""))
                person = channel if channel in PEOPLE else None
                where = "a DM from panelbot" if person else f"posted in {CHANNELS.get(channel, channel)}"
                if args.get("thread_ts"):
                    where = f"a reply in the case's thread in {CHANNELS.get(channel, channel)}"
                message = {"text": args.get("text", ""), "blocks": _json(args.get("blocks"))}
                self._show(person or channel, where, message)
            elif call.method == "chat.update":
                self._show(str(args.get("channel")), "the card, updated in place",
                           {"text": args.get("text", ""), "blocks": _json(args.get("blocks"))})
            elif call.method == "files.completeUploadExternal":
                listed = _json(args.get("files")) or []
                names = ", ".join(self.standin.files.names.get(str(f.get("id")), "") for f in listed
                                  if isinstance(f, dict))
                who = str(args.get("channel_id", ""))
                self._print(f"  {PEOPLE.get(who, who)} receives a file in a DM from panelbot: {names}")
                if args.get("initial_comment"):
                    self._print(f"    │ {args['initial_comment']}")
                ics = [self.standin.files.uploads.get(str(f.get("id")), b"") for f in listed if isinstance(f, dict)]
                for raw in ics:
                    for line in raw.decode("utf-8", "replace").splitlines():
                        if line.split(":", 1)[0] in ("METHOD", "UID", "SEQUENCE", "DTSTART", "SUMMARY", "STATUS"):
                            self._print(f"    │   {line}")
            elif call.method == "views.publish" and self.show_home:
                self._print(f"  {PEOPLE.get(str(args.get('user_id')), args.get('user_id'))}'s Home tab shows:")
                for line in render_view(_json(args.get("view")) or {}):
                    self._print(f"    {line}")
            elif call.method in ("views.open", "views.push", "views.update"):
                self._print("  a form opens:")
                for line in render_view(_json(args.get("view")) or {}):
                    self._print(f"    {line}")
            elif call.method == "response_url":
                self._show(self.speaker, "only you can see this", args)


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>|<!subteam\^(S[A-Z0-9]+)>")


def _names(line: str) -> str:
    """Mentions as Slack shows them: @Name for people, @group for user groups."""
    def name(match: re.Match[str]) -> str:
        if match.group(1):
            return "@" + PEOPLE.get(match.group(1), match.group(1)).split(" ")[0]
        groups = {OPERATIONS_MANAGERS_GROUP: "@operations-managers", TEAM_MANAGERS_GROUP: "@team-managers"}
        return groups.get(match.group(2), "@" + match.group(2))
    return _MENTION.sub(name, line)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {"text": value}
    return value or []


def open_conversation(out: IO[str], workdir: Path, policy: Path | None = None) -> Conversation:
    standin = SlackStandIn().start()
    for user_id, name in PEOPLE.items():
        standin.add_user(user_id, name.split(" ")[0])
    standin.groups[OPERATIONS_MANAGERS_GROUP] = ["U0OLUOPS"]
    standin.groups[TEAM_MANAGERS_GROUP] = ["U0TOMAS"]
    standin.groups[PCO_GROUP] = ["U0PCO0001"]
    # The second council's roles (weekly_panel.toml).
    standin.groups.update({"S0SVCMGRS1": ["U0SVCMGR1"], "S0FINANCE1": ["U0FINANCE"], "S0PRACLD01": ["U0PRACLEAD"]})
    secret = secrets.token_hex(16)
    settings = load_settings(
        env_file=None,
        slack_bot_token="xoxb-demo-token",  # noqa: S106 (the stand-in accepts any token)
        slack_signing_secret=secret,
        slack_api_url=standin.api_url,
        database_url=f"sqlite:///{workdir / (policy.stem if policy else 'demo')}.db",
        panelbot_policy=policy,
        panelbot_audit_key=DEMO_AUDIT_KEY,
    )
    services = build_services(settings)
    services.clock = lambda: DEMO_NOW
    app = create_app(settings, services, listener_executor=InlineExecutor())
    signer = RequestSigner(secret, response_url_base=standin.base_url + "response/")
    standin.reset()  # start-up's auth.test is not part of the conversation
    for body in services.policy.bodies.values():  # the app is invited to each deciding body's channel
        standin.add_channel(body.channel)
    return Conversation(out, standin, app, services, signer)


def run_demo(out: IO[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="panelbot-demo-") as tmp:
        talk = open_conversation(out, Path(tmp))
        try:
            out.write("panelbot demo: the real app, signed requests, a stand-in for Slack, a throwaway database.\n")
            talk.step("Asking for help")
            talk.command("U0PRIYA", "help")
            talk.step("Submitting a case: the form")
            talk.command("U0PRIYA", "submit")
            talk.step("A mistake in the form is shown under the field; nothing is saved")
            talk.fill_form("U0PRIYA", {**FORUM_CASE, "reference": "12-AB", "proposed_weekly": "-5"}, "V0DEMO0")
            talk.step("An NHS number typed as the reference is refused, and not repeated back")
            talk.fill_form("U0PRIYA", {**FORUM_CASE, "reference": "943 476 5919"}, "V0DEMONHS")
            talk.step("Over £350 a week: the Enhanced Peer Forum")
            talk.fill_form("U0PRIYA", FORUM_CASE, "V0DEMO1")
            talk.step("Within the RAS budget: delegated sign-off by the team manager")
            talk.fill_form("U0PRIYA", DELEGATED_CASE, "V0DEMO2")
            talk.step("A children's SEND direct payment: the monthly SEND Quality Assurance Panel")
            talk.fill_form("U0PRIYA", SEND_CASE, "V0DEMO3")
            talk.step("Urgent: the operations manager decides now, the next panel endorses")
            talk.fill_form("U0PRIYA", URGENT_CASE, "V0DEMO4")
            talk.step("Another worker submits the same reference while it is in flight")
            talk.fill_form("U0BENWORK", FORUM_CASE, "V0DEMO5")
            talk.step("Priya's cases")
            talk.command("U0PRIYA", "mine")
            talk.step("A colleague with no role on a case sees only its stage")
            talk.command("U0VISITOR", "case 1234567")
            talk.step("The team manager opens the case: full details, in a private modal")
            talk.command("U0TOMAS", "case 2345678")
            talk.step("Booking the forum: the earliest free slots of the next ten sitting days")
            talk.command("U0PRIYA", "book 1234567")
            slot = talk.first_offered_slot()
            talk.fill_form("U0BENWORK", BEN_CASE, "V0DEMO6")
            talk.command("U0BENWORK", "book 5678901")
            talk.choose_slot("U0PRIYA", "1234567", slot, "V0DEMO7")
            talk.step("A clash: Ben had the same slot on his form, but Priya booked it first")
            talk.choose_slot("U0BENWORK", "5678901", slot, "V0DEMO8")
            talk.step("The day's agenda")
            talk.command("U0SDASCOP1", "agenda")
            talk.step("Priya cancels; the slot is offered again at once")
            talk.press("U0PRIYA", Action.CANCEL_BOOKING, "1234567", "Cancel booking")
            talk.command("U0BENWORK", "book 5678901")
            talk.choose_slot("U0BENWORK", "5678901", slot, "V0DEMO9")
            talk.step("At 08:00 the next sitting day's agenda goes to the forum channel and the chair")
            talk.tick(DEMO_NOW.replace(day=25, hour=8))
            talk.step("Deciding in the thread: someone who is not the chair is refused")
            talk.decide("U0VISITOR", "5678901", "approved", {"reason": "-"}, "V0DEMO10")
            talk.step("The chair of the day approves; the card changes in place and the worker hears at once")
            talk.decide("U0SDASCOP1", "5678901", "approved", {"reason": "Community options explored first"},
                        "V0DEMO11")
            talk.step("Delegated sign-off: the team manager decides from the DM")
            talk.decide("U0TOMAS", "2345678", "approved", {"reason": "Within the RAS budget"}, "V0DEMO12")
            talk.step("Urgent: the operations manager decides now; the case goes to the next panel for endorsement")
            talk.decide("U0OLUOPS", "4567890", "approved", {"reason": "Carer in hospital; cannot wait"}, "V0DEMO13")
            talk.decide("U0SDASCOP1", "4567890", "endorsed", {"reason": "Agreed at the forum"}, "V0DEMO14")
            talk.step("Reminders: the working day before a forum slot, in working hours")
            talk.choose_slot("U0PRIYA", "1234567", "2026-11-26T09:00:00+00:00", "V0DEMO15")
            talk.fill_form("U0PRIYA", WAITING_CASE, "V0DEMO16")
            talk.tick(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
            talk.step("Priya snoozes hers for a day; it comes back the next working morning")
            talk.press_reminder("U0PRIYA", Action.SNOOZE_DAY, "1234567", "Snooze 1 day")
            talk.tick(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
            talk.step("A sign-off left waiting: the team manager is nudged, then the operations manager told")
            talk.tick(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
            talk.tick(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
            talk.step("Priya corrects a case before it is decided: it is routed again and says what changed")
            talk.fill_form("U0PRIYA", {**WAITING_CASE, "proposed_weekly": "240"}, "V0DEMO17")
            talk.step("Priya withdraws it, with a reason that only the people on the case see")
            talk.command("U0PRIYA", "withdraw 6789012")
            form = _json(talk.standin.calls_to("views.open")[-1].args.get("view"))
            talk.submit_view("U0PRIYA", form, {WithdrawField.REASON: "The family found another way (free text)."},
                             "V0DEMO18", "writes why and presses Withdraw")
            cover_and_home(talk)
            monitoring_visits(talk)
            spot_check_and_report(talk)
            second_council(out, Path(tmp))
            records(talk)  # subject access, the audit chain, retention (handlers/slack/demo_records.py)
            talk.step("A mistyped subcommand gets usage, not an error")
            talk.command("U0PRIYA", "sumbit")
            talk.step("A forged request (signed with the wrong secret) is refused")
            forged = RequestSigner("not-the-signing-secret").command("U0PRIYA", "help")
            talk.send("U0PRIYA", forged, "(or someone pretending to be Priya) sends a forged `/panel help`")
        finally:
            talk.standin.stop()
            talk.services.engine.dispose()


def spot_check_and_report(talk: Conversation) -> None:
    """Issue 14: a delegated approval drawn for a spot check, the checker's finding, and `/panel report`."""
    from sqlalchemy import func

    from bot.domain.decisions import DecisionForm
    from bot.domain.report import parse_period
    from bot.domain.spot_checks import draw_for
    from bot.domain.submission import parse_submission
    from bot.services.cases import submit_case
    from bot.services.decisions import decide
    from bot.services.outbox import deliver_due
    from bot.services.report import build
    from bot.services.spot_checks import open_spot_check
    from messages.slack.ids import SpotCheckField
    from messages.slack.report import render_chart
    from messages.slack.spot_checks import spot_check_modal
    from store.models import Decision, SpotCheck

    services, checks = talk.services, talk.services.policy.spot_checks
    with services.sessions() as session:
        next_id = (session.scalar(select(func.max(Decision.id))) or 0) + 1
    quiet = next(k for k in range(200) if draw_for(next_id + k, checks.seed) < checks.percent)
    talk.step("Spot checks: each delegated approval draws a number from 0 to 100; under 10 it is checked")
    for k in range(quiet):  # approvals whose draw was 10 or more: audited, not checked (shown in one line)
        answers = {**DELEGATED_CASE, "reference": f"{7100001 + k}"}
        case = submit_case(services, parse_submission(answers, policy=services.policy, submitter="U0PRIYA"),
                           key=f"demo:quiet:{k}").case
        decide(services, case.id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="Within the RAS"), "U0TOMAS")
    deliver_due(services, services.now())
    talk.seen = len(talk.standin.calls)
    talk._print(f"(before this one, {quiet} delegated approval(s) drew {checks.percent} or more and were not "
                "checked; every draw is in the audit)")
    talk.fill_form("U0PRIYA", {**DELEGATED_CASE, "reference": "7200001"}, "V0DEMO30")
    talk.decide("U0TOMAS", "7200001", "approved", {"reason": "Within the RAS budget"}, "V0DEMO31")
    with services.sessions() as session:
        check_id = session.scalars(select(SpotCheck.id).order_by(SpotCheck.id.desc())).first()
    assert check_id is not None
    talk.command("U0SQAO0001", "spotchecks")
    talk.button("U0SQAO0001", Action.SPOT_CHECK_OPEN, str(check_id), "Check this case")
    modal = spot_check_modal(open_spot_check(services, check_id, "U0SQAO0001"))
    talk.submit_view("U0SQAO0001", modal, {SpotCheckField.FINDING: "concern",
                                           SpotCheckField.ACTIONS: "Record the carer's assessment (free text)."},
                     "V0DEMO32", "records a practice concern with recommended actions")
    talk.step("/panel report: the headline figures, and the chart sent to the DM")
    talk.command("U0PANELAD1", "report")
    [done] = talk.standin.calls_to("files.completeUploadExternal")[-1:]
    size = len(render_chart(build(services, *parse_period("", services.calendar.local_date(services.now())))))
    talk._print(f"  a chart (PNG, about {size // 1000} kB) is uploaded to the DM with panelbot: "
                f"{done.args['initial_comment']}")


def monitoring_visits(talk: Conversation) -> None:
    """Seed 002: a provision, a placement creating its initial visit, and the chain after the visit."""
    pat, quinn = "U0PCO0001", "U0SQAO0001"
    talk.step("Monitoring visits: a provision, rated Good by Ofsted")
    talk.at(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    talk.command(pat, "provision")
    talk.submit_view(pat, provision_modal(None), {
        ProvisionField.NAME: "Oakwood House", ProvisionField.TYPE: "residential_home",
        ProvisionField.RATING: "good", ProvisionField.RATED_ON: "2026-11-20",
        ProvisionField.CONTACT: "Oakwood Care Ltd, registered manager's office"}, "V0VISIT1",
        "adds Oakwood House, a residential home rated Good on 20 November")
    talk.step("A placement makes the initial visit due within 3 days of its start")
    oakwood = provisions(talk.services)[0]
    talk.submit_view(pat, placement_modal([oakwood]), {
        PlacementField.PROVISION: str(oakwood.id), PlacementField.CHILD_REFERENCE: "7654321",
        PlacementField.STARTS_ON: "2026-11-30", PlacementField.SOCIAL_WORKER: "U0CSW0001",
        PlacementField.IRO: "U0IRO0001"}, "V0VISIT2",
        "records the placement of child 7654321 (a case reference, never a name) from Monday 30 November")
    talk.command(pat, "visits")
    talk.step("Planning the visit asks the child's social worker and IRO for feedback")
    initial = next(v for v in visits_overview(talk.services, pat).visits if v.kind == "initial")
    talk.button(pat, Action.PLAN_VISIT, str(initial.id), "Plan")
    talk.submit_view(pat, plan_visit_modal(initial), {PlanVisitField.DATE: "2026-12-01",
                                                     PlanVisitField.VISITOR: pat}, "V0VISIT3",
                     "plans the visit for Tuesday 1 December, with themself as the visitor")
    talk.step("After the visit, each step's deadline runs from when the last one actually finished")
    talk.at(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    talk.button(pat, Action.VISIT_DONE, str(initial.id), "Visit done")
    talk.at(datetime(2026, 12, 9, 11, 0, tzinfo=UTC))
    talk.button(pat, Action.STEP_DONE, f"{initial.id}:report_to_sqao", "Done: report sent to the SQAO")
    talk.step("The senior QA officer sees everything, with the share done on time")
    talk.command(quinn, "visits")


WEEKLY_PANEL = default_policy_path().parent / "weekly_panel.toml"
SECOND_COUNCIL_CASE = {
    "reference": "7654321", "service": "adults", "request_type": "new_package", "proposed_weekly": "412",
    "ras_weekly": "298", "strengths_and_needs": "Strengths, eligible needs and work so far (free text).",
    "outcomes": "Desired outcomes (free text).", "alternatives": "Reablement tried (free text).",
    "evidence": ["assessment"], "team_manager": "U0TOMAS",
}


def second_council(out: IO[str], workdir: Path) -> None:
    """The same app run from another council's policy file: a weekly panel with papers due by 17:00 on
    the Thursday before, and a quorum the chair records from the agenda."""
    talk = open_conversation(out, workdir, policy=WEEKLY_PANEL)
    try:
        talk.step("A second council, from its own policy file: bot/policies/weekly_panel.toml")
        talk._print("  Example District Council: a weekly Resource Allocation Panel, papers due by 17:00 on the")
        talk._print("  Thursday of the week before, quorate with a finance officer and a practice lead present.")
        talk.step("Submitted on Tuesday: too late for Wednesday's papers, so listed for the next week")
        talk.fill_form("U0PRIYA", SECOND_COUNCIL_CASE, "V0DEMO2C1")
        talk.step("At the sitting the chair tries to decide before anyone is recorded present")
        talk.at(datetime(2026, 12, 2, 10, 30, tzinfo=UTC))
        talk.decide("U0SVCMGR1", "7654321", "approved", {"reason": "Best value agreed"}, "V0DEMO2C2")
        talk.step("The chair records who is present from the agenda")
        signed = talk.signer.block_action("U0SVCMGR1", Action.RECORD_ATTENDANCE, value="resource_panel:2026-12-02",
                                          channel="C0RAPANEL1", message_ts="1800000000.000400")
        talk.send("U0SVCMGR1", signed, "presses “Record who is present” on the agenda")
        form = _json(talk.standin.calls_to("views.open")[-1].args.get("view"))
        talk.submit_view("U0SVCMGR1", form, {AttendanceField.PRESENT: ["U0SVCMGR1", "U0FINANCE", "U0PRACLEAD"]},
                         "V0DEMO2C3", "chooses Sol, Fin and Lee and presses Record")
        talk.step("Now quorate, the panel decides")
        talk.decide("U0SVCMGR1", "7654321", "approved", {"reason": "Best value agreed"}, "V0DEMO2C4")
    finally:
        talk.standin.stop()
        talk.services.engine.dispose()


def cover_and_home(talk: Conversation) -> None:
    """Issue 13: a chair away names a colleague who chairs in their place; panelbot's Home tab for a person."""
    from datetime import date

    from bot.services.views import chair_of
    from messages.slack.home import away_modal
    from messages.slack.ids import AwayField

    forum = talk.services.policy.bodies["forum"]
    _, (chair, *_) = chair_of(talk.services, forum, date(2026, 11, 26))
    colleague = next(who for who in ("U0SDASCOP1", "U0SMHISIC1") if who != chair)  # another forum chair
    talk.step("The chair of the 26 November forum will be away and names a colleague to chair in their place")
    talk.at(datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    talk.command(chair, "away")
    talk.submit_view(chair, away_modal("2026-11-26"), {
        AwayField.FIRST_DAY: "2026-11-26", AwayField.LAST_DAY: "2026-11-26", AwayField.COLLEAGUE: colleague},
        "V0COVER1", f"enters 26 November to 26 November, picks {PEOPLE[colleague].split()[0]}, and presses Save")
    talk.step("On the 26th the colleague decides the case booked that day; the record says for whom")
    talk.at(datetime(2026, 11, 26, 9, 5, tzinfo=UTC))
    talk.decide(colleague, "1234567", "approved", {"reason": "Agreed, with a review in 6 weeks"}, "V0COVER2")
    talk.step("Opening panelbot's Home tab: a person's cases, what waits on them, and their cover")
    talk.show_home = True
    talk.send("U0PRIYA", talk.signer.event({"type": "app_home_opened", "user": "U0PRIYA", "tab": "home"},
                                           event_id="Ev0HOME1"), "opens panelbot's Home tab")
    talk.show_home = False
