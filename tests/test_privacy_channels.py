"""Channels carry no typed text: every flow, through the real app, with canary personal data (a name,
a date of birth, an NHS number, a postcode and a phone number) typed into every free-text field. None
of it reaches any channel payload the Slack stand-in recorded (text, blocks, attachments, metadata)
nor a log line; it reaches only DMs to people with a role on the case, and their modals."""

import json
import logging
from datetime import UTC, date, datetime

import pytest

from bot import worker
from bot.domain.decisions import Outcome
from bot.services.cases import look_up_case
from bot.services.outbox import deliver_due
from bot.services.views import chair_of
from bot.services.visits import provisions, visits_overview
from handlers.slack.standin.requests import form_state
from messages.slack.decisions import decision_modal
from messages.slack.ids import (
    Action,
    BookField,
    Callback,
    DecisionField,
    PlacementField,
    PlanVisitField,
    ProvisionField,
    ReviewField,
    decide_action,
)
from messages.slack.submit import submit_modal
from messages.slack.visits import placement_modal, plan_visit_modal, provision_modal
from tests.conftest import dispatch

PRIYA, ANNA, TOMAS, OLU = "U0PRIYA", "U0ANNAAP", "U0TOMAS", "U0OLUOPS"
PCO, SQAO, CSW, IRO = "U0PCO0001", "U0SQAO0001", "U0CSW0001", "U0IRO0001"

# What people type about a person, one of each kind the issue names.
NAME, BORN, NHS, POSTCODE, PHONE = "Winifred Canarywood", "14/07/1962", "943 476 5919", "CF10 1AA", "07700 900461"
CANARY = f"{NAME}, born {BORN}, NHS number {NHS}, of {POSTCODE}, phone {PHONE}"
CANARY_TOKENS = ("Winifred", "Canarywood", BORN, NHS, "9434765919", POSTCODE, PHONE)

FREE_TEXT = {
    "strengths_and_needs": f"Strengths: {CANARY}", "outcomes": f"Outcomes: {CANARY}",
    "alternatives": f"Alternatives: {CANARY}", "record_link": "https://records.example.gov.uk/Winifred-Canarywood",
}
FORUM = {"reference": "1234567", "service": "adults", "request_type": "new_package", "proposed_weekly": "412",
         "ras_weekly": "298", "evidence": ["occupational therapy"], "team_manager": TOMAS, "attendee": ANNA,
         **FREE_TEXT}
DELEGATED = {**FORUM, "reference": "2345678", "proposed_weekly": "280", "ras_weekly": "300"}
SEND = {**FORUM, "reference": "3456789", "service": "children_send", "request_type": "direct_payment",
        "proposed_weekly": "310", "ras_weekly": "300", "hours_per_month": "45"}
URGENT = {**FORUM, "reference": "4567890", "proposed_weekly": "500", "ras_weekly": "450", "urgent": ["urgent"],
          "urgent_reason": f"Why now: {CANARY}"}
URGENT_NOT_ENDORSED = {**URGENT, "reference": "4567891"}
INCREASE = {**FORUM, "reference": "5678901", "request_type": "increase", "current_weekly": "240",
            "proposed_weekly": "280", "ras_weekly": "300"}
INCREASE_NOT_RATIFIED = {**INCREASE, "reference": "5678902"}

# Every typed field of a decision form, each with the canary.
TYPED_DECISION = {
    DecisionField.REASON: f"Reason: {CANARY}", DecisionField.CONDITIONS: f"Conditions: {CANARY}",
    DecisionField.INFO_NEEDED: f"Needed: {CANARY}", DecisionField.PRACTICE_CONCERN: f"Concern: {CANARY}",
    DecisionField.CONCERN_ACTIONS: f"Actions: {CANARY}", DecisionField.AMENDED_WEEKLY: "380",
}


@pytest.fixture
def policy(default_policy):
    """The shipped policy, except that adults' changes signed off by delegation are ratified at the forum (a
    council may ask for it), so that ratification's messages are checked too."""
    rules = tuple(rule.model_copy(update={"ratify_changes_at": "forum"}) if rule.when.within_ras else rule
                  for rule in default_policy.routing.rules)
    return default_policy.model_copy(update={"routing": default_policy.routing.model_copy(update={"rules": rules})})


@pytest.fixture
def people(slack, policy):
    slack.groups[policy.members("team_managers")[0]] = [TOMAS]
    slack.groups[policy.members("operations_managers")[0]] = [OLU]
    slack.groups[policy.members("placement_commissioning_officers")[0]] = [PCO]


class Flows:
    """Each person's part, as the signed requests Slack would send."""

    def __init__(self, app, signer, slack, services, clock):
        self.app, self.signer, self.slack, self.services, self.clock = app, signer, slack, services, clock
        self.views = 0

    def _view_id(self) -> str:
        self.views += 1
        return f"V0CANARY{self.views:02d}"

    def submit_view(self, user, view, answers):
        view = {**view, "id": self._view_id()}
        response = dispatch(self.app, self.signer.view_submission(user, view, form_state(view, answers)))
        assert response.status == 200, response.body
        body = json.loads(response.body) if response.body else {}
        assert body.get("response_action") != "errors", body
        return body

    def command(self, user, text):
        response = dispatch(self.app, self.signer.command(user, text))
        assert response.status == 200
        return json.loads(response.body) if response.body else {}

    def submit_case(self, answers):
        self.submit_view(PRIYA, submit_modal(self.services.policy), answers)

    def case(self, reference):
        return look_up_case(self.services, reference, PRIYA).case

    def decide(self, user, reference, outcome):
        case = self.case(reference)
        opened = len(self.slack.calls_to("views.open"))
        response = dispatch(self.app, self.signer.block_action(
            user, decide_action(outcome), value=f"{case.id}:{case.round}", channel=case.card_channel or "D0X",
            message_ts=case.card_ts or "1800000000.000100"))
        assert response.status == 200 and len(self.slack.calls_to("views.open")) == opened + 1, outcome
        modal = decision_modal(case, Outcome(outcome))
        fields = {block.get("block_id") for block in modal["blocks"]}
        self.submit_view(user, modal, {key: value for key, value in TYPED_DECISION.items() if key in fields})
        assert self.case(reference).decisions[-1].outcome == outcome

    def book(self, reference, starts_at):
        self.command(PRIYA, f"book {reference}")
        view = self.slack.calls_to("views.open")[-1].args["view"]
        view = json.loads(view) if isinstance(view, str) else view
        self.submit_view(PRIYA, view, {BookField.SLOT: starts_at})

    def at(self, when):
        self.clock[0] = when
        worker.tick(self.services, when)


def channel_payloads(slack):
    """Everything the stand-in recorded that people in a channel could read: posts and updates to
    channels (C…/G…), and any answer to a response URL that is not ephemeral or that replaces the
    message it came from (which may be in a channel)."""
    found = []
    for call in slack.calls:
        channel = str(call.args.get("channel", ""))
        in_channel = call.method.startswith("chat.") and channel[:1] in ("C", "G")
        shared = call.method == "response_url" and (
            call.args.get("response_type") != "ephemeral" or str(call.args.get("replace_original")).lower() == "true")
        if in_channel or shared:
            found.append(call)
    return found


def holds_canary(call) -> bool:
    text = json.dumps(call.args, ensure_ascii=False)
    return any(token in text for token in CANARY_TOKENS)


def test_no_typed_text_reaches_a_channel_or_a_log_on_any_route_only_the_people_on_the_case(
        app, signer, slack, services, policy, clock, people, caplog):
    caplog.set_level(logging.INFO)
    talk = Flows(app, signer, slack, services, clock)
    today = date(2026, 11, 24)
    _, [chair_today] = chair_of(services, services.policy.bodies["forum"], today)

    # Submitting on every route, every free-text field holding the canary.
    for answers in (FORUM, DELEGATED, SEND, URGENT, URGENT_NOT_ENDORSED, INCREASE, INCREASE_NOT_RATIFIED):
        talk.submit_case(answers)
    talk.book("1234567", "2026-11-25T09:00:00+00:00")

    # Delegated sign-off, urgent decisions, endorsement and ratification (today's forum chair).
    talk.decide(TOMAS, "2345678", "declined")
    talk.decide(OLU, "4567890", "approved")
    talk.decide(chair_today, "4567890", "endorsed")
    talk.decide(OLU, "4567891", "approved_with_changes")
    talk.decide(chair_today, "4567891", "not_endorsed")
    talk.decide(TOMAS, "5678901", "approved")
    talk.decide(chair_today, "5678901", "ratified")
    talk.decide(TOMAS, "5678902", "approved")
    talk.decide(chair_today, "5678902", "not_ratified")

    # The forum's agenda at 08:00, then the chair of the day decides, with a practice concern.
    talk.at(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    talk.at(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    _, [chair_tomorrow] = chair_of(services, services.policy.bodies["forum"], date(2026, 11, 25))
    talk.decide(chair_tomorrow, "1234567", "approved_with_changes")

    # The SEND panel's agenda at the papers cut-off; the panel's chair defers the case.
    talk.at(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    talk.decide(policy.members("send_operations_manager")[0], "3456789", "deferred")

    # A review of the agreed package, with notes.
    talk.command(PRIYA, "review 1234567")
    review = slack.calls_to("views.open")[-1].args["view"]
    talk.submit_view(PRIYA, json.loads(review) if isinstance(review, str) else review,
                     {ReviewField.QUALITY_OF_LIFE: "improved", ReviewField.PACKAGE: "continues",
                      ReviewField.NOTES: f"Notes: {CANARY}"})

    # Monitoring visits: a provision (its contact typed), a placement, a plan, the visit, a step, a concern.
    talk.command(PCO, "provision")
    talk.submit_view(PCO, provision_modal(None), {
        ProvisionField.NAME: "Oakwood House", ProvisionField.TYPE: "residential_home",
        ProvisionField.RATING: "good", ProvisionField.RATED_ON: "2026-11-20",
        ProvisionField.CONTACT: f"Contact: {CANARY}"})
    [oakwood] = provisions(services)
    talk.command(PCO, "placement")
    talk.submit_view(PCO, placement_modal([oakwood]), {
        PlacementField.PROVISION: str(oakwood.id), PlacementField.CHILD_REFERENCE: "7654321",
        PlacementField.STARTS_ON: "2026-11-30", PlacementField.SOCIAL_WORKER: CSW, PlacementField.IRO: IRO})
    initial = next(v for v in visits_overview(services, PCO).visits if v.kind == "initial")
    dispatch(app, signer.block_action(PCO, Action.PLAN_VISIT, value=str(initial.id), channel="D0PCO",
                                      message_ts="1800000000.000300"))
    talk.submit_view(PCO, plan_visit_modal(initial), {PlanVisitField.DATE: "2026-12-01", PlanVisitField.VISITOR: PCO})
    clock[0] = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    dispatch(app, signer.block_action(PCO, Action.VISIT_DONE, value=str(initial.id), channel="D0PCO",
                                      message_ts="1800000000.000301"))
    dispatch(app, signer.block_action(PCO, Action.STEP_DONE, value=f"{initial.id}:report_to_sqao", channel="D0PCO",
                                      message_ts="1800000000.000302"))
    talk.command(PCO, "concern Oakwood House")
    talk.command(SQAO, "visits")
    talk.at(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))  # reminders and anything left to deliver
    deliver_due(services, clock[0])

    # Every channel saw its cards, threads and agendas ...
    channels = channel_payloads(slack)
    posted_to = {str(call.args.get("channel")) for call in channels}
    assert {policy.bodies["forum"].channel, policy.bodies["delegated"].channel, policy.bodies["send_panel"].channel,
            policy.bodies["urgent"].channel} <= posted_to
    assert sum(1 for call in channels if call.args.get("thread_ts")) >= 10  # a reply for every decision
    assert any("Enhanced Peer Forum \u2014 Wednesday 25 November 2026" in str(call.args.get("text"))  # the agenda
               for call in channels if call.args.get("channel") == policy.bodies["forum"].channel)
    assert any("\u2014 Wednesday 9 December 2026" in str(call.args.get("text"))  # the SEND panel's agenda
               for call in channels if call.args.get("channel") == policy.bodies["send_panel"].channel)
    # ... saying where to read the reason, and none of what anyone typed.
    assert any("/panel case 1234567" in json.dumps(call.args) for call in channels)
    leaked = [(call.method, call.args.get("channel")) for call in channels if holds_canary(call)]
    assert leaked == []
    assert not any(token in caplog.text for token in CANARY_TOKENS)

    # The typed text did reach the people on the case, by DM: the worker and the AP/SM (the decision
    # notices) and the worker's line manager (the practice concern).
    dms_with_canary = [call for call in slack.calls_to("chat.postMessage") if holds_canary(call)]
    assert {str(call.args["channel"]) for call in dms_with_canary} == {PRIYA, ANNA, TOMAS}
    assert any("Concern: Winifred" in json.dumps(call.args, ensure_ascii=False) for call in dms_with_canary
               if call.args["channel"] == TOMAS)
    # ... and the case's modal, for someone with a role on it.
    talk.command(PRIYA, "case 1234567")
    modal = slack.calls_to("views.open")[-1].args["view"]
    modal_text = modal if isinstance(modal, str) else json.dumps(modal, ensure_ascii=False)
    assert "Strengths: Winifred Canarywood" in modal_text and "Reason: Winifred Canarywood" in modal_text
    assert json.loads(modal_text)["callback_id"] == Callback.CASE_DETAILS
