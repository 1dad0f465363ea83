"""Entra groups on Teams: `teams-group:<id>` in a policy role is read from Microsoft Graph (the Graph
stand-in, over real HTTP) as the people in it, nested groups and every page included, with an app-only
token for the council's tenant; throttling, a refused token, a missing permission and an unknown group
each end as Microsoft documents and as a council would want: waited for, fetched again, one log line
saying what to grant, nobody rather than a crash."""

from __future__ import annotations

import logging
import time

import pytest

from bot.addresses import Surface
from bot.errors import ConfigError
from bot.notify import RateGate
from bot.runtime import build_services, check_teams_groups
from bot.settings import load_settings
from handlers.teams.auth import BotTokenError, BotTokens
from handlers.teams.graph import Graph, GraphDirectory, GraphError, graph_tokens
from handlers.teams.graph_standin import GRAPH_SCOPE, GraphStandIn
from handlers.teams.standin import APP_SECRET, BOT_APP_ID, TENANT_ID, TeamsStandIn
from tests.clocks import Ticks
from tests.conftest import TEST_AUDIT_KEY
from tests.teams.test_bot_harness import graph_standin

FIXTURES = (graph_standin,)  # pytest finds this fixture by its name in this module


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def graph(graph_standin: GraphStandIn, slept: list[float]) -> Graph:
    def sleep(seconds: float) -> None:  # really waits, and says how long
        slept.append(seconds)
        time.sleep(seconds)

    tokens = graph_tokens(BOT_APP_ID, APP_SECRET, TENANT_ID, login_url=graph_standin.login_url)
    return Graph(tokens, base_url=graph_standin.base_url, sleep=sleep, gate=RateGate(), timeout=2)


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def directory(graph: Graph, ticks: Ticks) -> GraphDirectory:
    return GraphDirectory(graph, clock=ticks)


def people(standin: GraphStandIn, *names: str) -> list[str]:
    return [standin.add_user(name) for name in names]


def addresses(object_ids: list[str]) -> frozenset[str]:
    return frozenset(f"teams:{object_id}" for object_id in object_ids)


# -- who is in a group -----------------------------------------------------------------------------


def test_a_group_is_its_people_read_page_by_page_to_the_last_next_link(graph_standin, directory):
    staff = people(graph_standin, "Priya Shah", "Tomas Reyes", "Anna Marsh", "Sam Okafor", "Pat Admin")
    group = graph_standin.add_group(staff)
    assert directory.group_members(f"teams-group:{group}") == addresses(staff)
    pages = graph_standin.calls_to("members")
    assert len(pages) == 3  # 5 people, 2 a page
    assert all(call.headers == {"ConsistencyLevel": "eventual"} and call.query["$count"] == "true"
               for call in pages)  # the OData cast is an advanced query, on every page
    assert "$skiptoken" not in pages[0].query and all("$skiptoken" in call.query for call in pages[1:])
    assert pages[0].path == f"/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user"
    assert pages[0].query["$select"] == "id" and pages[0].query["$top"] == "999"


def test_nested_groups_count_and_only_people_are_members(graph_standin, directory):
    priya, tomas, sam = people(graph_standin, "Priya Shah", "Tomas Reyes", "Sam Okafor")
    contact = graph_standin.add_contact("Agency Worker")
    chairs = graph_standin.add_group([sam], name="Forum chairs")
    managers = graph_standin.add_group([tomas, chairs, contact], name="Managers")
    everyone = graph_standin.add_group([priya, managers], name="Everyone")
    graph_standin.groups[chairs].append(everyone)  # a loop: Graph lists each member once
    assert directory.group_members(f"teams-group:{everyone}") == addresses([priya, tomas, sam])
    assert directory.group_members(f"teams-group:{chairs}") == addresses([sam, priya, tomas])
    # transitiveMembers flattens the nesting itself: no call per nested group.
    assert {call.path.split("/")[3] for call in graph_standin.calls_to("members")} == {everyone, chairs}


def test_anything_but_an_entra_group_is_nobody_and_graph_is_not_asked(graph_standin, directory):
    for address in ("S0TEAMMGRS", "teams:00000000-0000-4000-8000-000000000001", "not an address"):
        assert directory.group_members(address) == frozenset()
    assert graph_standin.calls == []


def test_the_token_is_app_only_for_the_councils_tenant_and_kept_between_calls(graph_standin, directory):
    group = graph_standin.add_group(people(graph_standin, "Priya Shah", "Tomas Reyes", "Sam Okafor"))
    directory.group_members(f"teams-group:{group}")
    directory.forget()
    directory.group_members(f"teams-group:{group}")
    [token] = graph_standin.calls_to("token")
    assert token.path == f"/{TENANT_ID}/oauth2/v2.0/token"
    assert token.body == {"grant_type": "client_credentials", "client_id": BOT_APP_ID, "client_secret": APP_SECRET,
                          "scope": GRAPH_SCOPE}
    assert len(graph_standin.calls_to("members")) == 4


# -- the cache -------------------------------------------------------------------------------------


def test_a_group_is_kept_five_minutes_then_read_again(graph_standin, directory, ticks):
    priya, tomas = people(graph_standin, "Priya Shah", "Tomas Reyes")
    group = graph_standin.add_group([priya])
    assert directory.group_members(f"teams-group:{group}") == addresses([priya])
    graph_standin.groups[group].append(tomas)  # an administrator adds Tomás
    ticks.now += 299
    assert directory.group_members(f"teams-group:{group}") == addresses([priya])
    assert len(graph_standin.calls_to("members")) == 1
    ticks.now += 1
    assert directory.group_members(f"teams-group:{group}") == addresses([priya, tomas])
    assert len(graph_standin.calls_to("members")) == 2


# -- throttling and outages -------------------------------------------------------------------------


def test_a_429_is_waited_out_for_its_retry_after_then_answered(graph_standin, directory, slept):
    priya = graph_standin.add_user("Priya Shah")
    group = graph_standin.add_group([priya])
    graph_standin.fail_next("members", status=429, retry_after=1)
    started = time.monotonic()
    assert directory.group_members(f"teams-group:{group}") == addresses([priya])
    assert time.monotonic() - started >= 0.9 and len(slept) == 1 and 0.9 <= slept[0] <= 1.0
    first, second = graph_standin.calls_to("members")
    assert second.query == first.query  # the same call again


def test_a_503_without_retry_after_waits_a_second_and_tries_again(graph_standin, directory, slept):
    priya = graph_standin.add_user("Priya Shah")
    group = graph_standin.add_group([priya])
    graph_standin.fail_next("members", status=503)
    assert directory.group_members(f"teams-group:{group}") == addresses([priya])
    assert len(slept) == 1 and 0.9 <= slept[0] <= 1.0


def test_a_long_retry_after_is_not_waited_the_members_last_read_stand_in_and_graph_is_left_alone(
        graph_standin, directory, ticks, slept, caplog):
    priya = graph_standin.add_user("Priya Shah")
    group = graph_standin.add_group([priya])
    assert directory.group_members(f"teams-group:{group}") == addresses([priya])
    ticks.now += 600  # past the cache's five minutes
    graph_standin.fail_next("members", status=429, retry_after=120)
    with caplog.at_level(logging.WARNING, "panelbot.teams.graph"):
        assert directory.group_members(f"teams-group:{group}") == addresses([priya])
    assert slept == []  # a person is waiting: two minutes are not waited
    assert "(throttled): using its members as Graph listed them 600 s ago" in caplog.text
    calls = len(graph_standin.calls)
    ticks.now += 60
    assert directory.group_members(f"teams-group:{group}") == addresses([priya])
    assert len(graph_standin.calls) == calls  # not asked again before the Retry-After
    assert directory.graph.gate.remaining() > 100  # nor is any other Graph call of this process


def test_a_group_never_listed_is_nobody_while_graph_is_down_and_counts_once_it_answers(graph_standin, directory,
                                                                                       ticks):
    priya = graph_standin.add_user("Priya Shah")
    group = graph_standin.add_group([priya])
    graph_standin.fail_next("members", status=500)
    assert directory.group_members(f"teams-group:{group}") == frozenset()
    ticks.now += 30  # FAILURE_BACKOFF
    assert directory.group_members(f"teams-group:{group}") == addresses([priya])


def test_members_an_hour_old_do_not_stand_in_for_graph(graph_standin, directory, ticks):
    priya = graph_standin.add_user("Priya Shah")
    group = graph_standin.add_group([priya])
    directory.group_members(f"teams-group:{group}")
    ticks.now += 3600
    graph_standin.fail_next("members", status=502)
    assert directory.group_members(f"teams-group:{group}") == frozenset()


def test_graph_that_does_not_answer_in_time_is_a_passing_failure(graph_standin, graph, ticks):
    priya = graph_standin.add_user("Priya Shah")
    group = graph_standin.add_group([priya])
    slow = GraphDirectory(Graph(graph.tokens, base_url=graph_standin.base_url, timeout=0.3, gate=RateGate()),
                          clock=ticks)
    graph_standin.delays["members"] = 1.0
    started = time.monotonic()
    assert slow.group_members(f"teams-group:{group}") == frozenset()
    assert time.monotonic() - started < 0.9
    graph_standin.delays.clear()
    ticks.now += 30
    assert slow.group_members(f"teams-group:{group}") == addresses([priya])


# -- tokens, permissions, unknown groups -----------------------------------------------------------


def test_an_expired_token_is_fetched_again_once_and_the_call_made_again(graph_standin, directory, ticks):
    priya = graph_standin.add_user("Priya Shah")
    group = graph_standin.add_group([priya])
    directory.group_members(f"teams-group:{group}")
    graph_standin.expire_tokens()  # revoked, or its hour is up before BotTokens expected
    ticks.now += 300
    assert directory.group_members(f"teams-group:{group}") == addresses([priya])
    assert len(graph_standin.calls_to("token")) == 2
    refused, accepted = graph_standin.calls_to("members")[1:]
    assert refused.token != accepted.token


def test_a_token_refused_twice_is_nobody_and_one_line_says_which_settings_to_check(graph_standin, directory, caplog):
    group = graph_standin.add_group([graph_standin.add_user("Priya Shah")])
    graph_standin.fail_next("members", status=401, times=2)
    with caplog.at_level(logging.WARNING, "panelbot.teams.graph"):
        assert directory.group_members(f"teams-group:{group}") == frozenset()
    assert len(graph_standin.calls_to("token")) == 2
    [line] = [record.getMessage() for record in caplog.records]
    assert "(unauthorized)" in line and "TEAMS_APP_PASSWORD" in line and "TEAMS_TENANT_ID" in line


def test_a_wrong_secret_is_nobody_and_said_once(graph_standin, ticks, caplog):
    group = graph_standin.add_group([graph_standin.add_user("Priya Shah")])
    tokens = graph_tokens(BOT_APP_ID, "not-the-secret", TENANT_ID, login_url=graph_standin.login_url)
    directory = GraphDirectory(Graph(tokens, base_url=graph_standin.base_url, gate=RateGate()), clock=ticks)
    with caplog.at_level(logging.WARNING, "panelbot.teams.graph"):
        assert directory.group_members(f"teams-group:{group}") == frozenset()
        assert directory.group_members(f"teams-group:{group}") == frozenset()
    assert len(graph_standin.calls_to("token")) == 1 and graph_standin.calls_to("members") == []
    assert len(caplog.records) == 1 and "(token)" in caplog.records[0].getMessage()


def test_without_group_member_read_all_the_group_is_nobody_and_one_line_says_what_to_grant(
        graph_standin, directory, ticks, caplog):
    group = graph_standin.add_group([graph_standin.add_user("Priya Shah")])
    graph_standin.granted = {"User.Read.All"}
    with caplog.at_level(logging.WARNING, "panelbot.teams.graph"):
        assert directory.group_members(f"teams-group:{group}") == frozenset()
        ticks.now += 120
        assert directory.group_members(f"teams-group:{group}") == frozenset()  # kept: not asked, not logged again
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith(f"Microsoft Graph refused to list the members of teams-group:{group} "
                                          "(403 Authorization_RequestDenied): grant panelbot's app registration "
                                          "the GroupMember.Read.All application permission")
    assert len(graph_standin.calls_to("members")) == 1


def test_an_unknown_group_is_nobody_and_logged_by_its_address(graph_standin, directory, caplog):
    missing = "teams-group:0a0b0c0d-0000-4000-8000-00000000dead"
    with caplog.at_level(logging.WARNING, "panelbot.teams.graph"):
        assert directory.group_members(missing) == frozenset()
    [record] = caplog.records
    assert f"the Entra group {missing} named in the policy does not exist in the tenant (404 " \
           "Request_ResourceNotFound)" in record.getMessage()


# -- the stand-in is as strict as Graph ------------------------------------------------------------


def test_the_stand_in_refuses_a_cast_without_the_advanced_query_parameters(graph_standin, graph):
    group = graph_standin.add_group([graph_standin.add_user("Priya Shah")])
    with pytest.raises(GraphError) as refused:
        graph.get(f"v1.0/groups/{group}/transitiveMembers/microsoft.graph.user?$select=id")
    assert (refused.value.code, refused.value.graph_code) == ("http_400", "Request_UnsupportedQuery")
    assert refused.value.permanent


@pytest.mark.parametrize(("query", "graph_code"), [
    ("$select=id&$count=true&$top=1000", "Request_BadRequest"),  # Graph's pages hold at most 999
    ("$select=nickname&$count=true", "Request_BadRequest"),  # no such property
    ("$select=id&$count=true&$skiptoken=forged", "Directory_ExpiredPageToken"),
])
def test_the_stand_in_refuses_what_graph_refuses(graph_standin, graph, query, graph_code):
    group = graph_standin.add_group([graph_standin.add_user("Priya Shah")])
    with pytest.raises(GraphError) as refused:
        graph.get(f"v1.0/groups/{group}/transitiveMembers/microsoft.graph.user?{query}",
                  {"ConsistencyLevel": "eventual"})
    assert refused.value.graph_code == graph_code and refused.value.permanent


def test_the_stand_in_takes_only_its_own_tokens_and_the_tenants_endpoint(graph_standin):
    teams = TeamsStandIn().start()
    try:
        bot_tokens = BotTokens(BOT_APP_ID, APP_SECRET, token_url=teams.token_url())  # a Bot Framework token
        with pytest.raises(GraphError) as refused:
            Graph(bot_tokens, base_url=graph_standin.base_url, gate=RateGate()).get("v1.0/users/"
                                                                                    + graph_standin.add_user("Priya"))
        assert refused.value.code == "unauthorized"
        multi = graph_tokens(BOT_APP_ID, APP_SECRET, "botframework.com", login_url=graph_standin.login_url)
        with pytest.raises(BotTokenError):
            multi.token()  # app-only Graph tokens come from the council's tenant
    finally:
        teams.stop()


def test_a_next_link_to_another_host_is_never_followed_with_the_token(graph_standin, graph):
    with pytest.raises(GraphError) as refused:
        graph.get("https://graph.example.net/v1.0/groups?$skiptoken=x")
    assert refused.value.code == "foreign_next_link"
    assert graph_standin.calls == []


# -- start-up ----------------------------------------------------------------------------------------

GROUP = "teams-group:0a0b0c0d-1111-4000-8000-000000000001"


def test_start_up_refuses_a_policy_naming_an_entra_group_when_no_tenant_is_set(default_policy):
    settings = load_settings(env_file=None, teams_app_id=BOT_APP_ID, teams_app_password=APP_SECRET)
    policy = default_policy.model_copy(update={"roles": {**default_policy.roles, "team_managers": (GROUP,)}})
    with pytest.raises(ConfigError) as refused:
        check_teams_groups(settings, policy)
    assert str(refused.value).startswith("missing setting: TEAMS_TENANT_ID (your council's Microsoft Entra tenant ID")
    assert GROUP in str(refused.value)


def test_without_entra_groups_or_a_tenant_start_up_says_once_that_graph_is_not_asked(default_policy, caplog):
    settings = load_settings(env_file=None, teams_app_id=BOT_APP_ID, teams_app_password=APP_SECRET)
    with caplog.at_level(logging.INFO, "panelbot.runtime"):
        check_teams_groups(settings, default_policy)
    [record] = caplog.records
    assert record.getMessage().startswith("TEAMS_TENANT_ID is not set: panelbot answers Teams users of any "
                                          "organisation where it is installed, does not ask Microsoft Graph")


def test_a_tenant_id_that_is_not_a_guid_is_refused_naming_the_setting():
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None, teams_tenant_id="contoso.onmicrosoft.com")
    assert str(refused.value).startswith("TEAMS_TENANT_ID is not a GUID: set it to your council's Microsoft Entra")


def test_a_deployment_with_a_tenant_expands_entra_groups_through_graph(graph_standin, database_url):
    priya = graph_standin.add_user("Priya Shah")
    group = graph_standin.add_group([priya])
    settings = load_settings(env_file=None, database_url=database_url, panelbot_audit_key=TEST_AUDIT_KEY,
                             teams_app_id=BOT_APP_ID, teams_app_password=APP_SECRET, teams_tenant_id=TENANT_ID,
                             teams_graph_url=graph_standin.base_url, teams_login_url=graph_standin.login_url)
    services = build_services(settings)
    assert isinstance(services.directory.directory_of(Surface.TEAMS), GraphDirectory)
    assert services.people([f"teams-group:{group}", "teams:00000000-0000-4000-8000-00000000000a"]) == \
        [f"teams:{priya}", "teams:00000000-0000-4000-8000-00000000000a"]
    services.engine.dispose()
