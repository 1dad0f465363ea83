"""Who is present at a panel's sitting, recorded in Teams (the Teams counterpart of the attendance part of
tests/test_councils.py): the panel's agenda carries "Record who is present"; the chair ticks who is
present and is told whether the panel is quorate; the same answer again writes nothing; someone who
is not the chair, the deputy or a panel admin is refused with the service's sentence; pressed on the
agenda in the panel's channel, the form goes to the person's own chat."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.policy import QuorumNeed
from messages.teams.ids import AttendanceInput
from messages.teams.render import render_text
from store.models import Audit, SittingAttendance
from tests.teams.test_bot_harness import (
    ADMIN,
    ANNA,
    CHAIR,
    FORUM,
    PRIYA,
    TOMAS,
    button,
    cards_in,
    counts,
    everyone_installed,
    teams,
    teams_policy,
)

FIXTURES = (everyone_installed, teams)  # pytest finds these fixtures by their names in this module

SITTING = "2026-12-09"  # the SEND panel's next sitting after Tuesday 24 November 2026 (the pinned day)


@pytest.fixture
def policy(default_policy):
    """The SEND panel in the forum's Teams channel, with a quorum of one parent representative. Sam chairs
    it, Tomás deputises, Anna is a parent representative, Pat is the panel admin."""
    base = teams_policy(default_policy)
    panel = base.bodies["send_panel"].model_copy(update={
        "channel": FORUM, "quorum": (QuorumNeed(role="send_parent_representatives", at_least=1),)})
    roles = {**base.roles, "send_operations_manager": (CHAIR,), "send_service_manager": (TOMAS,),
             "send_parent_representatives": (ANNA,)}
    return base.model_copy(update={"bodies": {**base.bodies, "send_panel": panel}, "roles": roles})


def agenda(teams, who=CHAIR):
    teams.send(teams.message(who, "agenda send_panel"))
    card = teams.chat(who)[-1]
    assert render_text(card).startswith("== SEND Quality Assurance Panel — Wednesday 9 December 2026")
    return card


def recorded(teams) -> list[list[str]]:
    with teams.services.sessions() as session:
        return [row.after["present"] for row in session.scalars(
            select(Audit).where(Audit.action == "sitting.attendance").order_by(Audit.id))]


def test_the_chair_records_who_is_present_from_the_agenda_and_hears_whether_it_is_quorate(everyone_installed):
    teams = everyone_installed
    record = button(agenda(teams), "Record who is present")
    assert record["data"] == {"body": "send_panel", "day": SITTING}
    form = cards_in(teams.send(teams.press(CHAIR, record)))
    shown = render_text(form)
    assert shown.startswith("== Who is present ==") and "Quorum: 1 of the send parent representatives." in shown
    present = next(block for block in form["body"] if block.get("id") == AttendanceInput.PRESENT)
    # The chair, the deputy, the panel's members (Pat, its admin) and the quorum's role (Anna), as Teams knows them.
    assert {choice["value"] for choice in present["choices"]} == {CHAIR, TOMAS, ADMIN, ANNA}

    first = render_text(cards_in(teams.send(teams.press(CHAIR, button(form, "Record"),
                                                        {AttendanceInput.PRESENT: CHAIR}))))
    assert ("Recorded 1 person present at the SEND Quality Assurance Panel on Wednesday 9 December 2026. It is not "
            "quorate yet: it needs 1 more of the send parent representatives.") in first
    both = {AttendanceInput.PRESENT: f"{CHAIR},{ANNA}"}
    second = render_text(cards_in(teams.send(teams.press(CHAIR, button(form, "Record"), both))))
    assert "Recorded 2 people present" in second and "The panel is quorate and may decide." in second
    before = counts(teams.services.engine)
    again = render_text(cards_in(teams.send(teams.press(CHAIR, button(form, "Record"), both))))  # a double press
    assert again == second and counts(teams.services.engine) == before
    assert recorded(teams) == [[CHAIR], [CHAIR, ANNA]]


def test_someone_not_the_chair_deputy_or_a_panel_admin_is_refused_and_nothing_changes(everyone_installed):
    teams = everyone_installed
    record = button(agenda(teams, PRIYA), "Record who is present")  # anyone may read the panel's agenda
    form = cards_in(teams.send(teams.press(CHAIR, record)))
    before = counts(teams.services.engine)
    sentence = "Only the SEND Quality Assurance Panel's chair, its deputy or a panel admin records who is present."
    assert teams.send(teams.press(PRIYA, record))["value"] == sentence
    forged = teams.send(teams.press(PRIYA, button(form, "Record"), {AttendanceInput.PRESENT: PRIYA}))
    assert forged["value"] == sentence
    assert counts(teams.services.engine) == before
    admin = cards_in(teams.send(teams.press(ADMIN, record)))  # the panel admin may
    assert render_text(admin).startswith("== Who is present ==")


def test_someone_not_on_the_list_or_nobody_ticked_is_refused_beside_the_list(everyone_installed):
    teams = everyone_installed
    form = cards_in(teams.send(teams.press(CHAIR, button(agenda(teams), "Record who is present"))))
    for ticked in (f"{CHAIR},{PRIYA}", "", "teams:not-a-person"):
        refused = render_text(cards_in(teams.send(teams.press(CHAIR, button(form, "Record"),
                                                              {AttendanceInput.PRESENT: ticked}))))
        assert refused.split("[Present")[1].splitlines()[1] == "⚠ Tick everyone present from the list, then record."
    with teams.services.sessions() as session:
        assert session.scalars(select(SittingAttendance)).all() == []


@pytest.mark.parametrize("data", [{"body": "send_panel", "day": "2026-12-10"}, {"body": "forum", "day": SITTING},
                                  {"body": "send_panel", "day": "tomorrow"}, {}])
def test_a_button_for_no_sitting_gets_a_sentence(everyone_installed, data):
    teams = everyone_installed
    before = counts(teams.services.engine)
    answer = teams.send(teams.press(CHAIR, {"type": "Action.Execute", "verb": "attendance.open", "data": data}))
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert answer["value"] in ("The SEND Quality Assurance Panel does not sit on Thursday 10 December 2026.",
                               "Attendance is recorded for a panel's sitting; that is not one.",
                               "That button is out of date: open the case again.")
    assert counts(teams.services.engine)[:2] == before[:2]


def test_pressed_on_the_agenda_in_the_channel_the_form_goes_to_the_persons_own_chat(everyone_installed):
    teams = everyone_installed
    record = button(agenda(teams), "Record who is present")
    answer = teams.send(teams.press(CHAIR, record, channel=teams.forum_channel))
    assert answer["value"] == "I have answered you in your chat with panelbot."
    assert render_text(teams.chat(CHAIR)[-1]).startswith("== Who is present ==")
    assert teams.standin.posted_in(teams.forum_channel) == []
