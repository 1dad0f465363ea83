"""The case builders: shapes, Slack's limits (DESIGN.md §7), privacy (§4), and readable text.

`assert_within_slack_limits` walks any message or view: Slack checks plain dict blocks only when
they are sent, so the builders are checked here instead.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain.calendar import Slot
from bot.domain.cases import STAGE_LABELS, CaseView, PanelListing, Stage, first_stage
from bot.domain.decisions import DecisionKind, DecisionView, Outcome
from bot.domain.routing import CaseRequest, RequestType, Service, route_case
from bot.policy import default_policy_path, load_policy
from handlers.slack.standin.webapi import block_texts
from messages.slack.cases import (
    MINE_LIMIT,
    case_card,
    case_details_modal,
    case_summary_message,
    decider_notice,
    decision_actions,
    mine_message,
    receipt_blocks,
    receipt_dm,
)
from messages.slack.format import clock_time, count, cut, escape, long_date, mention, money, weekly
from messages.slack.ids import DECIDE_BLOCK, Action, Callback, decide_action
from messages.slack.text import render_message, render_view

POLICY = load_policy(default_policy_path())
PRIYA, TOMAS, ANNA = "U0PRIYA", "U0TOMAS", "U0ANNAAP"
CHAIR, OPS = "U0CHAIR1", "U0OPSMGR1"
# Tuesday 24 November 2026, 10:00 in London.
SUBMITTED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
# Wednesday 25 November 2026, 10:42 in London (GMT).
DECIDED_AT = datetime(2026, 11, 25, 10, 42, tzinfo=UTC)


# --- Slack's limits ----------------------------------------------------------------------------------

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
OPTIONS_PER_ELEMENT = {"checkboxes": 10, "radio_buttons": 10, "overflow": 5}  # selects: 100


def _text(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _element_problems(element: dict[str, Any], where: str) -> list[str]:
    problems = []
    kind = element.get("type")
    if len(element.get("action_id", "")) > 255:
        problems.append(f"{where}: action_id over 255 characters")
    if len(_text(element.get("placeholder"))) > 150:
        problems.append(f"{where}: placeholder over 150 characters")
    if kind == "button":
        if len(_text(element.get("text"))) > 75:
            problems.append(f"{where}: button text over 75 characters")
        if len(element.get("value", "")) > 2000:
            problems.append(f"{where}: button value over 2,000 characters")
    options = element.get("options", [])
    for group in element.get("option_groups", []):
        options = [*options, *group.get("options", [])]
    most = OPTIONS_PER_ELEMENT.get(kind, 100)
    if len(options) > most:
        problems.append(f"{where}: {len(options)} options; a {kind} holds {most}")
    if "options" in element and not element["options"]:
        problems.append(f"{where}: an element with no options")
    for index, option in enumerate(options):
        if len(_text(option.get("text"))) > 75:
            problems.append(f"{where}.options[{index}]: option text over 75 characters")
        if len(option.get("value", "")) > 150:
            problems.append(f"{where}.options[{index}]: option value over 150 characters")
    if element.get("max_length", 0) > 3000:
        problems.append(f"{where}: max_length over 3,000")
    return problems


def _block_problems(block: dict[str, Any], where: str) -> list[str]:
    problems = []
    kind = block.get("type")
    if len(block.get("block_id", "")) > 255:
        problems.append(f"{where}: block_id over 255 characters")
    if kind == "header" and len(_text(block.get("text"))) > 150:
        problems.append(f"{where}: header text over 150 characters")
    if kind == "section":
        if not block.get("text") and not block.get("fields"):
            problems.append(f"{where}: a section needs text or fields")
        if len(_text(block.get("text"))) > 3000:
            problems.append(f"{where}: section text over 3,000 characters")
        fields = block.get("fields", [])
        if len(fields) > 10:
            problems.append(f"{where}: {len(fields)} fields; a section holds 10")
        problems += [f"{where}.fields[{i}]: over 2,000 characters" for i, f in enumerate(fields)
                     if len(_text(f)) > 2000]
        if "accessory" in block:
            problems += _element_problems(block["accessory"], f"{where}.accessory")
    if kind == "context":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 10:
            problems.append(f"{where}: a context holds 1 to 10 elements, not {len(elements)}")
        problems += [f"{where}: context text over 3,000 characters" for e in elements if len(_text(e)) > 3000]
    if kind == "actions":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 25:
            problems.append(f"{where}: an actions block holds 1 to 25 elements, not {len(elements)}")
        for index, element in enumerate(elements):
            problems += _element_problems(element, f"{where}.elements[{index}]")
    if kind == "input":
        if len(_text(block.get("label"))) > 2000:
            problems.append(f"{where}: label over 2,000 characters")
        if len(_text(block.get("hint"))) > 2000:
            problems.append(f"{where}: hint over 2,000 characters")
        problems += _element_problems(block.get("element", {}), f"{where}.element")
    return problems


def _empty_texts(value: Any, where: str) -> list[str]:
    """Slack refuses a text object whose text is empty, wherever it is."""
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and not value.get("text"):
            return [f"{where}: empty text"]
        return [problem for key, item in value.items() for problem in _empty_texts(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [problem for i, item in enumerate(value) for problem in _empty_texts(item, f"{where}[{i}]")]
    return []


def slack_limit_problems(payload: dict[str, Any]) -> list[str]:
    """Every way `payload` (a message, or a modal or Home view) breaks a Slack limit."""
    problems = []
    is_view = payload.get("type") in ("modal", "home")
    blocks = payload.get("blocks", [])
    most = VIEW_BLOCKS if is_view else MESSAGE_BLOCKS
    if len(blocks) > most:
        problems.append(f"{len(blocks)} blocks; Slack allows {most}")
    if is_view:
        for key in ("title", "submit", "close"):
            if len(_text(payload.get(key))) > 24:
                problems.append(f"{key} over 24 characters")
        if len(payload.get("private_metadata", "")) > 3000:
            problems.append("private_metadata over 3,000 characters")
        if len(payload.get("callback_id", "")) > 255:
            problems.append("callback_id over 255 characters")
    else:
        if not payload.get("text"):
            problems.append("no text fallback for notifications")
        if len(payload.get("text", "")) > 40000:
            problems.append("text over 40,000 characters")
        # Slack answers msg_blocks_too_long past 12,000 characters of text in a message's blocks, all
        # told (the stand-in refuses the same: handlers/slack/standin/webapi.py).
        if (total := sum(map(len, block_texts(blocks)))) > 12_000:
            problems.append(f"blocks hold {total:,} characters of text, over Slack's 12,000")
    for index, block in enumerate(blocks):
        problems += _block_problems(block, f"blocks[{index}]")
    return problems + _empty_texts(payload, "payload")


def assert_within_slack_limits(payload: dict[str, Any]) -> None:
    problems = slack_limit_problems(payload)
    assert problems == [], "\n".join(problems)


def assert_slack_sdk_reads_it_back(payload: dict[str, Any]) -> None:
    """slack_sdk's Block Kit models keep only the keys they know: a payload that comes back the same
    has no misspelt key or unknown element type. Their own length checks run too."""
    if payload.get("type") in ("modal", "home"):
        view = View(**payload)
        view.validate_json()
        assert view.to_dict() == payload
    else:
        blocks = Block.parse_all(payload["blocks"])
        for block in blocks:
            block.validate_json()
        assert [block.to_dict() for block in blocks] == payload["blocks"]


# --- Cases to show --------------------------------------------------------------------------------------


def make_case(request: CaseRequest, **changes: Any) -> CaseView:
    """A CaseView as the services would build it: routed by the default policy, just submitted."""
    route = route_case(POLICY, request)
    case = CaseView(
        id=1,
        reference="1234567",
        service=request.service,
        request_type=request.request_type,
        proposed_weekly=request.proposed_weekly,
        ras_weekly=request.ras_weekly,
        current_weekly=request.current_weekly,
        hours_per_month=request.hours_per_month,
        respite_weeks_per_year=request.respite_weeks_per_year,
        urgent=request.urgent,
        route=route.body,
        body_name=route.name,
        body_kind=route.kind,
        tier_role=route.tier,
        follow_on_name=POLICY.bodies[route.then_at].name if route.then_at else None,
        reasons=route.reasons,
        then=route.then,
        practitioner_must_attend=route.practitioner_must_attend,
        attendance=route.attendance,
        evidence_required=route.evidence,
        evidence_attached=(),
        stage=first_stage(route.kind, request.urgent),
        submitter=PRIYA,
        team_manager=TOMAS,
        attendee=None,
        deciders=POLICY.members(route.tier) if route.tier else (),
        submitted_at=SUBMITTED,
    )
    return replace(case, **changes)


FORUM = make_case(
    CaseRequest(Service.ADULTS, RequestType.NEW_PACKAGE, Decimal("412.00"), ras_weekly=Decimal("298.00")),
    evidence_attached=("moving and handling", "occupational therapy", "a carer's assessment"),
    attendee=ANNA,
)
DELEGATED = make_case(
    CaseRequest(
        Service.ADULTS,
        RequestType.INCREASE,
        Decimal("280.00"),
        ras_weekly=Decimal("300.00"),
        current_weekly=Decimal("240.00"),
    ),
    id=2,
    reference="2345678",
    evidence_attached=("assessment or review", "costed support plan"),
)
SEND_LATE = make_case(
    CaseRequest(
        Service.CHILDREN_SEND,
        RequestType.DIRECT_PAYMENT,
        Decimal("1234.50"),
        ras_weekly=Decimal("1200.00"),
        hours_per_month=Decimal("40.5"),
    ),
    id=3,
    reference="3456789",
    panel=PanelListing(
        day=date(2026, 12, 9),
        starts_at=datetime(2026, 12, 9, 10, 0, tzinfo=UTC),
        location="North",
        papers_due=date(2026, 11, 25),
        late_for=date(2026, 11, 11),
    ),
)
URGENT = make_case(
    CaseRequest(Service.ADULTS, RequestType.NEW_PACKAGE, Decimal("500.00"), ras_weekly=Decimal("450.00"), urgent=True),
    id=4,
    reference="4567890",
    urgent_reason="Her carer was admitted to hospital last night. " * 60,  # about 2,900 characters
)
LONG_TEXT = replace(
    FORUM,
    id=5,
    reference="5678901",
    strengths_and_needs="S" * 3000,
    outcomes="O" * 3001,
    alternatives="A" * 5000,
    record_link="https://records.example.gov.uk/person/5678901",
)
# Decided cases: one closed with an agreed amount and conditions, one waiting for endorsement.
APPROVED_WITH_CHANGES = DecisionView(
    kind=DecisionKind.DECISION,
    outcome=Outcome.APPROVED_WITH_CHANGES,
    reason="Best value: two days of day opportunities rather than three.",
    decided_by=CHAIR,
    decided_at=DECIDED_AT,
    amended_weekly=Decimal("380.00"),
    conditions="Review the day opportunities after eight weeks.",
    stage_after=Stage.APPROVED_WITH_CHANGES,
)
URGENT_APPROVAL = DecisionView(
    kind=DecisionKind.DECISION,
    outcome=Outcome.APPROVED,
    reason="Carer breakdown: the package cannot wait for panel.",
    decided_by=OPS,
    decided_at=DECIDED_AT,
    stage_after=Stage.AWAITING_ENDORSEMENT,
)
DECIDED = replace(FORUM, id=6, reference="6789012", stage=Stage.APPROVED_WITH_CHANGES,
                  decisions=(APPROVED_WITH_CHANGES,))
ENDORSING = replace(URGENT, id=7, reference="7890123", stage=Stage.AWAITING_ENDORSEMENT, decisions=(URGENT_APPROVAL,))
EVERY_CASE = [FORUM, DELEGATED, SEND_LATE, URGENT, LONG_TEXT, DECIDED, ENDORSING]
CASE_IDS = ["forum", "delegated", "send-late", "urgent", "long-text", "decided", "endorsing"]
MESSAGE_BUILDERS = [case_card, receipt_dm, decider_notice, case_summary_message, lambda case: mine_message([case])]
MESSAGE_BUILDER_IDS = ["card", "receipt", "decider-notice", "summary", "mine"]


def everything(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def section_texts(payload: dict[str, Any]) -> str:
    """All the words a person reads, as one string."""
    return "\n".join(render_view(payload) if payload.get("type") == "modal" else render_message(payload))


# --- The limit checker itself ---------------------------------------------------------------------------


def test_the_limit_checker_finds_each_kind_of_overflow():
    message = {
        "text": "x",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]},
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "action_id": "a"},
                {"type": "static_select", "action_id": "s", "options": [
                    {"text": {"type": "plain_text", "text": "o" * 76}, "value": "v" * 151}] * 101},
            ]},
            {"type": "section", "text": {"type": "mrkdwn", "text": ""}},
        ],
    }
    problems = "\n".join(slack_limit_problems(message))
    for words in ("header text over 150", "section text over 3,000", "fields[0]: over 2,000",
                  "button text over 75", "101 options", "option text over 75", "option value over 150",
                  "empty text"):
        assert words in problems
    too_many = {"text": "x", "blocks": [{"type": "divider"}] * 51}
    assert slack_limit_problems(too_many) == ["51 blocks; Slack allows 50"]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "private_metadata": "m" * 3001,
             "blocks": [{"type": "divider"}] * 101}
    assert len(slack_limit_problems(modal)) == 3


# --- Every builder, every case ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", EVERY_CASE, ids=CASE_IDS)
@pytest.mark.parametrize("build", [*MESSAGE_BUILDERS, case_details_modal], ids=[*MESSAGE_BUILDER_IDS, "details"])
def test_every_builder_stays_within_slacks_limits(build, case):
    payload = build(case)
    assert_within_slack_limits(payload)
    assert_slack_sdk_reads_it_back(payload)


@pytest.mark.parametrize("case", EVERY_CASE, ids=CASE_IDS)
@pytest.mark.parametrize("build", MESSAGE_BUILDERS, ids=MESSAGE_BUILDER_IDS)
def test_every_message_renders_as_readable_lines_naming_the_case(build, case):
    lines = render_message(build(case))
    assert lines
    assert any(case.reference in line for line in lines)
    assert not any("{'" in line or '{"' in line for line in lines)


# --- Privacy (DESIGN.md §4) ------------------------------------------------------------------------------

CANARIES = {
    "strengths_and_needs": "CANARY-strengths-Mrs-Example-born-1950",
    "outcomes": "CANARY-outcomes-wants-to-stay-at-12-Acacia-Road",
    "alternatives": "CANARY-alternatives-daughter-Jane",
    "urgent_reason": "CANARY-urgent-carer-in-hospital",
    "record_link": "https://records.example.gov.uk/CANARY-record-link",
}


@pytest.mark.parametrize("case", EVERY_CASE, ids=CASE_IDS)
@pytest.mark.parametrize("build", MESSAGE_BUILDERS, ids=MESSAGE_BUILDER_IDS)
def test_no_free_text_or_record_link_reaches_a_message(build, case):
    payload = everything(build(replace(case, **CANARIES)))
    assert "CANARY" not in payload


@pytest.mark.parametrize("case", EVERY_CASE, ids=CASE_IDS)
def test_the_details_modal_shows_every_free_text_field_and_the_record_link(case):
    payload = everything(case_details_modal(replace(case, **CANARIES)))
    for canary in CANARIES.values():
        assert canary in payload


def test_free_text_in_the_details_modal_is_plain_text_so_it_cannot_mention_anyone():
    case = replace(FORUM, outcomes="<!channel> <@U0SOMEONE> *bold* & more")
    modal = case_details_modal(case)
    [block] = [b for b in modal["blocks"] if "<!channel>" in everything(b)]
    assert block["text"] == {"type": "plain_text", "text": "<!channel> <@U0SOMEONE> *bold* & more"}


def test_free_text_over_a_sections_3000_characters_is_cut_with_an_ellipsis():
    texts = [b["text"]["text"] for b in case_details_modal(LONG_TEXT)["blocks"] if b.get("text", {}).get(
        "type") == "plain_text"]
    assert texts[0] == "S" * 3000  # exactly the limit: whole
    assert texts[1] == "O" * 2999 + "…"
    assert texts[2] == "A" * 2999 + "…"


# --- The case card -------------------------------------------------------------------------------------


def test_the_card_shows_reference_amounts_route_reasons_evidence_stage_and_submitter():
    card = case_card(FORUM)
    assert card["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Case 1234567"}}
    words = section_texts(card)
    for expected in (
        "New package", "Adults", "£412.00/wk", "£298.00/wk", "Enhanced Peer Forum",
        "£412.00/wk is over the £350.00 threshold", "✅ moving and handling", "❌ health",
        "✅ a carer's assessment", STAGE_LABELS[Stage.AWAITING_BOOKING], f"Submitted by <@{PRIYA}>",
        "Tuesday 24 November 2026 at 10:00", "An advanced practitioner or service manager attends with the worker",
        f"Attending with the worker: <@{ANNA}>",
    ):
        assert expected in words
    assert "Current" not in words and "Urgent" not in words


def test_a_meetings_card_has_no_decision_buttons_until_a_slot_is_booked():
    assert decision_actions(FORUM) is None
    assert decision_actions(replace(FORUM, stage=Stage.BOOKED)) is not None


@pytest.mark.parametrize("case", [replace(FORUM, stage=Stage.BOOKED), DELEGATED, SEND_LATE, URGENT, ENDORSING],
                         ids=["forum", "delegated", "send", "urgent", "endorsing"])
def test_a_card_waiting_on_a_decision_ends_with_the_decision_buttons(case):
    card = case_card(case)
    assert card["blocks"][-1] == decision_actions(case)
    assert card["blocks"][-1]["block_id"] == DECIDE_BLOCK
    assert [b for b in card["blocks"] if b["type"] == "actions"] == [card["blocks"][-1]]


def test_a_card_shows_no_buttons_once_the_case_is_decided_or_deferred():
    for case in (DECIDED, replace(DECIDED, stage=Stage.DEFERRED)):
        payload = everything(case_card(case))
        assert '"button"' not in payload and '"actions"' not in payload


def test_a_decided_card_shows_the_outcome_who_when_the_agreed_amount_and_where_to_read_the_reason():
    card = case_card(DECIDED)
    words = section_texts(card)
    assert f"*Approved with changes by <@{CHAIR}> at 10:42 on Wednesday 25 November 2026*" in words
    assert "Best value" not in everything(card) and "Reason:" not in everything(card)  # typed: never in a channel
    assert "*Agreed amount:* £380.00/wk" in words
    assert ("The reason and conditions are in the decision notice sent to the people on the case, "
            "and in `/panel case 6789012`.") in words
    assert f"*Stage:* {STAGE_LABELS[Stage.APPROVED_WITH_CHANGES]}" in words


def test_a_card_waiting_for_endorsement_shows_the_urgent_decision_and_the_endorsement_buttons():
    card = case_card(ENDORSING)
    words = section_texts(card)
    assert f"*Approved by <@{OPS}> at 10:42 on Wednesday 25 November 2026*" in words
    assert [button["action_id"] for button in card["blocks"][-1]["elements"]] == [
        decide_action(Outcome.ENDORSED), decide_action(Outcome.NOT_ENDORSED)]


def test_the_card_shows_only_the_latest_decision_and_the_round_after_a_resubmission():
    deferred = replace(APPROVED_WITH_CHANGES, outcome=Outcome.DEFERRED, reason="First round reason.",
                       amended_weekly=None, conditions=None, info_needed="An OT assessment.")
    case = replace(DECIDED, round=2, decisions=(deferred, APPROVED_WITH_CHANGES))
    words = section_texts(case_card(case))
    assert "Approved with changes by" in words and "First round reason." not in words
    assert "Resubmitted (round 2)" in words


def test_the_card_text_fallback_carries_the_reference_amount_and_route():
    assert case_card(FORUM)["text"] == "Case 1234567: new package, adults, £412.00/wk — Enhanced Peer Forum"


def test_a_change_shows_its_current_cost_and_the_ratification_that_follows():
    words = section_texts(case_card(DELEGATED))
    assert "*Current:* £240.00/wk" in words
    assert "ratification" not in words  # an adults' change signed off within delegation needs none (seed 001)


def test_a_delegated_card_names_the_tier_it_waits_on():
    assert "Waiting on <!subteam^S0TEAMMGRS> to sign off" in section_texts(case_card(DELEGATED))


def test_an_urgent_card_mentions_the_operations_managers_group():
    group = POLICY.members("operations_managers")[0]
    words = section_texts(case_card(URGENT))
    assert f"Waiting on <!subteam^{group}> for an urgent decision" in words
    assert "*Urgent:* yes" in words


def test_a_send_card_shows_the_sitting_papers_due_and_that_the_practitioner_must_attend():
    words = section_texts(case_card(SEND_LATE))
    assert "Wednesday 9 December 2026 at 10:00, North office" in words
    assert "Papers due Wednesday 25 November 2026" in words
    assert "Practitioner must attend" in words
    assert "40.5 hours a month" in words
    assert "£1,234.50/wk" in words
    assert "Papers for the Wednesday 11 November 2026 panel were past their due date" in words


def test_a_long_reference_is_cut_to_a_headers_150_characters():
    card = case_card(replace(FORUM, reference="9" * 200))
    assert len(card["blocks"][0]["text"]["text"]) == 150


# --- The receipt ---------------------------------------------------------------------------------------


OPEN_BUTTON = {"type": "button", "text": {"type": "plain_text", "text": "Open the case"},
               "action_id": Action.OPEN_CASE, "value": "1"}
BOOK_BUTTON = {"type": "button", "text": {"type": "plain_text", "text": "Book a forum slot"},
               "action_id": Action.BOOK_SLOT, "value": "1"}
SLOT = Slot(datetime(2026, 12, 1, 9, 30, tzinfo=UTC), datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
BOOKED = replace(FORUM, stage=Stage.BOOKED, slot=SLOT)


def test_a_forum_receipt_says_to_book_a_slot_and_has_the_open_and_book_buttons():
    receipt = receipt_dm(FORUM)
    words = section_texts(receipt)
    assert "Next: book a forum slot (button below, or `/panel book 1234567`)." in words
    assert "£412.00/wk is over the £350.00 threshold" in words
    assert receipt["blocks"][-1] == {"type": "actions", "elements": [OPEN_BUTTON, BOOK_BUTTON]}
    assert receipt["text"] == "Case 1234567 is submitted: it goes to the Enhanced Peer Forum."


def test_the_form_turns_into_a_view_with_the_book_button_for_an_unbooked_forum_case():
    assert receipt_blocks(FORUM)[-1] == {"type": "actions", "elements": [BOOK_BUTTON]}


@pytest.mark.parametrize("case", [BOOKED, DELEGATED, SEND_LATE, URGENT], ids=["booked", "delegated", "send", "urgent"])
def test_only_an_unbooked_forum_case_gets_the_book_button(case):
    receipt = receipt_dm(case)
    assert receipt["blocks"][-1] == {"type": "actions", "elements": [{**OPEN_BUTTON, "value": str(case.id)}]}
    assert Action.BOOK_SLOT not in everything(receipt)
    assert all(block["type"] != "actions" for block in receipt_blocks(case))


def test_mine_still_names_the_book_command_for_an_unbooked_forum_case():
    words = section_texts(mine_message([FORUM]))
    assert "Next: book a slot at the Enhanced Peer Forum with `/panel book 1234567`" in words


def test_the_card_and_the_details_modal_show_the_booked_forum_slot():
    for payload in (case_card(BOOKED), case_details_modal(BOOKED)):
        assert "*Slot:* Tuesday 1 December 2026, 09:30–10:00 (Enhanced Peer Forum)" in section_texts(payload)
        assert_within_slack_limits(payload)
    assert "*Slot:*" not in section_texts(case_card(FORUM))


def test_the_slot_is_shown_on_the_london_clock_after_the_clocks_change():
    spring = Slot(datetime(2026, 3, 30, 12, 0, tzinfo=UTC), datetime(2026, 3, 30, 12, 30, tzinfo=UTC))
    card = case_card(replace(BOOKED, slot=spring))
    assert "*Slot:* Monday 30 March 2026, 13:00–13:30 (Enhanced Peer Forum)" in section_texts(card)


def test_a_receipt_lists_the_evidence_still_missing():
    words = section_texts(receipt_dm(FORUM))
    assert "Evidence still missing: mental capacity, health, best-interest decision." in words


def test_a_receipt_with_all_evidence_attached_says_so():
    assert "everything asked for is attached" in section_texts(receipt_dm(DELEGATED))


def test_a_delegated_receipt_waits_on_the_team_manager_and_names_the_ratification():
    words = section_texts(receipt_dm(DELEGATED))
    assert "Waiting on team managers (<!subteam^S0TEAMMGRS>) to sign off." in words
    assert "ratification" not in words


def test_a_send_receipt_names_the_sitting_the_late_papers_and_that_you_must_attend():
    words = section_texts(receipt_dm(SEND_LATE))
    assert (
        "Listed for the SEND Quality Assurance Panel on Wednesday 9 December 2026 (North office), "
        "papers due Wednesday 25 November 2026." in words
    )
    assert "Papers for the Wednesday 11 November 2026 panel were past their due date, so this case goes to the " \
           "next one." in words
    assert "*You must attend the panel.*" in words
    assert "The practitioner attends the panel" not in words  # the same thing, said once


def test_an_urgent_receipt_says_who_decides_and_that_endorsement_follows():
    words = section_texts(receipt_dm(URGENT))
    assert (
        "Sent to operations managers for an urgent decision; it then goes to the next Enhanced Peer Forum for "
        "endorsement."
        in words
    )


# --- The decider's notice ------------------------------------------------------------------------------


def test_a_team_manager_is_asked_for_sign_off_with_amounts_reasons_and_submitter():
    notice = decider_notice(DELEGATED)
    assert notice["text"] == "Case 2345678 waits on your sign-off."
    words = section_texts(notice)
    for expected in ("£280.00/wk", "£300.00/wk", "£240.00/wk", "within the RAS indicative budget",
                     f"Submitted by <@{PRIYA}>", "[Open the case]"):
        assert expected in words


def test_an_operations_manager_is_asked_for_an_urgent_decision():
    notice = decider_notice(URGENT)
    assert notice["text"] == "Case 4567890 waits on your urgent decision."
    [button] = notice["blocks"][-2]["elements"]
    assert (button["action_id"], button["value"]) == (Action.OPEN_CASE, "4")


@pytest.mark.parametrize("case", [DELEGATED, URGENT], ids=["delegated", "urgent"])
def test_the_deciders_notice_carries_the_decision_buttons(case):
    notice = decider_notice(case)
    assert notice["blocks"][-1] == decision_actions(case)
    assert [button["value"] for button in notice["blocks"][-1]["elements"]] == [f"{case.id}:1"] * 4
    assert "[Approve]  [Approve with changes]  [Defer]  [Decline]" in section_texts(notice)


# --- /panel mine ---------------------------------------------------------------------------------------


def test_mine_with_no_cases_says_how_to_send_one():
    message = mine_message([])
    assert message["response_type"] == "ephemeral"
    assert message["text"] == "You have no cases yet. Use `/panel submit` to send one."
    assert_within_slack_limits(message)


def test_mine_lists_cases_newest_first_with_type_amount_stage_and_next_step():
    older = replace(DELEGATED, submitted_at=SUBMITTED - timedelta(days=3))
    listed = replace(SEND_LATE, submitted_at=SUBMITTED - timedelta(days=5))
    closed = replace(URGENT, stage=Stage.APPROVED, submitted_at=SUBMITTED - timedelta(days=9))
    message = mine_message([closed, FORUM, listed, older])
    assert message["response_type"] == "ephemeral"
    lines = [block["text"]["text"] for block in message["blocks"][1:]]
    assert lines == [
        "*1234567* — new package — £412.00/wk — waiting for a slot to be booked — "
        "Next: book a slot at the Enhanced Peer Forum with `/panel book 1234567`",
        "*2345678* — increase — £280.00/wk — waiting for sign-off — "
        "Waiting on team managers (<!subteam^S0TEAMMGRS>) to sign off",
        "*3456789* — direct payment — £1,234.50/wk — listed for the SEND Quality Assurance Panel on "
        "Wednesday 9 December 2026 (North office), papers due Wednesday 25 November 2026",
        "*4567890* — new package — £500.00/wk — approved",
    ]
    assert [block["accessory"]["value"] for block in message["blocks"][1:]] == ["1", "2", "3", "4"]


def test_mine_shows_at_most_forty_cases_and_says_how_many_more():
    cases = [replace(FORUM, id=n, reference=f"{1000000 + n}", submitted_at=SUBMITTED - timedelta(hours=n))
             for n in range(45)]
    message = mine_message(cases)
    assert_within_slack_limits(message)
    assert len([b for b in message["blocks"] if "accessory" in b]) == MINE_LIMIT
    assert render_message(message)[-1].strip() == "and 5 more"


# --- Details and summary ---------------------------------------------------------------------------------


def test_the_details_modal_has_its_callback_and_a_title_cut_to_24_characters():
    modal = case_details_modal(replace(FORUM, reference="12345678901234567890"))
    assert modal["type"] == "modal" and modal["callback_id"] == Callback.CASE_DETAILS
    assert modal["title"]["text"] == "Case 123456789012345678…"
    assert "submit" not in modal


def test_the_details_modal_reads_as_text_with_everything_a_role_holder_needs():
    lines = "\n".join(render_view(case_details_modal(LONG_TEXT)))
    for expected in ("┌ Case 5678901", "£412.00/wk", "Strengths and eligible needs", "Team manager: <@U0TOMAS>",
                     "Case record: Open the case record", "Stage:"):
        assert expected in lines


def test_the_details_modal_lists_every_decision_of_every_round():
    deferred = DecisionView(
        kind=DecisionKind.DECISION, outcome=Outcome.DEFERRED, reason="The OT report is missing.",
        decided_by=CHAIR, decided_at=DECIDED_AT - timedelta(days=28), info_needed="The OT assessment.",
        practice_concern="CANARY-concern", concern_actions="CANARY-actions", stage_after=Stage.DEFERRED,
    )
    case = replace(DECIDED, round=2, decisions=(deferred, APPROVED_WITH_CHANGES))
    modal = case_details_modal(case)
    words = section_texts(modal)
    assert "*Decisions (2)*" in words
    assert words.index("Deferred: more information needed by") < words.index("Approved with changes by")
    for expected in ("at 10:42 on Wednesday 28 October 2026", "*Reason:* The OT report is missing.",
                     "*Information needed:* The OT assessment.", "*Agreed amount:* £380.00/wk",
                     "*Changes and conditions:* Review the day opportunities after eight weeks."):
        assert expected in words
    assert "CANARY" not in everything(modal)  # the practice concern goes only to the line manager
    assert_within_slack_limits(modal)


def test_the_details_modal_keeps_the_last_twenty_decisions_of_a_long_history():
    many = tuple(replace(APPROVED_WITH_CHANGES, reason=f"Reason {n}.", outcome=Outcome.DEFERRED) for n in range(25))
    modal = case_details_modal(replace(DECIDED, decisions=many))
    words = section_texts(modal)
    assert "*Decisions (25)*" in words and "5 earlier decisions not shown" in words
    assert "Reason 4." not in words and "Reason 5." in words and "Reason 24." in words
    assert_within_slack_limits(modal)


def test_someone_without_a_role_sees_only_reference_route_and_stage():
    message = case_summary_message(SEND_LATE)
    assert message["response_type"] == "ephemeral"
    assert message["text"] == (
        "Case 3456789: SEND Quality Assurance Panel, listed for the SEND Quality Assurance Panel."
    )
    assert "Only people with a role on this case can see its details." in section_texts(message)
    assert "£" not in everything(message)


# --- Words and numbers -------------------------------------------------------------------------------------


def test_money_dates_and_times_read_the_british_way():
    assert money(Decimal("1234.5")) == "£1,234.50"
    assert weekly(Decimal("350")) == "£350.00/wk"
    assert long_date(date(2026, 12, 9)) == "Wednesday 9 December 2026"
    assert clock_time(datetime(2026, 12, 9, 10, 0, tzinfo=UTC)) == "10:00"
    assert count(Decimal("1"), "week") == "1 week"
    assert count(Decimal("40.50"), "hour") == "40.5 hours"


def test_times_and_dates_are_on_the_london_clock_in_summer():
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    at = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert clock_time(at) == "00:30"
    assert long_date(at) == "Wednesday 1 July 2026"


def test_people_and_user_groups_are_mentioned_differently():
    assert mention("U0PRIYA") == "<@U0PRIYA>"
    assert mention("W0GRID01") == "<@W0GRID01>"
    assert mention("S0OPSMGRS1") == "<!subteam^S0OPSMGRS1>"


def test_escape_and_cut():
    assert escape("<!here> & co") == "&lt;!here&gt; &amp; co"
    assert cut("abcdef", 6) == "abcdef"
    assert cut("abcdefg", 6) == "abcde…"
