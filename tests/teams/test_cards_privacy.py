"""The Teams privacy canary (DESIGN.md §4), as tests/test_privacy_channels.py is for Slack: every field
a person types holds canary personal data (a name, a date of birth, an NHS number, a postcode and a
phone number). None of it reaches a card posted to a channel, nor a card that answers a press on a
channel card (Teams may show that answer to the whole channel); it reaches only the personal-chat
cards of people with a role on the case, and the practice concern only the line manager's.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.domain.cases import Stage
from bot.domain.decisions import Decided, DecisionKind, Outcome
from bot.domain.spot_checks import SpotCheckNotice
from bot.notify import Notice
from messages.teams.booking import agenda_card
from messages.teams.cases import case_card, case_details, case_summary, decider_notice, mine_card, receipt
from messages.teams.decisions import (
    attendance_form,
    decision_form,
    decision_notice,
    panel_agenda,
    practice_concern,
    thread_reply,
)
from messages.teams.notices import CHANNEL_NOTICES, notice_card
from messages.teams.spot_checks import spot_check_notice
from tests.teams.test_cards_views import (
    AGENDA,
    ATTENDANCE,
    CHAIR,
    CHECK,
    DELEGATED,
    ENDORSING,
    EVERY_CASE,
    FORUM,
    NAMES,
    OPS,
    PANEL,
    SEND_LATE,
    TOMAS,
    URGENT,
    decision,
)

NAME, BORN, NHS, POSTCODE, PHONE = "Winifred Canarywood", "14/07/1962", "943 476 5919", "CF10 1AA", "07700 900461"
CANARY = f"{NAME}, born {BORN}, NHS number {NHS}, of {POSTCODE}, phone {PHONE}"
CANARY_TOKENS = ("Winifred", "Canarywood", BORN, NHS, "9434765919", POSTCODE, PHONE)

CASE_TEXT = {
    "strengths_and_needs": f"Strengths: {CANARY}", "outcomes": f"Outcomes: {CANARY}",
    "alternatives": f"Alternatives: {CANARY}", "urgent_reason": f"Why now: {CANARY}",
    "record_link": "https://records.example.gov.uk/Winifred-Canarywood",
}
DECISION_TEXT = {
    "reason": f"Reason: {CANARY}", "conditions": f"Conditions: {CANARY}", "info_needed": f"Needed: {CANARY}",
}
CONCERN_TEXT = {"practice_concern": f"Concern: {CANARY}", "concern_actions": f"Actions: {CANARY}"}


def leaks(card: dict[str, Any]) -> list[str]:
    text = json.dumps(card, ensure_ascii=False)
    return [token for token in CANARY_TOKENS if token in text]


def typed(view: Any) -> Any:
    """`view` (a case) with every free-text field, and every decision's typed fields, holding the canary."""
    decisions = tuple(replace(made, **DECISION_TEXT, **CONCERN_TEXT) for made in view.decisions)
    return replace(view, **CASE_TEXT, decisions=decisions)


# Every decision a case card can show, each with every typed field.
DECISIONS = {
    outcome.value: replace(decision(outcome, kind=DecisionKind.DECISION if outcome in (
        Outcome.APPROVED, Outcome.APPROVED_WITH_CHANGES, Outcome.DEFERRED, Outcome.DECLINED) else
        DecisionKind.ENDORSEMENT), **DECISION_TEXT, **CONCERN_TEXT, amended_weekly=None)
    for outcome in Outcome
}
# Every case at every stage, carrying a typed decision.
CASES = {
    f"{name}-{stage.value}": replace(typed(case), stage=stage,
                                     decisions=(*typed(case).decisions, DECISIONS[Outcome.DEFERRED.value]))
    for name, case in EVERY_CASE.items() for stage in Stage
}
PRIVATE_AGENDA = replace(AGENDA, follow_ons=tuple(CASES.values())[:20])
PRIVATE_PANEL = replace(PANEL, cases=tuple(CASES.values())[:20], follow_ons=tuple(CASES.values())[20:40])
PRIVATE_DECIDED = {name: Decided(typed(SEND_LATE), made) for name, made in DECISIONS.items()}

# What a channel sees: the notices posted to one, built from the private views.
CHANNEL_VIEWS: dict[Notice, list[Any]] = {
    Notice.CASE_CARD: list(CASES.values()),
    Notice.CARD_UPDATE: list(CASES.values()),
    Notice.THREAD_REPLY: list(PRIVATE_DECIDED.values()),
    Notice.AGENDA: [PRIVATE_AGENDA],
    Notice.PANEL_AGENDA: [PRIVATE_PANEL],
}


def test_the_canary_check_sees_a_leak():
    assert leaks(decision_notice(typed(FORUM), DECISIONS["declined"]))
    assert not leaks(case_card(FORUM))


def test_every_channel_notice_is_checked():
    assert set(CHANNEL_VIEWS) == CHANNEL_NOTICES


@pytest.mark.parametrize("notice", sorted(CHANNEL_NOTICES), ids=lambda notice: notice.value)
def test_no_typed_text_reaches_a_card_posted_to_a_channel(notice):
    for about in CHANNEL_VIEWS[notice]:
        assert leaks(notice_card(notice, about, "19:channel@thread.tacv2", NAMES)) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_case_card_shows_the_decision_but_nothing_the_decider_typed(name):
    case = CASES[name]
    card = case_card(case, NAMES)
    assert leaks(card) == []
    text = json.dumps(card, ensure_ascii=False)
    assert f"Case {case.reference}" in text and "Sam Okafor" in text  # the reference, and who decided


@pytest.mark.parametrize("name", sorted(DECISIONS))
def test_the_reply_under_the_card_names_the_outcome_not_the_reason(name):
    assert leaks(thread_reply(typed(FORUM), DECISIONS[name], NAMES)) == []


@pytest.mark.parametrize("outcome", list(Outcome), ids=lambda outcome: outcome.value)
def test_the_decision_form_answering_a_press_on_the_channel_card_is_channel_safe(outcome):
    for case in (typed(FORUM), typed(replace(ENDORSING, decisions=(DECISIONS["approved"],)))):
        errors = {"reason": "A reason is required for every decision."}
        assert leaks(decision_form(case, outcome, errors=errors, names=NAMES)) == []


def test_the_agendas_and_the_attendance_form_are_channel_safe():
    assert leaks(agenda_card(PRIVATE_AGENDA, NAMES)) == []
    assert leaks(panel_agenda(PRIVATE_PANEL, NAMES)) == []
    assert leaks(attendance_form(ATTENDANCE, (CHAIR, OPS), NAMES)) == []


# --- Personal chat: only the people on the case, and only what each needs -------------------------------


@pytest.mark.parametrize("build", [receipt, decider_notice, case_summary, lambda case: mine_card([case])],
                         ids=["receipt", "decider-notice", "summary", "mine"])
def test_notices_about_a_case_carry_none_of_its_free_text(build):
    for case in (typed(FORUM), typed(DELEGATED), typed(URGENT)):
        assert leaks(build(case)) == []


def test_the_decision_notice_gives_the_people_on_the_case_the_reason_but_never_the_concern():
    card = json.dumps(decision_notice(typed(SEND_LATE), DECISIONS["deferred"], NAMES), ensure_ascii=False)
    assert DECISION_TEXT["reason"] in card and DECISION_TEXT["info_needed"] in card
    assert CONCERN_TEXT["practice_concern"] not in card and CONCERN_TEXT["concern_actions"] not in card
    assert CASE_TEXT["strengths_and_needs"] not in card


def test_the_details_card_shows_role_holders_the_free_text_but_never_the_concern():
    case = typed(replace(FORUM, decisions=(DECISIONS["approved_with_changes"],)))
    card = json.dumps(case_details(case, NAMES), ensure_ascii=False)
    for field in ("strengths_and_needs", "outcomes", "alternatives", "urgent_reason"):
        assert CASE_TEXT[field] in card
    assert DECISION_TEXT["reason"] in card and DECISION_TEXT["conditions"] in card
    assert CONCERN_TEXT["practice_concern"] not in card and CONCERN_TEXT["concern_actions"] not in card


def test_only_the_line_manager_sees_the_practice_concern_and_never_the_case_free_text():
    card = json.dumps(practice_concern(typed(FORUM), DECISIONS["declined"], NAMES), ensure_ascii=False)
    assert CONCERN_TEXT["practice_concern"] in card and CONCERN_TEXT["concern_actions"] in card
    assert not any(CASE_TEXT[field] in card for field in ("strengths_and_needs", "outcomes", "alternatives"))


def test_a_spot_checks_recommended_actions_go_to_the_team_manager_only():
    actions = f"Actions: {CANARY}"
    assert leaks(spot_check_notice(SpotCheckNotice(CHECK, to_manager=False, actions=actions), NAMES)) == []
    to_manager = spot_check_notice(SpotCheckNotice(replace(CHECK, checked_by=TOMAS), to_manager=True,
                                                   actions=actions), NAMES)
    assert actions in json.dumps(to_manager, ensure_ascii=False)


def test_typed_text_is_shown_as_typed_so_it_cannot_become_a_link_or_a_mention():
    case = replace(FORUM, outcomes="[click](https://evil.example) **bold** <at>Tomás Reyes</at>")
    card = case_details(case, NAMES)
    runs = [run for block in card["body"] if block["type"] == "RichTextBlock" for run in block["inlines"]]
    [run] = [run for run in runs if "evil" in run["text"]]
    assert run == {"type": "TextRun", "text": "[click](https://evil.example) **bold** <at>Tomás Reyes</at>"}
    assert "msteams" not in card  # no mention entities: the text cannot ping anyone
