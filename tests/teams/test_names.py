"""Teams cards name people: the display name Teams sends with each activity is kept with the person's
address and shown on the cards that mention them; someone who has never written to panelbot is named
by Microsoft Graph (the Graph stand-in, over real HTTP); anyone neither knows is "a colleague", never
an id; and no name ever reaches the log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.later import InlineExecutor, Later
from bot.notify import RateGate
from handlers.teams.addresses import AddressBook
from handlers.teams.bot import TeamsBot
from handlers.teams.graph import Graph, GraphUsers, graph_tokens
from handlers.teams.graph_standin import GraphStandIn
from handlers.teams.names import A_COLLEAGUE, A_GROUP, A_SLACK_COLLEAGUE, DisplayNames
from handlers.teams.standin import APP_SECRET, BOT_APP_ID, TENANT_ID
from messages.teams.elements import person_input
from messages.teams.render import render_text
from store.models import TeamsAddress
from tests.teams.test_bot_harness import (
    ANNA,
    PEOPLE,
    PRIYA,
    TOMAS,
    Teams,
    everyone_installed,
    graph_standin,
    policy,
    seed_case,
    teams,
)

FIXTURES = (everyone_installed, graph_standin, policy, teams)  # pytest finds these fixtures by their names
NAMES = ("Priya", "Shah", "Tomas", "Reyes", "Anna", "Marsh", "Sam Okafor", "Pat Admin")


@pytest.fixture
def graph_users(graph_standin: GraphStandIn) -> GraphUsers:
    tokens = graph_tokens(BOT_APP_ID, APP_SECRET, TENANT_ID, login_url=graph_standin.login_url)
    return GraphUsers(Graph(tokens, base_url=graph_standin.base_url, gate=RateGate()))


def graph_bot(teams: Teams, users: GraphUsers) -> TeamsBot:
    """The Teams bot as a deployment with TEAMS_TENANT_ID composes it: its address book asks Graph."""
    return TeamsBot(teams.services, teams.bot.connector, AddressBook(teams.services, users.display_name),
                    later=Later("test", 1, 10_000, InlineExecutor()))


def said_to(teams: Teams, who: str, text: str, bot: TeamsBot | None = None) -> str:
    """What panelbot answers `who` typing `text` in their chat with it, as it reads."""
    activity = teams.message(who, text)
    if bot is None:
        teams.send(activity)
    else:
        assert bot.handle(Teams.bot_activity(activity)).status == 200
    return render_text(teams.chat(who)[-1])


def recorded_name(teams: Teams, who: str) -> str | None:
    with teams.services.sessions() as session:
        return session.scalars(select(TeamsAddress.display_name).where(TeamsAddress.address == who)).one()


# -- the name Teams sends ----------------------------------------------------------------------------


def test_the_case_card_in_the_channel_names_the_worker_by_the_name_teams_sent(everyone_installed):
    teams = everyone_installed
    assert recorded_name(teams, PRIYA) == "Priya Shah"
    seed_case(teams)
    [card] = teams.channel_cards()
    shown = render_text(card)
    assert "Submitted by Priya Shah on Tuesday 24 November 2026" in shown
    assert "teams:" not in shown


def test_a_case_names_the_people_on_it_who_wrote_and_calls_the_others_a_colleague(teams):
    teams.send(teams.message(TOMAS, "help"))  # Tomás has written to panelbot; Anna never has
    seed_case(teams)
    shown = said_to(teams, PRIYA, "case 1234567")
    assert "Team manager: Tomas Reyes" in shown
    assert f"Attending with the worker: {A_COLLEAGUE}" in shown
    assert "Submitted by Priya Shah" in shown
    assert "teams:" not in shown and "00000000-0000" not in shown


def test_a_renamed_colleague_is_called_by_their_new_name_from_their_next_activity(teams):
    teams.send(teams.message(PRIYA, "help"))
    teams.standin.users[teams.users[PRIYA]]["name"] = "Priya Shah-Khan"  # changed in Entra ID
    seed_case(teams)
    assert "Submitted by Priya Shah-Khan" in said_to(teams, PRIYA, "case 1234567")
    assert recorded_name(teams, PRIYA) == "Priya Shah-Khan"


def test_a_name_is_kept_on_one_line_without_control_or_direction_characters(teams):
    activity = teams.message(PRIYA, "help")
    activity["from"]["name"] = "Priya\u202e  Shah\n\x07"
    teams.send(activity)
    assert recorded_name(teams, PRIYA) == "Priya Shah"
    nameless = teams.message(PRIYA, "help")
    del nameless["from"]["name"]
    teams.send(nameless)
    assert recorded_name(teams, PRIYA) == "Priya Shah"  # an activity without a name keeps the one known


# -- Microsoft Graph, for people who never wrote ---------------------------------------------------


def test_graph_names_the_people_who_never_wrote_and_is_asked_once_for_each(teams, graph_standin, graph_users):
    never_wrote = ("Tomas Reyes", "Anna Marsh", "Sam Okafor")  # the team manager, the AP, the forum's chair
    for name in never_wrote:
        graph_standin.add_user(name, PEOPLE[name])
    bot = graph_bot(teams, graph_users)
    seed_case(teams)
    shown = said_to(teams, PRIYA, "case 1234567", bot)
    assert "Team manager: Tomas Reyes" in shown and "Attending with the worker: Anna Marsh" in shown
    assert "Sam Okafor" in shown and "teams:" not in shown
    asked = graph_standin.calls_to("user")
    assert sorted(call.path for call in asked) == sorted(f"/v1.0/users/{PEOPLE[name]}" for name in never_wrote)
    assert all(call.query == {"$select": "displayName"} for call in asked)  # Priya's own name came with her message
    said_to(teams, PRIYA, "case 1234567", bot)
    assert len(graph_standin.calls_to("user")) == 3  # kept


def test_someone_graph_does_not_know_is_a_colleague(teams, graph_standin, graph_users):
    graph_standin.add_user("Tomas Reyes", PEOPLE["Tomas Reyes"])  # Anna is not in the tenant any more
    seed_case(teams)
    shown = said_to(teams, PRIYA, "case 1234567", graph_bot(teams, graph_users))
    assert "Team manager: Tomas Reyes" in shown and f"Attending with the worker: {A_COLLEAGUE}" in shown


def test_without_user_read_all_people_are_a_colleague_and_one_line_says_what_to_grant(teams, graph_standin,
                                                                                      graph_users, caplog):
    graph_standin.add_user("Tomas Reyes", PEOPLE["Tomas Reyes"])
    graph_standin.granted = {"GroupMember.Read.All"}
    bot = graph_bot(teams, graph_users)
    seed_case(teams)
    with caplog.at_level(logging.WARNING, "panelbot.teams.graph"):
        shown = said_to(teams, PRIYA, "case 1234567", bot)
        said_to(teams, PRIYA, "case 1234567", bot)
    assert f"Team manager: {A_COLLEAGUE}" in shown and "teams:" not in shown
    [record] = [r for r in caplog.records if r.name == "panelbot.teams.graph"]
    assert "(403 Authorization_RequestDenied): grant panelbot's app registration the User.Read.All application " \
           "permission" in record.getMessage()
    assert len(graph_standin.calls_to("user")) == 1  # not asked again while the permission is missing


def test_graph_down_is_a_colleague_for_now_and_the_name_once_it_answers(teams, graph_standin, graph_users):
    graph_standin.add_user("Tomas Reyes", PEOPLE["Tomas Reyes"])
    graph_standin.add_user("Anna Marsh", PEOPLE["Anna Marsh"])
    names = AddressBook(teams.services, graph_users.display_name).names
    graph_standin.fail_next("user", status=503, retry_after=30)
    assert names[TOMAS] == A_COLLEAGUE
    assert names[ANNA] == A_COLLEAGUE  # Graph's Retry-After holds every call: not asked
    assert len(graph_standin.calls_to("user")) == 1


# -- words for everyone else -------------------------------------------------------------------------


def test_slack_people_and_groups_on_a_teams_card_are_neutral_words(teams):
    names = teams.bot.names
    assert names["U0PRIYA01"] == A_SLACK_COLLEAGUE
    assert names["teams-group:0a0b0c0d-1111-4000-8000-000000000001"] == A_GROUP
    assert names["S0TEAMMGRS"] == A_GROUP
    assert "teams:19:abc@thread.tacv2" not in names and "hello" not in names


def test_a_list_to_choose_from_tells_unnamed_colleagues_apart(teams):
    teams.send(teams.message(TOMAS, "help"))
    [field] = person_input("manager", "Team manager", [TOMAS, ANNA, PRIYA], teams.bot.names, required=True)
    assert [choice["title"] for choice in field["choices"]] == ["Tomas Reyes", "a colleague (1)", "a colleague (2)"]
    assert [choice["value"] for choice in field["choices"]] == [TOMAS, ANNA, PRIYA]


def test_a_name_recorded_in_another_process_counts_once_this_one_reads_again(teams):
    clock = [0.0]
    names = DisplayNames(AddressBook(teams.services).display_name, clock=lambda: clock[0], ttl=600)
    assert names[PRIYA] == A_COLLEAGUE
    teams.send(teams.message(PRIYA, "help"))  # recorded by the web process's address book
    assert names[PRIYA] == A_COLLEAGUE
    clock[0] = 600
    assert names[PRIYA] == "Priya Shah"


# -- the log -------------------------------------------------------------------------------------------


def test_no_name_reaches_the_log(teams, graph_standin, graph_users, caplog):
    caplog.set_level(logging.DEBUG)
    graph_standin.add_user("Anna Marsh", PEOPLE["Anna Marsh"])
    graph_standin.fail_next("user", status=429, retry_after=1)  # waited, then Anna's name read
    bot = graph_bot(teams, graph_users)
    said_to(teams, TOMAS, "mine", bot)
    seed_case(teams)
    shown = said_to(teams, PRIYA, "case 1234567", bot)
    assert "Attending with the worker: Anna Marsh" in shown and "Team manager: Tomas Reyes" in shown
    assert any(record.name.startswith("panelbot") for record in caplog.records)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for name in NAMES:
        assert name not in logged, name
