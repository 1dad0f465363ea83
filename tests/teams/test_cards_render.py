"""The plain-text rendering of Teams cards (for `panelbot demo --teams`), and what the cards say: the
same words as the Slack messages, apart from how a command is typed and where Slack's threads are."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from messages.slack import booking as slack_booking
from messages.slack import cases as slack_cases
from messages.slack import decisions as slack_decisions
from messages.slack import home as slack_home
from messages.slack import reminders as slack_reminders
from messages.slack import spot_checks as slack_spot_checks
from messages.slack import visits as slack_visits
from messages.slack.text import render_message
from messages.teams import booking, cases, decisions, home, reminders, spot_checks, visits
from messages.teams.elements import (
    action_set,
    bold,
    card,
    choice_input,
    date_input,
    execute,
    facts,
    heading,
    number_input,
    para,
    separator,
    text_input,
    toggle_input,
)
from messages.teams.ids import Key, Verb
from messages.teams.render import render_card, render_text
from tests.teams import test_cards_views as views
from tests.teams.test_cards_views import CARDS, EVERY_CASE, EVERY_DECISION, NAMES


def test_each_kind_of_element_renders_as_readable_text():
    shown = card([
        heading("Case 1234567"),
        para(bold("Route: "), "Enhanced Peer Forum"),
        para("Submitted by Priya Shah", subtle=True),
        facts([("Proposed", "£412.00/wk"), ("Urgent", "yes")]),
        separator(),
        *text_input("reason", "Reason", required=True, multiline=True, hint="Sent to the people on the case",
                    error="A reason is required for every decision."),
        *text_input("notes", "Notes", required=False, value="Seen at home"),
        *number_input("amount", "Agreed weekly amount (£)", required=True, value=380.5),
        *choice_input("slot", "Forum slot", [("Tuesday 1 December, 09:30–10:00", "a"), ("12:30–13:00", "b")],
                      required=True, value="a"),
        *choice_input("evidence", "Evidence", [("OT", "x"), ("Health", "y"), ("Capacity", "z")], required=False,
                      multi=True, expanded=True, value="x,z"),
        *toggle_input("urgent", "Urgent", "Needs a decision before the next panel", value_on="urgent", on=True),
        *date_input("day", "First day away", required=True),
        {"type": "ColumnSet", "columns": [
            {"type": "Column", "items": [para("2345678 — increase")]},
            {"type": "Column", "items": [action_set([execute("Open", Verb.OPEN_CASE, {Key.CASE: 2})])]}]},
        {"type": "Container", "items": [para("inside a container")]},
    ], [execute("Approve", Verb.DECIDE), execute("Decline", Verb.DECIDE)], summary="x")
    assert render_card(shown) == [
        "== Case 1234567 ==",
        "Route: Enhanced Peer Forum",
        "  Submitted by Priya Shah",
        "Proposed: £412.00/wk",
        "Urgent: yes",
        "-" * 40,
        "[Reason]",
        "  Sent to the people on the case",
        "⚠ A reason is required for every decision.",
        "[Notes (optional): Seen at home]",
        "[Agreed weekly amount (£): 380.5]",
        "[Forum slot: Tuesday 1 December, 09:30–10:00] (one of 2)",
        "[Evidence (optional): OT, Capacity] (any of 3)",
        "Urgent (optional): [☑ Needs a decision before the next panel]",
        "[First day away]",
        "2345678 — increase  [Open]",
        "inside a container",
        "[Approve]  [Decline]",
    ]
    assert render_text(shown).splitlines() == render_card(shown)


@pytest.mark.parametrize("name", sorted(CARDS))
def test_every_card_renders_as_readable_lines(name):
    lines = render_card(CARDS[name]())
    assert lines and all(isinstance(line, str) for line in lines)
    assert not any("{'" in line or '{"' in line for line in lines)


def test_the_case_card_reads_as_the_channel_sees_it():
    assert render_card(cases.case_card(views.DECIDED, NAMES)) == [
        "== Case 6789012 ==",
        "Request: New package",
        "Service: Adults",
        "Proposed: £412.00/wk",
        "RAS indicative budget: £298.00/wk",
        "Route: Enhanced Peer Forum",
        "• £412.00/wk is over the £350.00 threshold",
        "• a new package of £412.00/wk goes to the Enhanced Peer Forum",
        "• RAS £298.00/wk",
        "Attendance",
        "An advanced practitioner or service manager attends with the worker",
        "Attending with the worker: Anna Kowalska",
        "Evidence",
        "✅ moving and handling",
        "✅ occupational therapy",
        "❌ mental capacity",
        "❌ health",
        "❌ best-interest decision",
        "✅ a carer's assessment",
        "Approved with changes by Sam Okafor at 10:42 on Wednesday 25 November 2026",
        "Agreed amount: £380.00/wk",
        "The reason and conditions are in the decision notice sent to the people on the case, and in "
        "\u201ccase 6789012\u201d (type it to panelbot).",
        "  Stage: approved with changes  ·  Submitted by Priya Shah on Tuesday 24 November 2026 at 10:00",
    ]


def test_a_case_waiting_on_its_decision_carries_its_buttons_and_loses_them_once_decided():
    waiting = render_card(cases.case_card(views.DELEGATED, NAMES))
    assert "Waiting on Tomás Reyes to sign off" in waiting
    assert waiting[-1] == "[Approve]  [Approve with changes]  [Defer]  [Decline]"
    decided = replace(views.DELEGATED, stage=views.Stage.DECLINED, decisions=(EVERY_DECISION["declined"],))
    assert not any(line.startswith("[") for line in render_card(cases.case_card(decided, NAMES)))


def test_a_refused_case_form_shows_each_error_under_its_field_with_the_answers_kept():
    lines = render_card(CARDS["submit-form-refused"]())
    assert lines[lines.index("[Case reference: 12]") + 2] == "⚠ Enter the case reference as 5 to 10 digits"
    assert "⚠ Say what else you explored" in lines[lines.index("[Alternative support considered (optional)]"):][:3]
    assert "Please put right what is marked below, then submit again." in lines


# --- The same words as Slack -----------------------------------------------------------------------------

# Where Slack's words are Slack's: its threads and its slash command's help.
SLACK_ONLY = {
    "it is not in the case's thread.": "it is not under the case card.",
    "Type these in any channel or here:": "Type these in your chat with panelbot, or after @panelbot in a channel:",
    " (also: the shortcut menu)": "",
    "(`off` ends it)": '("away off" ends it)',
    ", with a chart (the policy's reporters)": " (the policy's reporters)",
    # Slack cannot mention a Teams person; the views' cover line names the team manager, shown by id here.
    "a colleague on Teams": views.TOMAS,
}


def _slack_words(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    for slack, teams in SLACK_ONLY.items():
        text = text.replace(slack, teams)
    text = re.sub(r"<!subteam\^([^>]+)>|<@([^>]+)>", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"`/panel ([^`]+)`", r"\1", text)
    text = re.sub(r"(^|\s)_([^_\n]+)_", r"\1\2", text)
    text = text.replace("*", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return [fragment for line in text.splitlines() for fragment in _fragments(line)]


def _fragments(line: str) -> list[str]:
    """A line's parts, whatever the layout puts between them."""
    return [part.strip(" •") for part in re.split(r" — |  ·  | · |  ", line) if part.strip(" •-")]


def _teams_words(lines: list[str]) -> str:
    text = "\n".join(lines).replace("\u201c", "").replace("\u201d", "").replace(" (type it to panelbot)", "")
    return " ".join(text.split())


# Each pair: Slack's message and the Teams card for the same view (ids for names on both sides).
SAME_WORDS: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[], dict[str, Any]]]] = {
    **{f"case-card-{name}": (lambda case=case: slack_cases.case_card(case), lambda case=case: cases.case_card(case))
       for name, case in EVERY_CASE.items()},
    **{f"receipt-{name}": (lambda case=case: slack_cases.receipt_dm(case), lambda case=case: cases.receipt(case))
       for name, case in EVERY_CASE.items()},
    **{f"decider-notice-{name}": (lambda case=case: slack_cases.decider_notice(case),
                                  lambda case=case: cases.decider_notice(case)) for name, case in EVERY_CASE.items()},
    "mine": (lambda: slack_cases.mine_message([views.FORUM, views.DELEGATED], ["sign-off 2345678"]),
             lambda: cases.mine_card([views.FORUM, views.DELEGATED], ["sign-off 2345678"])),
    **{f"thread-reply-{name}": (lambda d=d: slack_decisions.decision_thread_reply(views.FORUM, d),
                                lambda d=d: decisions.thread_reply(views.FORUM, d))
       for name, d in EVERY_DECISION.items()},
    **{f"decision-notice-{name}": (lambda d=d: slack_decisions.decision_notice_dm(views.SEND_LATE, d),
                                   lambda d=d: decisions.decision_notice(views.SEND_LATE, d))
       for name, d in EVERY_DECISION.items()},
    "practice-concern": (lambda: slack_decisions.practice_concern_dm(views.FORUM, EVERY_DECISION["in-cover"]),
                         lambda: decisions.practice_concern(views.FORUM, EVERY_DECISION["in-cover"])),
    "panel-agenda": (lambda: slack_decisions.panel_agenda_message(views.PANEL),
                     lambda: decisions.panel_agenda(views.PANEL)),
    "agenda": (lambda: slack_booking.agenda_message(views.AGENDA), lambda: booking.agenda_card(views.AGENDA)),
    "chair-agenda": (lambda: slack_booking.chair_agenda_dm(views.AGENDA), lambda: booking.chair_agenda(views.AGENDA)),
    "booking-moved": (lambda: slack_booking.booking_confirmation_dm(views.MOVED),
                      lambda: booking.booking_confirmation(views.MOVED)),
    "booking-cancelled": (lambda: slack_booking.booking_cancelled_dm(views.CANCELLED),
                          lambda: booking.booking_cancelled(views.CANCELLED)),
    "reminders": (lambda: slack_reminders.reminder_dm([views.REMINDER, views.ESCALATION]),
                  lambda: reminders.reminders_card([views.REMINDER, views.ESCALATION])),
    "visits": (lambda: slack_visits.visits_message(views.OVERVIEW), lambda: visits.visits_card(views.OVERVIEW)),
    "step-assigned": (lambda: slack_visits.step_assigned_dm(views.DONE_VISIT, views.STEP),
                      lambda: visits.step_assigned(views.DONE_VISIT, views.STEP)),
    "visit-planned": (lambda: slack_visits.visit_planned_dm(views.PLANNED_VISIT, to=views.PCO),
                      lambda: visits.visit_planned(views.PLANNED_VISIT, to=views.PCO)),
    "action-plan": (lambda: slack_visits.action_plan_needed_dm(views.PROVISION, "Requires improvement"),
                    lambda: visits.action_plan_needed(views.PROVISION, "Requires improvement")),
    "home": (lambda: {"blocks": slack_home.home_view(views.HOME)["blocks"]}, lambda: home.home_card(views.HOME)),
    "spot-check": (lambda: slack_spot_checks.spot_check_dm(views.TO_MANAGER),
                   lambda: spot_checks.spot_check_notice(views.TO_MANAGER)),
}


@pytest.mark.parametrize("name", sorted(SAME_WORDS))
def test_the_teams_card_says_what_the_slack_message_says(name):
    slack, teams = SAME_WORDS[name]
    said = _teams_words(render_card(teams()))
    missing = [fragment for fragment in _slack_words(render_message(slack())) if " ".join(fragment.split()) not in said]
    assert missing == []
