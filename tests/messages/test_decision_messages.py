"""The decision builders: the buttons per stage, the form per outcome, the thread reply, the notices,
the SEND panel's agenda; their ids, Slack's limits (DESIGN.md §7) and privacy (§4): the practice
concern reaches only the line manager, and no case free text reaches a channel or the worker."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.domain.cases import STAGE_LABELS, CaseView, PanelListing, Stage
from bot.domain.decisions import (
    KIND_AT_STAGE,
    OUTCOME_LABELS,
    DecisionKind,
    DecisionView,
    Outcome,
    PanelAgenda,
    read_decision,
)
from bot.domain.routing import CaseRequest, RequestType, Service
from messages.slack.cases import case_card, case_details_modal, decider_notice
from messages.slack.decisions import (
    MODAL_TITLES,
    already_decided,
    decision_actions,
    decision_modal,
    decision_notice_dm,
    decision_thread_reply,
    not_allowed,
    panel_agenda_message,
    practice_concern_dm,
)
from messages.slack.ids import DECIDE_PREFIX, VALUE, Action, Callback, DecisionField, decide_action
from messages.slack.text import render_message, render_view
from tests.messages.test_case_messages import (
    ANNA,
    APPROVED_WITH_CHANGES,
    CANARIES,
    CHAIR,
    DECIDED_AT,
    DELEGATED,
    FORUM,
    OPS,
    PRIYA,
    SEND_LATE,
    TOMAS,
    URGENT,
    assert_slack_sdk_reads_it_back,
    assert_within_slack_limits,
    everything,
    make_case,
    section_texts,
)

DEPUTY = "U0SERVMGR1"
PANEL_GROUP = "S0SENDPANEL"


def decision(outcome: Outcome, **changes: Any) -> DecisionView:
    base = DecisionView(
        kind=DecisionKind.DECISION,
        outcome=outcome,
        reason=f"The reason for {outcome.value}.",
        decided_by=CHAIR,
        decided_at=DECIDED_AT,
        stage_after=Stage(outcome.value),
    )
    return replace(base, **changes)


APPROVED = decision(Outcome.APPROVED)
WITH_CHANGES = APPROVED_WITH_CHANGES
DEFERRED = decision(Outcome.DEFERRED, info_needed="The occupational therapy assessment.")
DECLINED = decision(Outcome.DECLINED)
URGENT_APPROVED = decision(Outcome.APPROVED, decided_by=OPS, stage_after=Stage.AWAITING_ENDORSEMENT)
SIGNED_OFF_CHANGE = decision(Outcome.APPROVED, decided_by=TOMAS, stage_after=Stage.AWAITING_RATIFICATION)
ENDORSED = decision(Outcome.ENDORSED, kind=DecisionKind.ENDORSEMENT)
ENDORSED_AND_RATIFIED = decision(Outcome.ENDORSED, kind=DecisionKind.ENDORSEMENT, stage_after=Stage.RATIFIED)
NOT_ENDORSED = decision(Outcome.NOT_ENDORSED, kind=DecisionKind.ENDORSEMENT)
RATIFIED = decision(Outcome.RATIFIED, kind=DecisionKind.RATIFICATION)
NOT_RATIFIED = decision(Outcome.NOT_RATIFIED, kind=DecisionKind.RATIFICATION)
EVERY_DECISION = [APPROVED, WITH_CHANGES, DEFERRED, DECLINED, URGENT_APPROVED, SIGNED_OFF_CHANGE, ENDORSED,
                  ENDORSED_AND_RATIFIED, NOT_ENDORSED, RATIFIED, NOT_RATIFIED]
DECISION_IDS = ["approved", "with-changes", "deferred", "declined", "urgent-approved", "signed-off-change",
                "endorsed", "endorsed-and-ratified", "not-endorsed", "ratified", "not-ratified"]

# Cases at each stage that waits on someone.
AWAITING_ENDORSEMENT = replace(URGENT, stage=Stage.AWAITING_ENDORSEMENT, decisions=(URGENT_APPROVED,))
AWAITING_RATIFICATION = replace(DELEGATED, stage=Stage.AWAITING_RATIFICATION, decisions=(SIGNED_OFF_CHANGE,))
BOOKED = replace(FORUM, stage=Stage.BOOKED)
RESUBMITTED = replace(SEND_LATE, round=2, decisions=(DEFERRED,))
# A meeting's case waiting for its slot is not yet decided by anyone: its card has no decision buttons.
DECISION_CASES = [BOOKED, DELEGATED, SEND_LATE, URGENT, RESUBMITTED]
DECISION_CASE_IDS = ["booked", "awaiting-sign-off", "listed", "urgent", "resubmitted"]
CLOSED_OR_DEFERRED = [Stage.DEFERRED, Stage.APPROVED, Stage.APPROVED_WITH_CHANGES, Stage.DECLINED, Stage.ENDORSED,
                      Stage.NOT_ENDORSED, Stage.RATIFIED, Stage.NOT_RATIFIED, Stage.WITHDRAWN]

PRACTICE_CANARIES = {"practice_concern": "CANARY-concern-worker-missed-the-carer",
                     "concern_actions": "CANARY-actions-supervision-this-week"}


def buttons(case: CaseView) -> list[dict[str, Any]]:
    block = decision_actions(case)
    assert block is not None
    return block["elements"]


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}


# --- The decision buttons -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", DECISION_CASES, ids=DECISION_CASE_IDS)
def test_a_case_waiting_on_its_decision_offers_approve_with_changes_defer_and_decline(case):
    elements = buttons(case)
    assert [b["text"]["text"] for b in elements] == ["Approve", "Approve with changes", "Defer", "Decline"]
    assert [b["action_id"] for b in elements] == [
        decide_action(Outcome.APPROVED), decide_action(Outcome.APPROVED_WITH_CHANGES),
        decide_action(Outcome.DEFERRED), decide_action(Outcome.DECLINED),
    ]
    assert [b.get("style") for b in elements] == ["primary", None, None, "danger"]
    assert {b["value"] for b in elements} == {f"{case.id}:{case.round}"}


def test_a_case_waiting_for_endorsement_offers_endorse_or_not():
    elements = buttons(AWAITING_ENDORSEMENT)
    assert [(b["text"]["text"], b["action_id"], b.get("style")) for b in elements] == [
        ("Endorse", "decide_endorsed", "primary"), ("Don't endorse", "decide_not_endorsed", None)]
    assert {b["value"] for b in elements} == {"4:1"}


def test_a_case_waiting_for_ratification_offers_ratify_or_not():
    elements = buttons(AWAITING_RATIFICATION)
    assert [(b["text"]["text"], b["action_id"], b.get("style")) for b in elements] == [
        ("Ratify", "decide_ratified", "primary"), ("Don't ratify", "decide_not_ratified", None)]


def test_every_button_action_id_starts_with_the_prefix_handlers_match():
    for case in [*DECISION_CASES, AWAITING_ENDORSEMENT, AWAITING_RATIFICATION]:
        assert all(b["action_id"].startswith(DECIDE_PREFIX) for b in buttons(case))


def test_a_resubmitted_case_carries_its_round_in_the_button_value():
    assert {b["value"] for b in buttons(RESUBMITTED)} == {"3:2"}


@pytest.mark.parametrize("stage", CLOSED_OR_DEFERRED, ids=str)
def test_a_closed_or_deferred_case_has_no_decision_buttons(stage):
    assert stage not in KIND_AT_STAGE
    assert decision_actions(replace(FORUM, stage=stage)) is None


# --- The decision form -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "fields"),
    [
        (Outcome.APPROVED, [DecisionField.REASON, DecisionField.PRACTICE_CONCERN, DecisionField.CONCERN_ACTIONS]),
        (Outcome.APPROVED_WITH_CHANGES, [DecisionField.REASON, DecisionField.AMENDED_WEEKLY, DecisionField.CONDITIONS,
                                         DecisionField.PRACTICE_CONCERN, DecisionField.CONCERN_ACTIONS]),
        (Outcome.DEFERRED, [DecisionField.REASON, DecisionField.INFO_NEEDED, DecisionField.PRACTICE_CONCERN,
                            DecisionField.CONCERN_ACTIONS]),
        (Outcome.DECLINED, [DecisionField.REASON, DecisionField.PRACTICE_CONCERN, DecisionField.CONCERN_ACTIONS]),
        (Outcome.ENDORSED, [DecisionField.REASON]),
        (Outcome.NOT_ENDORSED, [DecisionField.REASON]),
        (Outcome.RATIFIED, [DecisionField.REASON]),
        (Outcome.NOT_RATIFIED, [DecisionField.REASON]),
    ],
    ids=str,
)
def test_the_form_asks_for_what_each_outcome_needs(outcome, fields):
    modal = decision_modal(FORUM, outcome)
    found = inputs(modal)
    assert list(found) == [field.value for field in fields]
    assert all(block["element"]["action_id"] == VALUE for block in found.values())
    optional = {name for name, block in found.items() if block.get("optional")}
    assert optional == {DecisionField.PRACTICE_CONCERN, DecisionField.CONCERN_ACTIONS} & set(found)
    assert_within_slack_limits(modal)
    assert_slack_sdk_reads_it_back(modal)


@pytest.mark.parametrize("outcome", list(MODAL_TITLES), ids=str)
def test_every_outcome_has_a_form_title_that_fits(outcome):
    assert len(MODAL_TITLES[outcome]) <= 24


def test_the_form_carries_case_round_and_outcome_and_its_buttons():
    modal = decision_modal(RESUBMITTED, Outcome.DEFERRED)
    assert modal["type"] == "modal" and modal["callback_id"] == Callback.DECISION_FORM
    assert modal["private_metadata"] == "3:2:deferred"
    assert (modal["title"]["text"], modal["submit"]["text"], modal["close"]["text"]) == (
        "Defer case", "Record decision", "Cancel")
    assert decision_modal(FORUM, Outcome.APPROVED)["title"]["text"] == "Approve case"


def test_the_reason_is_required_and_says_it_goes_to_the_people_on_the_case_not_the_channel():
    reason = inputs(decision_modal(FORUM, Outcome.APPROVED))[DecisionField.REASON]
    assert "optional" not in reason
    assert reason["hint"]["text"] == ("Sent to the people on the case, never to the channel. "
                                      "Keep it to what the decision needs.")
    assert reason["element"] == {"type": "plain_text_input", "action_id": VALUE, "multiline": True,
                                 "max_length": 3000}


def test_approving_with_changes_starts_from_the_proposed_weekly_amount():
    found = inputs(decision_modal(FORUM, Outcome.APPROVED_WITH_CHANGES))
    amount = found[DecisionField.AMENDED_WEEKLY]
    assert amount["label"]["text"] == "Agreed weekly amount (£)"
    assert amount["element"]["type"] == "number_input"
    assert amount["element"]["is_decimal_allowed"] is True
    assert amount["element"]["initial_value"] == "412.00"
    assert "optional" not in found[DecisionField.CONDITIONS]


def test_deferring_asks_what_information_is_needed():
    info = inputs(decision_modal(FORUM, Outcome.DEFERRED))[DecisionField.INFO_NEEDED]
    assert info["label"]["text"] == "What information is needed" and "optional" not in info


def test_the_practice_concern_says_it_goes_only_to_the_line_manager():
    found = inputs(decision_modal(FORUM, Outcome.DECLINED))
    assert found[DecisionField.PRACTICE_CONCERN]["hint"]["text"] == "Sent only to the worker's line manager"
    assert found[DecisionField.CONCERN_ACTIONS]["label"]["text"] == "Recommended actions"


@pytest.mark.parametrize("outcome", [o for o in Outcome if o not in (Outcome.WITHDRAWN, Outcome.EXPIRED)], ids=str)
def test_what_the_form_sends_back_is_what_the_domain_reads(outcome):
    answers = {DecisionField.AMENDED_WEEKLY: "380.00", DecisionField.PRACTICE_CONCERN: None,
               DecisionField.CONCERN_ACTIONS: None}
    raw = {name: answers.get(DecisionField(name), f"Some {name}.") for name in inputs(decision_modal(FORUM, outcome))}
    form = read_decision(outcome, raw)
    assert form.outcome is outcome and form.reason == "Some reason."


def test_the_form_shows_the_case_amounts_and_route_and_reads_as_text():
    lines = "\n".join(render_view(decision_modal(FORUM, Outcome.APPROVED_WITH_CHANGES)))
    for expected in ("┌ Approve with changes", "Case 1234567:", "£412.00/wk", "Route: Enhanced Peer Forum",
                     "Reason: ____", "Agreed weekly amount (£): ____", "Practice concern (optional): ____",
                     "└ [Record decision]"):
        assert expected in lines


def test_the_endorsement_form_shows_the_decision_it_endorses():
    words = section_texts(decision_modal(AWAITING_ENDORSEMENT, Outcome.ENDORSED))
    assert f"*The decision:* Approved by <@{OPS}> at 10:42 on Wednesday 25 November 2026" in words
    assert "*Reason:* The reason for approved." in words


# --- The reply in the case's thread ---------------------------------------------------------------------


def test_the_thread_reply_gives_outcome_who_when_amount_stage_and_where_the_reason_is_never_the_reason():
    reply = decision_thread_reply(FORUM, WITH_CHANGES)
    assert reply["text"] == f"Case 1234567: Approved with changes by <@{CHAIR}>."
    words = section_texts(reply)
    for expected in (
        f"*Case 1234567: Approved with changes by <@{CHAIR}> at 10:42 on Wednesday 25 November 2026*",
        "*Agreed amount:* £380.00/wk",
        "The reason and conditions are in the decision notice sent to the people on the case, "
        "and in `/panel case 1234567`.",
        f"*Stage now:* {STAGE_LABELS[Stage.APPROVED_WITH_CHANGES]}",
    ):
        assert expected in words
    payload = everything(reply)
    assert "Best value" not in payload and "Review the day opportunities" not in payload


def test_a_deferral_in_the_thread_says_where_to_read_what_information_is_needed():
    reply = decision_thread_reply(SEND_LATE, DEFERRED)
    words = section_texts(reply)
    assert "The reason and information needed are in the decision notice" in words
    assert "occupational therapy assessment" not in everything(reply)
    assert "*Stage now:* deferred for more information" in words


def test_the_thread_shows_an_urgent_approval_waiting_for_endorsement():
    words = section_texts(decision_thread_reply(URGENT, URGENT_APPROVED))
    assert f"*Stage now:* {STAGE_LABELS[Stage.AWAITING_ENDORSEMENT]}" in words


def test_the_decision_time_is_on_the_london_clock_in_summer():
    summer = replace(APPROVED, decided_at=datetime(2026, 7, 1, 9, 42, tzinfo=UTC))
    assert "at 10:42 on Wednesday 1 July 2026" in section_texts(decision_thread_reply(FORUM, summer))


def test_a_reason_cannot_mention_anyone_in_the_notice():
    noisy = replace(APPROVED, reason="<!channel> see <@U0SOMEONE> & co")
    payload = everything(decision_notice_dm(FORUM, noisy))
    assert "<!channel>" not in payload and "&lt;!channel&gt; see &lt;@U0SOMEONE&gt; &amp; co" in payload
    assert "channel" not in everything(decision_thread_reply(FORUM, noisy))


def test_a_long_reason_is_cut_to_a_sections_3000_characters():
    notice = decision_notice_dm(FORUM, replace(WITH_CHANGES, reason="R" * 3000, conditions="C" * 3000))
    assert_within_slack_limits(notice)
    assert "*Changes and conditions:* C" in section_texts(notice)


# --- The decision notice (worker and AP/SM) --------------------------------------------------------------


def test_an_approval_lets_support_planning_start_against_the_proposed_budget():
    notice = decision_notice_dm(FORUM, APPROVED)
    assert notice["text"] == "Case 1234567: Approved."
    words = section_texts(notice)
    for expected in (
        "*Reason:* The reason for approved.",
        "• Support planning may start now, within the agreed budget of £412.00/wk.",
        "• Tell the person the decision and update the case record.",
    ):
        assert expected in words
    assert "next panel" not in words
    assert "practice lead" not in words  # seed 000's practice lead signs off SEND support plans only


def test_a_send_approval_has_the_practice_lead_sign_off_the_support_plan():
    words = section_texts(decision_notice_dm(SEND_LATE, replace(APPROVED, decided_by=CHAIR)))
    assert "• The practice lead signs off the support plan against the agreed budget of £1,234.50/wk." in words
    assert "• Tell the child's family the decision and update the case record." in words


def test_an_approval_with_changes_names_the_agreed_budget():
    words = section_texts(decision_notice_dm(FORUM, WITH_CHANGES))
    assert "within the agreed budget of £380.00/wk." in words
    assert "*Changes and conditions:* Review the day opportunities after eight weeks." in words


def test_an_urgent_approval_goes_to_the_next_panel_for_endorsement():
    words = section_texts(decision_notice_dm(URGENT, URGENT_APPROVED))
    assert "• Support planning may start now, within the agreed budget of £500.00/wk." in words
    assert "• It goes to the next Enhanced Peer Forum for endorsement." in words


def test_a_signed_off_change_goes_to_the_next_panel_for_ratification():
    words = section_texts(decision_notice_dm(DELEGATED, SIGNED_OFF_CHANGE))
    assert "• It goes to the next panel for ratification." in words


def test_a_deferral_says_what_is_needed_and_how_to_resubmit():
    words = section_texts(decision_notice_dm(SEND_LATE, DEFERRED))
    assert "• What is needed: The occupational therapy assessment." in words
    assert words.count("The occupational therapy assessment.") == 1
    assert ("• Resubmit the same case with `/panel submit` (same case reference) when you have it: "
            "its history is kept.") in words
    assert "Support planning" not in words


def test_a_decline_gives_the_reason_and_says_to_talk_to_the_team_manager():
    words = section_texts(decision_notice_dm(FORUM, DECLINED))
    assert "*Reason:* The reason for declined." in words
    assert "• Talk to your team manager about next steps." in words
    assert "Support planning" not in words


@pytest.mark.parametrize(
    ("case", "outcome", "expected"),
    [
        (AWAITING_ENDORSEMENT, ENDORSED, "The panel endorsed the decision made out of panel"),
        (AWAITING_ENDORSEMENT, ENDORSED_AND_RATIFIED, "The endorsement ratifies the change to the package too."),
        (AWAITING_ENDORSEMENT, NOT_ENDORSED, "The panel did not endorse the decision made out of panel."),
        (AWAITING_RATIFICATION, RATIFIED, "The panel ratified the change to the package"),
        (AWAITING_RATIFICATION, NOT_RATIFIED, "The panel did not ratify the change to the package."),
    ],
    ids=["endorsed", "endorsed-and-ratified", "not-endorsed", "ratified", "not-ratified"],
)
def test_an_endorsement_or_ratification_says_what_the_panel_did(case, outcome, expected):
    notice = decision_notice_dm(case, outcome)
    assert notice["text"] == f"Case {case.reference}: {OUTCOME_LABELS[outcome.outcome]}."
    assert expected in section_texts(notice)


@pytest.mark.parametrize("decided", EVERY_DECISION, ids=DECISION_IDS)
def test_every_notice_has_the_open_the_case_button(decided):
    notice = decision_notice_dm(SEND_LATE, decided)
    assert notice["blocks"][-1] == {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Open the case"},
         "action_id": Action.OPEN_CASE, "value": "3"}]}


# --- The practice concern (line manager only) ------------------------------------------------------------


def test_the_line_manager_gets_the_concern_the_actions_and_who_recorded_it():
    concerned = replace(DECLINED, practice_concern="The carer's assessment was not offered.",
                        concern_actions="Discuss in supervision; refresh carers' training.")
    dm = practice_concern_dm(FORUM, concerned)
    assert dm["text"] == "A practice concern was recorded at the decision on case 1234567."
    words = section_texts(dm)
    for expected in (f"Declined by <@{CHAIR}> at 10:42 on Wednesday 25 November 2026", f"Worker: <@{PRIYA}>",
                     "The carer's assessment was not offered.", "Discuss in supervision; refresh carers' training."):
        assert expected in words
    assert_within_slack_limits(dm)
    assert_slack_sdk_reads_it_back(dm)


def test_the_concern_is_shown_as_typed_so_it_cannot_mention_anyone():
    dm = practice_concern_dm(FORUM, replace(DECLINED, practice_concern="<!channel> *look*", concern_actions="x"))
    assert {"type": "plain_text", "text": "<!channel> *look*"} in [b.get("text") for b in dm["blocks"]]


def test_a_decision_without_a_concern_has_no_concern_dm():
    with pytest.raises(ValueError, match="no practice concern"):
        practice_concern_dm(FORUM, APPROVED)


# --- Privacy ---------------------------------------------------------------------------------------------

PRIVATE_CASE = replace(SEND_LATE, **CANARIES)
CONCERNED = replace(DEFERRED, **PRACTICE_CANARIES)
DECIDED_PRIVATE = replace(PRIVATE_CASE, stage=Stage.DEFERRED, decisions=(CONCERNED,))
ENDORSING_PRIVATE = replace(AWAITING_ENDORSEMENT, **CANARIES, decisions=(replace(URGENT_APPROVED,
                                                                                 **PRACTICE_CANARIES),))
# Everything that goes to a channel, to the worker, or to a decider: no case free text, no concern.
NOT_THE_LINE_MANAGER = {
    "card": lambda: case_card(DECIDED_PRIVATE),
    "card-endorsing": lambda: case_card(ENDORSING_PRIVATE),
    "decider-notice": lambda: decider_notice(PRIVATE_CASE),
    "thread-reply": lambda: decision_thread_reply(PRIVATE_CASE, CONCERNED),
    "notice": lambda: decision_notice_dm(PRIVATE_CASE, CONCERNED),
    "endorsement-form": lambda: decision_modal(ENDORSING_PRIVATE, Outcome.ENDORSED),
    "decision-form": lambda: decision_modal(PRIVATE_CASE, Outcome.APPROVED),
    "agenda": lambda: panel_agenda_message(replace(AGENDA, cases=(DECIDED_PRIVATE,),
                                                   follow_ons=(ENDORSING_PRIVATE,))),
    "already-decided": lambda: {"text": already_decided(PRIVATE_CASE.reference, CONCERNED)},
}


@pytest.mark.parametrize("build", list(NOT_THE_LINE_MANAGER.values()), ids=list(NOT_THE_LINE_MANAGER))
def test_no_free_text_and_no_practice_concern_reaches_a_channel_the_worker_or_a_decider(build):
    assert "CANARY" not in everything(build())


def test_the_details_modal_shows_free_text_to_role_holders_but_never_the_practice_concern():
    payload = everything(case_details_modal(DECIDED_PRIVATE))
    assert CANARIES["strengths_and_needs"] in payload
    assert all(canary not in payload for canary in PRACTICE_CANARIES.values())


def test_only_the_line_manager_sees_the_practice_concern_and_never_the_case_free_text():
    payload = everything(practice_concern_dm(PRIVATE_CASE, CONCERNED))
    assert all(canary in payload for canary in PRACTICE_CANARIES.values())
    assert all(canary not in payload for canary in CANARIES.values())


# --- Short answers --------------------------------------------------------------------------------------


def test_a_late_click_is_told_who_decided_and_when():
    assert already_decided("1234567", APPROVED) == (
        f"Case 1234567 was already decided: Approved by <@{CHAIR}> at 10:42 on Wednesday 25 November 2026."
    )


def test_someone_not_allowed_gets_the_services_sentence():
    assert not_allowed("Only the chair can decide this case.") == "🚫 Only the chair can decide this case."


# --- The SEND panel's agenda ----------------------------------------------------------------------------

SITTING = PanelListing(day=date(2026, 12, 9), starts_at=datetime(2026, 12, 9, 10, 0, tzinfo=UTC), location="North",
                       papers_due=date(2026, 11, 25))


def send_case(case_id: int, reference: str, hours: str, **changes: Any) -> CaseView:
    request = CaseRequest(Service.CHILDREN_SEND, RequestType.DIRECT_PAYMENT, Decimal("310.00"),
                          ras_weekly=Decimal("300.00"), hours_per_month=Decimal(hours))
    return make_case(request, id=case_id, reference=reference, panel=SITTING, **changes)


BIG = send_case(10, "3456789", "45")
SMALL = send_case(11, "3456790", "30", submitter=ANNA)
AGENDA = PanelAgenda(
    day=SITTING.day,
    starts_at=SITTING.starts_at,
    location="North",
    papers_due=SITTING.papers_due,
    chair=(PANEL_GROUP,),
    deputy=(DEPUTY,),
    cases=(BIG, SMALL),
    follow_ons=(AWAITING_ENDORSEMENT, AWAITING_RATIFICATION),
)


def test_the_agenda_names_the_sitting_chair_deputy_and_papers_due():
    message = panel_agenda_message(AGENDA)
    assert message["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": "SEND Quality Assurance Panel — Wednesday 9 December 2026, 10:00, North office"}}
    words = section_texts(message)
    assert f"*Chair:* <!subteam^{PANEL_GROUP}>" in words and f"*Deputy:* <@{DEPUTY}>" in words
    assert "Papers were due Wednesday 25 November 2026" in words
    assert message["text"] == ("SEND Quality Assurance Panel — Wednesday 9 December 2026: 2 cases for a decision, "
                               "2 for endorsement or ratification")


def test_the_agenda_flags_practitioner_must_attend_only_for_packages_over_forty_hours():
    words = section_texts(panel_agenda_message(AGENDA))
    assert (f"case 3456789 · direct payment £310.00/wk · 45 hours a month · *practitioner must attend* · <@{PRIYA}>"
            in words)
    assert f"case 3456790 · direct payment £310.00/wk · 30 hours a month · <@{ANNA}>" in words
    assert words.count("practitioner must attend") == 1


def test_the_agenda_lists_follow_ons_with_the_decision_they_follow():
    words = section_texts(panel_agenda_message(AGENDA))
    follow_ons = words[words.index("*For endorsement / ratification (2)*"):]
    assert (f"case 4567890 · new package £500.00/wk · endorsement of: Approved by <@{OPS}> at 10:42 on "
            f"Wednesday 25 November 2026 · <@{PRIYA}>") in follow_ons
    assert f"case 2345678 · increase £280.00/wk · ratification of: Approved by <@{TOMAS}>" in follow_ons
    assert "case 3456789" not in follow_ons


def test_an_agenda_with_no_cases_says_so_and_has_no_follow_on_section():
    message = panel_agenda_message(replace(AGENDA, cases=(), follow_ons=()))
    words = section_texts(message)
    assert "No cases are listed for this panel." in words and "endorsement / ratification (" not in words
    assert_within_slack_limits(message)


def count_case_lines(message: dict[str, Any]) -> int:
    return sum(1 for line in render_message(message) if line.startswith("case "))


def hidden(message: dict[str, Any]) -> int:
    return sum(int(line.split()[1]) for line in render_message(message) if line.strip().startswith("and "))


@pytest.mark.parametrize(("n_cases", "n_follow_ons"), [(40, 10), (3000, 5), (5, 3000), (3000, 3000)])
def test_a_very_long_agenda_stays_within_50_blocks_and_says_how_many_more(n_cases, n_follow_ons):
    cases = tuple(send_case(100 + n, f"{4000000 + n}", "45") for n in range(n_cases))
    follow_ons = tuple(replace(AWAITING_ENDORSEMENT, id=9000 + n, reference=f"{5000000 + n}")
                       for n in range(n_follow_ons))
    message = panel_agenda_message(replace(AGENDA, cases=cases, follow_ons=follow_ons))
    assert_within_slack_limits(message)
    assert count_case_lines(message) + hidden(message) == n_cases + n_follow_ons
    assert "*For endorsement / ratification" in section_texts(message)


def test_a_long_reference_and_location_are_cut_to_fit():
    message = panel_agenda_message(replace(AGENDA, location="L" * 200, cases=(replace(BIG, reference="9" * 4000),)))
    assert_within_slack_limits(message)


# --- Every builder: Slack's limits and readable text -------------------------------------------------------

# (what builds it, the words it must name)
MESSAGES = {
    **{f"thread-{name}": (lambda d=d: decision_thread_reply(SEND_LATE, d), "3456789")
       for name, d in zip(DECISION_IDS, EVERY_DECISION, strict=True)},
    **{f"notice-{name}": (lambda d=d: decision_notice_dm(SEND_LATE, d), "3456789")
       for name, d in zip(DECISION_IDS, EVERY_DECISION, strict=True)},
    "concern": (lambda: practice_concern_dm(SEND_LATE, CONCERNED), "3456789"),
    "agenda": (lambda: panel_agenda_message(AGENDA), "3456789"),
    "card-endorsing": (lambda: case_card(AWAITING_ENDORSEMENT), "4567890"),
    "card-ratifying": (lambda: case_card(AWAITING_RATIFICATION), "2345678"),
}


@pytest.mark.parametrize(("build", "reference"), list(MESSAGES.values()), ids=list(MESSAGES))
def test_every_message_is_within_slacks_limits_and_reads_as_text_naming_the_case(build, reference):
    message = build()
    assert_within_slack_limits(message)
    assert_slack_sdk_reads_it_back(message)
    lines = render_message(message)
    assert any(reference in line for line in lines)
    assert not any("{'" in line or '{"' in line for line in lines)


@pytest.mark.parametrize("outcome", list(MODAL_TITLES), ids=str)
@pytest.mark.parametrize("case", [FORUM, AWAITING_ENDORSEMENT, AWAITING_RATIFICATION, RESUBMITTED],
                         ids=["forum", "endorsing", "ratifying", "resubmitted"])
def test_every_form_is_within_slacks_limits(case, outcome):
    modal = decision_modal(case, outcome)
    assert_within_slack_limits(modal)
    assert_slack_sdk_reads_it_back(modal)
    assert render_view(modal)[0] == f"┌ {MODAL_TITLES[outcome]}"


# --- Channels carry no typed text -------------------------------------------------------------------------

TYPED = {"reason": "TYPED-reason-Mrs-Example", "conditions": "TYPED-conditions-born-1950",
         "info_needed": "TYPED-info-NHS-9434765919", "practice_concern": "TYPED-concern-daughter-Jane",
         "concern_actions": "TYPED-actions-CF10-1AA"}


def typed(case: CaseView, decision: DecisionView) -> CaseView:
    return replace(case, decisions=(*case.decisions[:-1], replace(decision, **TYPED)))


@pytest.mark.parametrize("made", EVERY_DECISION, ids=DECISION_IDS)
def test_no_channel_builder_shows_what_a_decider_typed_whatever_it_is_given(made):
    case = typed(replace(FORUM, decisions=(made,)), made)
    agenda = replace(AGENDA, follow_ons=(typed(AWAITING_ENDORSEMENT, URGENT_APPROVED),
                                         typed(AWAITING_RATIFICATION, SIGNED_OFF_CHANGE)))
    for message in (case_card(case), decision_thread_reply(case, case.decisions[-1]), panel_agenda_message(agenda)):
        assert "TYPED" not in everything(message)
    assert "/panel case 1234567" in everything(case_card(case))
    # Those words go to the people on the case instead.
    notice = everything(decision_notice_dm(case, case.decisions[-1]))
    assert TYPED["reason"] in notice and "TYPED-concern" not in notice


def test_the_thread_reply_names_the_request_amount_and_route_beside_the_stage():
    words = section_texts(decision_thread_reply(FORUM, APPROVED))
    assert f"new package £412.00/wk, Enhanced Peer Forum  ·  *Stage now:* {STAGE_LABELS[Stage.APPROVED]}" in words
