"""The Teams cards for visits, attendance and the report that tests/teams/test_cards_views.py does not
build: the report card, the visits card answering a press, and the forms as they come back refused.
Each is checked as test_cards.py checks every card: the official Adaptive Cards 1.5 schema, Teams'
limits, no Markdown, every button a Universal Action named in ids.py."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from bot.domain.report import (
    CommitmentRow,
    DecisionGroup,
    History,
    MonthChange,
    PipelineRow,
    Report,
    ReportInputs,
    TurnaroundGroup,
    build_report,
    months_ending,
)
from bot.domain.visits import Step
from messages.slack.report import headline as slack_headline
from messages.teams import decisions, report, visits
from messages.teams.elements import MAX_CARD_BYTES, card_bytes
from messages.teams.ids import INPUT_IDS, Key, PlacementInput, PlanVisitInput, ProvisionInput, Verb
from messages.teams.render import render_text
from tests.teams.test_cards import BUTTON_TITLE, TEAMS_MOST_ACTIONS, actions_of, inputs_of, schema_problems, walk
from tests.teams.test_cards_views import (
    ANNA,
    ATTENDANCE,
    CHAIR,
    DONE_VISIT,
    DUE_VISIT,
    NAMES,
    OPS,
    OVERVIEW,
    PCO,
    PROVISION,
    STEP,
)

END = date(2026, 9, 30)
BODY_NAMES = {"delegated": "delegated sign-off", "forum": "Enhanced Peer Forum", "send_panel": "SEND panel"}


def a_report(start: date = date(2026, 8, 1), end: date = END, *, empty: bool = False) -> Report:
    """A report built as the service builds it (bot.domain.report.build_report), from figures only."""
    months = months_ending(end, 12)
    inputs = ReportInputs(
        start=start, end=end, weeks_per_year=52, target_working_days=10,
        body_kinds={"delegated": "person", "forum": "meeting", "send_panel": "panel"},
        commitments=[] if empty else [CommitmentRow("delegated", "adults", "new_package", Decimal("310.00"), 4),
                                      CommitmentRow("forum", "adults", "new_package", Decimal("1430.00"), 3)],
        pipeline=[] if empty else [PipelineRow("send_panel", "children_send", "new_package", Decimal("80.00"), 1)],
        decisions=[] if empty else [DecisionGroup("delegated", "decision", "approved", False, 4),
                                    DecisionGroup("forum", "decision", "declined", False, 1)],
        turnaround=[] if empty else [TurnaroundGroup("delegated", date(2026, 9, 14), date(2026, 9, 16), 2),
                                     TurnaroundGroup("forum", date(2026, 8, 3), date(2026, 8, 7), 1)],
        history=History(0, 0, Decimal(0), Decimal(0)) if empty else History(9, 1, Decimal("2460"), Decimal("2510")),
        committed_before=Decimal(0),
        months=[MonthChange(month, Decimal("720.00") if month == "2026-08" and not empty else Decimal(0), Decimal(0))
                for month in months],
        follow_ons_waiting={} if empty else {"forum": 1}, spot_checks={} if empty else {"agreed": 1, "open": 1},
        visits_done=0 if empty else 2, visits_on_time=0 if empty else 1)
    return build_report(inputs, lambda after, upto: max(0, (upto - after).days))


REFUSED_PROVISION = {ProvisionInput.NAME.value: "Oakwood House", ProvisionInput.TYPE.value: "residential_home",
                     ProvisionInput.RATING.value: "satisfactory", ProvisionInput.RATED_ON.value: "2026-11-20"}
REFUSED_PLACEMENT = {PlacementInput.PROVISION.value: "5", PlacementInput.CHILD_REFERENCE.value: "Jane Doe",
                     PlacementInput.STARTS_ON.value: "2026-12-01",
                     PlacementInput.SOCIAL_WORKER.value: "priya.shah@council.example"}

CARDS: dict[str, Callable[[], dict[str, Any]]] = {
    "report": lambda: report.report_card(a_report(), BODY_NAMES, 10),
    "report-empty": lambda: report.report_card(a_report(empty=True), BODY_NAMES, 10),
    "visits-after-a-press": lambda: visits.visits_card(OVERVIEW, NAMES, notice=visits.step_done_text(
        replace(DONE_VISIT, steps=(replace(STEP, finished_on=date(2026, 11, 24)),
                                   replace(STEP, step=Step.SQAO_RETURNS, due_on=date(2026, 12, 3)))),
        Step.REPORT_TO_SQAO)),
    "provision-form-refused": lambda: visits.provision_form(
        None, answers=REFUSED_PROVISION, errors={ProvisionInput.RATING.value: "Ofsted's judgements are …"}),
    "provision-form-refused-edit": lambda: visits.provision_form(
        None, editing=5, answers=REFUSED_PROVISION, errors={ProvisionInput.NAME.value: "There is already …"}),
    "placement-form-refused": lambda: visits.placement_form(
        [PROVISION], answers=REFUSED_PLACEMENT,
        errors={PlacementInput.CHILD_REFERENCE.value: "Use the child's case reference (never their name)."}),
    "plan-visit-form-refused": lambda: visits.plan_visit_form(
        DUE_VISIT, visitors=(PCO,), names=NAMES, answers={PlanVisitInput.DATE.value: "2026-11-01",
                                                           PlanVisitInput.VISITOR.value: PCO},
        errors={PlanVisitInput.DATE.value: "The visit date is in the past."}),
    "attendance-form-refused": lambda: decisions.attendance_form(ATTENDANCE, (CHAIR, OPS, ANNA), NAMES,
                                                                 error="Tick everyone present from the list."),
}
NAMES_OF_CARDS = sorted(CARDS)


@cache
def built(name: str) -> dict[str, Any]:
    return CARDS[name]()


@pytest.mark.parametrize("name", NAMES_OF_CARDS)
def test_every_card_is_a_valid_adaptive_card_1_5_within_teams_limits(name):
    card = built(name)
    assert schema_problems(card) == []
    assert card_bytes(card) <= MAX_CARD_BYTES
    assert card["fallbackText"].strip()
    assert len(card.get("actions", [])) <= TEAMS_MOST_ACTIONS
    assert not [obj for obj in walk(card) if obj.get("type") in ("TextBlock", "FactSet")], "text is RichTextBlocks"


@pytest.mark.parametrize("name", NAMES_OF_CARDS)
def test_every_button_is_a_universal_action_named_in_ids(name):
    card = built(name)
    for action in actions_of(card):
        assert action["type"] == "Action.Execute" and action["verb"] in set(Verb)
        assert set(action["data"]) <= set(Key) and 0 < len(action["title"]) <= BUTTON_TITLE
    assert {element["id"] for element in inputs_of(card)} <= INPUT_IDS


def test_a_refused_form_keeps_what_was_typed_and_says_why_beside_the_field():
    shown = render_text(built("provision-form-refused"))
    assert "[Name: Oakwood House]" in shown and "== Add a provision ==" in shown
    assert "⚠ Ofsted's judgements are …" in shown.split("[Ofsted rating")[1]
    edit = built("provision-form-refused-edit")
    assert render_text(edit).startswith("== Edit a provision ==")
    assert [a["data"] for a in actions_of(edit) if a["verb"] == Verb.SAVE_PROVISION] == [{Key.PROVISION_ID: 5}]
    placement = render_text(built("placement-form-refused"))
    assert "[Child's case reference: Jane Doe]" in placement and "priya.shah@council.example" in placement
    assert "⚠ Use the child's case reference" in placement.split("[Child's case reference")[1]
    plan = built("plan-visit-form-refused")
    assert {e["id"]: e.get("value") for e in inputs_of(plan)} == {"date": "2026-11-01", "visitor": PCO}
    assert [a["verb"] for a in actions_of(plan)] == [Verb.SAVE_VISIT_PLAN, Verb.CLOSE_FORM]


def test_the_visits_card_answering_a_press_says_what_was_recorded_and_what_is_next():
    shown = render_text(built("visits-after-a-press"))
    assert shown.splitlines()[1] == (
        "✓ Recorded: Completed form sent to the Senior QA Officer for the visit to Sunrise House. Next: Form "
        "returned by the Senior QA Officer with any actions, due Thursday 3 December 2026 (14 days from Friday 20 "
        "November 2026).")
    assert "Plan" in [a["title"] for a in actions_of(built("visits-after-a-press"))]


def test_the_report_card_shows_the_same_headline_figures_as_slacks_report():
    figures = a_report()
    shown = render_text(report.report_card(figures, BODY_NAMES, 10))
    pairs = slack_headline(figures, BODY_NAMES, 10)
    assert report.headline(figures, BODY_NAMES, 10) == pairs
    for title, text in pairs:
        assert f"{title}\n{text}" in shown, title
    assert "Saturday 1 August 2026 to Wednesday 30 September 2026" in shown
    assert "Committed spend\n£1,740.00/wk, £90,480.00/yr (7 packages)" in shown
    assert "• August 2026: £720.00/wk committed; median turnaround 4 working days" in shown
    assert "• October 2025: £0.00/wk committed; no decisions" in shown


def test_the_report_card_carries_figures_and_policy_words_only():
    card = built("report")
    texts = " ".join(str(obj.get("text", "")) for obj in walk(card))
    # Amounts, counts, percentages, dates, months and the policy's body names: nothing a person typed.
    words = set(re.findall(r"[A-Za-z][A-Za-z'-]*", texts))
    allowed = set(re.findall(r"[A-Za-z][A-Za-z'-]*", " ".join(
        [*BODY_NAMES.values(), json.dumps(report.headline(a_report(), BODY_NAMES, 10)),
         "Report Saturday August Wednesday September to Commitments the pipeline and forecast are as at end of "
         "period follow-ons waiting now Spend turnaround by month committed median working days no decisions "
         "October November December January February March April May June July"])))
    assert words <= allowed, words - allowed
    assert render_text(built("report-empty")).count("no decisions") == 12
