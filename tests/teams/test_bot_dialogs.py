"""The case form in Teams, in a dialog or in place of the home card: valid Adaptive Cards, stored once
however often Submit is pressed, closed by Cancel with nothing changed."""

from __future__ import annotations

from sqlalchemy import select

from handlers.teams.dialogs import FORM_KEY, as_dialog, open_form_card
from messages.teams.render import render_text
from store.models import Case
from tests.teams.test_bot_harness import (
    PRIYA,
    button,
    buttons,
    cards_in,
    counts,
    everyone_installed,
    policy,
    teams,
)
from tests.teams.test_bot_journey import good_answers
from tests.teams.test_cards import schema_problems

FIXTURES = (everyone_installed, policy, teams)  # pytest finds these fixtures by their names in this module


def test_the_cards_the_bot_adds_are_valid_adaptive_cards(everyone_installed):
    teams = everyone_installed
    assert schema_problems(open_form_card("Submit a case.")) == []
    teams.send(teams.message(PRIYA, "submit"))
    dialog = teams.send(teams.dialog_fetch(PRIYA, button(teams.chat(PRIYA)[-1], "Open the case form")))
    form = cards_in(dialog)
    assert schema_problems(form) == []
    assert {action["type"] for action in buttons(form)} == {"Action.Submit"}  # Action.Execute is not for dialogs
    assert dialog["task"]["value"]["title"] == "Submit a case"
    assert as_dialog(form) == form


def test_the_home_cards_button_opens_the_form_in_place_and_a_second_submit_stores_nothing_more(everyone_installed):
    teams = everyone_installed
    [welcome] = teams.chat(PRIYA)
    form = cards_in(teams.send(teams.press(PRIYA, button(welcome, "Submit a case"))))
    submit = button(form, "Submit")
    assert submit["type"] == "Action.Execute" and len(submit["data"][FORM_KEY]) == 32
    first = cards_in(teams.send(teams.press(PRIYA, submit, good_answers(teams))))
    after = counts(teams.services.engine)
    second = cards_in(teams.send(teams.press(PRIYA, submit, good_answers(teams))))  # a double click
    assert render_text(first) == render_text(second) and "Case submitted" in render_text(second)
    assert counts(teams.services.engine) == after
    with teams.services.sessions() as session:
        assert len(session.scalars(select(Case.id)).all()) == 1
    assert len(teams.channel_cards()) == 1


def test_cancel_closes_the_dialog_and_changes_nothing(everyone_installed):
    teams = everyone_installed
    teams.send(teams.message(PRIYA, "submit"))
    form = cards_in(teams.send(teams.dialog_fetch(PRIYA, button(teams.chat(PRIYA)[-1], "Open the case form"))))
    before = counts(teams.services.engine)
    closed = teams.send(teams.dialog_submit(PRIYA, button(form, "Cancel"), {}))
    assert closed == {"task": {"type": "message", "value": "Closed: nothing was changed."}}
    assert counts(teams.services.engine) == before


def test_a_button_panelbot_never_made_is_answered_as_out_of_date(teams):
    forged = {"type": "Action.Execute", "verb": "case.delete_everything", "data": {"case": 1}}
    answer = teams.send(teams.press(PRIYA, forged))
    assert answer == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                      "value": "That button is out of date: open the case again."}
    for data in ({"case": "²"}, {"case": 10**20}, {"case": True}, {}):
        decide = {"type": "Action.Execute", "verb": "case.decide", "data": {**data, "round": 1, "outcome": "approved"}}
        assert teams.send(teams.press(PRIYA, decide))["value"] == "That button is out of date: open the case again."
