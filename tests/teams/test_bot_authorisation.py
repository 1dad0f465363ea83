"""Permissions on Teams are the services' own, as on Slack: a button pressed by someone without the role
(a forged invoke, or a card forwarded to them) is refused with a sentence and changes nothing."""

from __future__ import annotations

import pytest

from messages.teams.ids import DecisionInput
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
from tests.teams.test_bot_journey import submit_through_the_dialog

FIXTURES = (everyone_installed, policy, teams)  # pytest finds these fixtures by their names in this module


def booked_card(teams):
    submit_through_the_dialog(teams)
    receipt = teams.chat(PRIYA)[-1]
    booking = cards_in(teams.send(teams.press(PRIYA, button(receipt, "Book a forum slot"))))
    slot = next(block for block in booking["body"] if block.get("id") == "slot")["value"]
    teams.send(teams.press(PRIYA, button(booking, "Book"), {"slot": slot}))
    [card] = teams.channel_cards()
    return card


@pytest.mark.parametrize("who", [PRIYA, ANNA, TOMAS, ADMIN])
def test_only_the_chair_of_the_day_may_decide_on_the_channel_card(everyone_installed, who):
    teams = everyone_installed
    card = booked_card(teams)
    approve = button(card, "Approve")
    before = counts(teams.services.engine)
    answer = teams.send(teams.press(who, approve, channel=teams.forum_channel))
    assert answer["type"] == "application/vnd.microsoft.activity.message", answer
    assert answer["value"].startswith("🚫"), answer["value"]  # the services' refusal, worded for them
    # The form itself, forged straight to "Record decision", is refused the same way.
    form = cards_in(teams.send(teams.press(CHAIR, approve, channel=teams.forum_channel)))
    record = button(form, "Record decision")
    forged = teams.send(teams.press(who, record, {DecisionInput.REASON: "forged"}, channel=teams.forum_channel))
    assert forged["type"] == "application/vnd.microsoft.activity.message" and forged["value"].startswith("🚫")
    assert counts(teams.services.engine) == before
    [still] = teams.channel_cards()
    assert "Approve" in [b["title"] for b in buttons(still)]  # undecided, for everyone
