"""The council's tenant is the boundary (TEAMS_TENANT_ID): someone in another Microsoft 365 organisation
where panelbot is installed reads nothing, changes nothing and leaves nothing recorded, whatever they
press or type; people of the council's own tenant are answered as always."""

from __future__ import annotations

from handlers.teams.standin import TENANT_ID
from messages.teams.render import render_text
from tests.teams.test_bot_harness import (
    PRIYA,
    button,
    counts,
    everyone_installed,
    policy,
    seed_case,
    teams,
)

FIXTURES = (everyone_installed, policy, teams)  # pytest finds these fixtures by their names in this module
OTHER_TENANT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"


def from_elsewhere(activity):
    activity["conversation"]["tenantId"] = OTHER_TENANT
    activity.setdefault("channelData", {}).setdefault("tenant", {})["id"] = OTHER_TENANT
    return activity


def test_a_press_from_another_organisation_is_refused_and_changes_nothing(everyone_installed):
    teams = everyone_installed
    teams.bot.tenant = TENANT_ID
    seed_case(teams)
    book = button(teams.chat(PRIYA)[-1], "Book a forum slot")  # on her receipt
    before = counts(teams.services.engine)
    answer = teams.send(from_elsewhere(teams.press(PRIYA, book)))
    assert answer["value"] == "panelbot answers people in your council's Microsoft 365 organisation only."
    assert counts(teams.services.engine) == before  # no audit, no message owed, no address recorded


def test_a_message_from_another_organisation_gets_nothing_and_records_nothing(everyone_installed):
    teams = everyone_installed
    teams.bot.tenant = TENANT_ID
    seed_case(teams)
    before, sent = counts(teams.services.engine), len(teams.standin.calls)
    for text in ("agenda", "case 1234567", "help"):
        assert teams.send(from_elsewhere(teams.message(PRIYA, text))) is None
    assert counts(teams.services.engine) == before
    assert len(teams.standin.calls) == sent  # nothing was sent to them, nor anywhere


def test_the_councils_own_people_are_answered_as_always(everyone_installed):
    teams = everyone_installed
    teams.bot.tenant = TENANT_ID
    teams.send(teams.message(PRIYA, "help"))
    assert "panelbot carries a funding request" in render_text(teams.chat(PRIYA)[-1])


def test_without_a_tenant_set_the_check_is_off(everyone_installed):
    teams = everyone_installed
    assert teams.bot.tenant is None
    teams.send(from_elsewhere(teams.message(PRIYA, "help")))
    assert "panelbot carries a funding request" in render_text(teams.chat(PRIYA)[-1])
