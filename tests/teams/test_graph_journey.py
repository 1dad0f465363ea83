"""End to end on Teams with Entra groups: the policy names the forum's chairs and the team managers as
`teams-group:` entries, Microsoft Graph (the Graph stand-in, over real HTTP) says who is in them (the
chairs' group through a nested rota group), and so a member of the group may do what the role does:
the team manager is accepted on the case form, and the chair decides on the channel card while someone
outside the group is refused. Without GroupMember.Read.All the group holds nobody: nobody decides, and
one log line says what to grant."""

from __future__ import annotations

import logging

import pytest

from bot.notify import RateGate
from bot.policy import Policy
from handlers.teams.graph import Graph, GraphDirectory, graph_tokens
from handlers.teams.graph_standin import GraphStandIn
from handlers.teams.standin import APP_SECRET, BOT_APP_ID, TENANT_ID
from messages.teams.ids import DecisionInput
from messages.teams.render import render_text
from tests.teams.test_bot_harness import (
    ADMIN,
    CHAIR,
    CHAIR_ROLES,
    FORUM,
    PEOPLE,
    PRIYA,
    TOMAS,
    Teams,
    button,
    buttons,
    cards_in,
    counts,
    everyone_installed,
    graph_standin,
    teams,
)
from tests.teams.test_bot_journey import submit_through_the_dialog

FIXTURES = (everyone_installed, graph_standin, teams)  # pytest finds these fixtures by their names in this module
REASON = "Approved: the overnight support is needed."


@pytest.fixture
def groups(graph_standin: GraphStandIn) -> dict[str, str]:
    """The council's people in its directory, and its Entra groups: the forum chairs (Sam, through the
    chairs' rota group) and the team managers (Tomás), as their `teams-group:` addresses."""
    for name, object_id in PEOPLE.items():
        graph_standin.add_user(name, object_id)
    rota = graph_standin.add_group([PEOPLE["Sam Okafor"]], name="Forum chair rota")
    chairs = graph_standin.add_group([rota], name="Enhanced Peer Forum chairs")
    managers = graph_standin.add_group([PEOPLE["Tomas Reyes"]], name="Adult social care team managers")
    return {"chairs": f"teams-group:{chairs}", "team_managers": f"teams-group:{managers}"}


@pytest.fixture
def policy(default_policy: Policy, groups: dict[str, str]) -> Policy:
    """The shipped policy, the forum posting in a Teams channel, its chairs and the team managers held by
    Entra groups, and no one named one by one."""
    forum = default_policy.bodies["forum"].model_copy(update={"channel": FORUM})
    roles = {**default_policy.roles, "team_managers": (groups["team_managers"],), "panel_admins": (ADMIN,),
             **dict.fromkeys(CHAIR_ROLES, (groups["chairs"],))}
    return default_policy.model_copy(update={"bodies": {**default_policy.bodies, "forum": forum}, "roles": roles})


def with_graph(teams: Teams, standin: GraphStandIn) -> Teams:
    """The deployment reads Entra groups from Graph, as bot.runtime wires it with TEAMS_TENANT_ID."""
    tokens = graph_tokens(BOT_APP_ID, APP_SECRET, TENANT_ID, login_url=standin.login_url)
    teams.services.directory = GraphDirectory(Graph(tokens, base_url=standin.base_url, gate=RateGate()))
    return teams


def booked_card(teams: Teams) -> dict:
    submit_through_the_dialog(teams)  # Tomás, a team manager only through his group, is accepted
    receipt = teams.chat(PRIYA)[-1]
    booking = cards_in(teams.send(teams.press(PRIYA, button(receipt, "Book a forum slot"))))
    slot = next(block for block in booking["body"] if block.get("id") == "slot")["value"]
    assert "Forum slot booked" in render_text(cards_in(teams.send(teams.press(PRIYA, button(booking, "Book"),
                                                                                {"slot": slot}))))
    [card] = teams.channel_cards()
    return card


def test_a_member_of_the_chairs_entra_group_decides_on_the_card_and_others_are_refused(everyone_installed,
                                                                                      graph_standin, groups):
    teams = with_graph(everyone_installed, graph_standin)
    assert teams.services.people([groups["team_managers"]]) == [TOMAS]
    card = booked_card(teams)
    approve = button(card, "Approve")

    before = counts(teams.services.engine)
    refused = teams.send(teams.press(ADMIN, approve, channel=teams.forum_channel))  # not in the chairs' group
    assert refused["type"] == "application/vnd.microsoft.activity.message" and refused["value"].startswith("🚫")
    assert counts(teams.services.engine) == before

    form = cards_in(teams.send(teams.press(CHAIR, approve, channel=teams.forum_channel)))
    decided = cards_in(teams.send(teams.press(CHAIR, button(form, "Record decision"), {DecisionInput.REASON: REASON},
                                              channel=teams.forum_channel)))
    assert "Approved by Sam Okafor" in render_text(decided)
    channel = teams.standin.posted_in(teams.forum_channel)
    [card_now] = [a["attachments"][0]["content"] for a in channel if "replyToId" not in a]
    assert "Approved by Sam Okafor" in render_text(card_now)
    assert "Approve" not in [b["title"] for b in buttons(card_now)]
    # Graph listed the groups a page at a time, with its own app-only token for the council's tenant.
    assert graph_standin.calls_to("members") and len(graph_standin.calls_to("token")) == 1


def test_without_group_member_read_all_the_chairs_group_holds_nobody_and_the_log_says_what_to_grant(
        everyone_installed, graph_standin, groups, caplog):
    graph_standin.granted = {"User.Read.All"}
    teams = with_graph(everyone_installed, graph_standin)
    caplog.set_level(logging.WARNING)
    teams.send(teams.message(PRIYA, "submit"))
    [opener] = teams.chat(PRIYA)[-1:]
    dialog = cards_in(teams.send(teams.dialog_fetch(PRIYA, button(opener, "Open the case form"))))
    assert render_text(dialog)  # the form still opens: nobody to choose as team manager, not a crash
    lines = [record.getMessage() for record in caplog.records if record.name == "panelbot.teams.graph"]
    assert lines and all("GroupMember.Read.All" in line for line in lines)
    assert len(lines) == len(set(lines))  # one line per group, not one per question
    assert teams.services.people([groups["chairs"], groups["team_managers"]]) == []
