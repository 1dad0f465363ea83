"""The end-to-end journey in Teams, over real HTTP against the Teams stand-in: a practitioner installs
panelbot and types "submit", fills in the case form in a dialog (refused inline first, then accepted),
the case card appears in the forum's Teams channel, the worker books a slot, the chair presses Approve
on the card and records the decision; the card changes for everyone, the worker hears the decision
with its reason in their personal chat (the reason never reaches the channel), and a second press
answers "already decided" and writes nothing."""

from __future__ import annotations

import json
import logging

from handlers.teams.dialogs import FORM_KEY
from messages.teams.ids import DecisionInput, SubmitInput, Verb
from messages.teams.render import render_text
from messages.teams.submit import evidence_key
from tests.teams.test_bot_harness import (
    ADMIN,
    ANNA,
    CHAIR,
    PRIYA,
    TOMAS,
    button,
    buttons,
    cards_in,
    counts,
    everyone_installed,
    policy,
    teams,
)

FIXTURES = (everyone_installed, policy, teams)  # pytest finds these fixtures by their names in this module

REASON = "Jamie Smith needs the overnight support: his mother is in hospital."  # typed, with a name
STRENGTHS = "Jamie Smith, 41, lives with his mother at 12 Acacia Road."  # typed, with a name


def good_answers(teams) -> dict[str, str]:
    anna_email = teams.standin.users[teams.users[ANNA]]["email"]
    return {
        SubmitInput.REFERENCE: "1234567", SubmitInput.SERVICE: "adults", SubmitInput.REQUEST_TYPE: "new_package",
        SubmitInput.PROPOSED_WEEKLY: "412", SubmitInput.RAS_WEEKLY: "298", SubmitInput.CURRENT_WEEKLY: "",
        SubmitInput.RESPITE_WEEKS: "", SubmitInput.URGENT: "", SubmitInput.URGENT_REASON: "",
        SubmitInput.STRENGTHS_AND_NEEDS: STRENGTHS, SubmitInput.OUTCOMES: "Stay at home.",
        SubmitInput.ALTERNATIVES: "Community agents.", SubmitInput.RECORD_LINK: "",
        SubmitInput.EVIDENCE: evidence_key("occupational therapy"), SubmitInput.TEAM_MANAGER: TOMAS,
        SubmitInput.ATTENDEE: anna_email,  # no people picker in a card: the work e-mail, looked up in Teams
    }


def submit_through_the_dialog(teams) -> dict:
    """Priya types "submit", opens the form, is refused inline once, then submits. Returns the card the
    dialog shows at the end."""
    teams.send(teams.message(PRIYA, "submit"))
    [opener] = teams.chat(PRIYA)[-1:]
    dialog = teams.send(teams.dialog_fetch(PRIYA, button(opener, "Open the case form")))
    assert dialog["task"]["type"] == "continue"
    form = cards_in(dialog)
    submit = button(form, "Submit")
    assert submit["type"] == "Action.Submit" and submit["data"]["verb"] == Verb.SUBMIT_CASE
    assert len(submit["data"][FORM_KEY]) == 32  # the form's own key: it is stored once, whatever happens

    refused = teams.send(teams.dialog_submit(PRIYA, submit, {**good_answers(teams), SubmitInput.PROPOSED_WEEKLY: "£4x2",
                                                              SubmitInput.OUTCOMES: ""}))
    shown = render_text(cards_in(refused))
    assert "⚠" in shown and "Please put right what is marked below" in shown
    assert STRENGTHS[:20] in shown  # what was typed is kept (in the dialog, only Priya sees it)
    assert button(cards_in(refused), "Submit")["data"][FORM_KEY] == submit["data"][FORM_KEY]

    accepted = teams.send(teams.dialog_submit(PRIYA, button(cards_in(refused), "Submit"), good_answers(teams)))
    return cards_in(accepted)


def test_a_practitioner_installs_panelbot_and_is_welcomed(teams):
    teams.send(teams.installed(PRIYA))
    [welcome] = teams.chat(PRIYA)
    assert welcome["fallbackText"].startswith("panelbot")
    assert "Submit a case" in [action["title"] for action in buttons(welcome)]


def test_the_case_form_refuses_inline_then_the_case_card_appears_in_the_forums_teams_channel(everyone_installed):
    teams = everyone_installed
    done = submit_through_the_dialog(teams)
    assert "Case submitted" in render_text(done)
    [card] = teams.channel_cards()
    assert card["fallbackText"].startswith("Case 1234567")
    shown = json.dumps(card)
    assert "Jamie" not in shown and "Acacia" not in shown  # the channel sees reference and amounts only
    receipt = teams.chat(PRIYA)[-1]
    assert "Case 1234567 is submitted" in render_text(receipt)


def test_the_chair_approves_on_the_card_which_changes_for_everyone_and_the_worker_hears_why(everyone_installed,
                                                                                            caplog):
    teams = everyone_installed
    caplog.set_level(logging.DEBUG)
    submit_through_the_dialog(teams)
    receipt = teams.chat(PRIYA)[-1]
    booking = cards_in(teams.send(teams.press(PRIYA, button(receipt, "Book a forum slot"))))
    slot = next(block for block in booking["body"] if block.get("id") == "slot")["value"]
    booked = cards_in(teams.send(teams.press(PRIYA, button(booking, "Book"), {"slot": slot})))
    assert "Forum slot booked" in render_text(booked)

    [card] = teams.channel_cards()  # updated in place: booked, with the decision buttons
    approve = button(card, "Approve")
    form = cards_in(teams.send(teams.press(CHAIR, approve, channel=teams.forum_channel)))
    assert "Approve case" in render_text(form)
    record = button(form, "Record decision")
    before = counts(teams.services.engine)
    answer = teams.send(teams.press(CHAIR, record, {DecisionInput.REASON: REASON}, channel=teams.forum_channel))
    decided = cards_in(answer)
    assert "Approved by" in render_text(decided) and not [b for b in buttons(decided) if b["title"] == "Approve"]

    # The card changed for everyone: the stand-in holds it updated, and the decision is under it.
    assert teams.standin.calls_to("update")
    channel = teams.standin.posted_in(teams.forum_channel)
    [card_now] = [a["attachments"][0]["content"] for a in channel if "replyToId" not in a]
    assert "Approved by" in render_text(card_now) and "Approve" not in [b["title"] for b in buttons(card_now)]
    assert any("replyToId" in activity for activity in channel)
    # The worker (and the person attending) hear it with the reason, in their personal chats only.
    notice = teams.chat(PRIYA)[-1]
    assert REASON in render_text(notice)
    assert REASON in render_text(teams.chat(ANNA)[-1])
    assert "Jamie" not in json.dumps(channel)

    # A second press writes nothing and says who decided.
    after = counts(teams.services.engine)
    assert after != before
    again = teams.send(teams.press(CHAIR, record, {DecisionInput.REASON: "again"}, channel=teams.forum_channel))
    assert again["type"] == "application/vnd.microsoft.activity.message"
    assert again["value"].startswith("Case 1234567 was already decided: Approved by")
    again = teams.send(teams.press(CHAIR, approve, channel=teams.forum_channel))
    assert "already decided" in again["value"]
    assert counts(teams.services.engine) == after

    # Nothing anyone typed, and no name, reached the log.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (REASON, STRENGTHS, "Jamie", "Priya", "Sam Okafor", "Acacia"):
        assert secret not in logged, secret


def test_the_team_manager_named_on_the_form_is_checked_against_the_role(everyone_installed):
    teams = everyone_installed
    teams.send(teams.message(PRIYA, "submit"))
    form = cards_in(teams.send(teams.dialog_fetch(PRIYA, button(teams.chat(PRIYA)[-1], "Open the case form"))))
    answers = {**good_answers(teams), SubmitInput.TEAM_MANAGER: ADMIN}  # not a team manager
    refused = render_text(cards_in(teams.send(teams.dialog_submit(PRIYA, button(form, "Submit"), answers))))
    assert "Choose your team manager" in refused
    assert teams.channel_cards() == []
