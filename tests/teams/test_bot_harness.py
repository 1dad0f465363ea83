"""The Teams bot's test harness: the bot served over real HTTP (wsgiref, an ephemeral port) against the
Teams stand-in, a policy whose forum posts in a Teams channel and whose roles are Teams people, and the
activities Teams posts (a message, a button, a dialog, an install), signed as Teams signs them.

The other tests/teams/test_bot_*.py modules import these fixtures and helpers.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import Engine, func, select

from bot.later import InlineExecutor, Later
from bot.notify import RateGate
from bot.policy import Policy
from bot.services import Services
from handlers.teams.addresses import AddressBook
from handlers.teams.auth import BotTokens, InboundAuth
from handlers.teams.bot import TeamsBot
from handlers.teams.connector import Connector
from handlers.teams.graph_standin import GraphStandIn
from handlers.teams.standin import APP_SECRET, BOT_ACCOUNT_ID, BOT_APP_ID, BOT_NAME, TeamsStandIn
from handlers.teams.wsgi import MESSAGES_PATH, TeamsWsgi
from store.models import Audit, Outbox, TeamsAddress
from tests.conftest import TEST_AUDIT_KEY

# The people of the journey: their Entra object ids, and so their panelbot addresses.
PEOPLE = {
    "Priya Shah": "00000000-0000-0000-0000-000000000001",  # practitioner
    "Tomas Reyes": "00000000-0000-0000-0000-000000000002",  # team manager
    "Anna Marsh": "00000000-0000-0000-0000-000000000003",  # advanced practitioner, attends with Priya
    "Sam Okafor": "00000000-0000-0000-0000-000000000004",  # forum chair (every rota role)
    "Pat Admin": "00000000-0000-0000-0000-000000000005",  # panel admin
}
PRIYA, TOMAS, ANNA, CHAIR, ADMIN = (f"teams:{oid}" for oid in PEOPLE.values())
FORUM_CHANNEL_NAME = "Enhanced Peer Forum"
CHAIR_ROLES = ("service_director_asc_operations", "strategic_manager_his", "strategic_manager_neighbourhoods")


def forum_channel_id() -> str:
    """The forum channel's Teams id, as the stand-in names a channel called FORUM_CHANNEL_NAME."""
    import hashlib

    return f"19:{hashlib.sha256(FORUM_CHANNEL_NAME.encode()).hexdigest()[:32]}@thread.tacv2"


FORUM = f"teams:{forum_channel_id()}"


def teams_policy(policy: Policy) -> Policy:
    """The shipped policy with the forum's case cards in a Teams channel (Body.channel) and its roles
    held by Teams people (Policy.roles). model_copy: the policy's schema is not changed for a test."""
    forum = policy.bodies["forum"].model_copy(update={"channel": FORUM})
    roles = {**policy.roles, "team_managers": (TOMAS,), "panel_admins": (ADMIN,),
             **dict.fromkeys(CHAIR_ROLES, (CHAIR,))}
    return policy.model_copy(update={"bodies": {**policy.bodies, "forum": forum}, "roles": roles})


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:  # the bot logs its own request lines
        pass


@dataclass
class Teams:
    """Everything a test drives: the stand-in, the bot served over HTTP, and who is who."""

    standin: TeamsStandIn
    bot: TeamsBot
    services: Services
    port: int
    users: dict[str, str]  # address -> the stand-in's "29:…" user id
    forum_channel: str  # the forum channel's Teams id

    # -- what Teams posts ---------------------------------------------------------------------------

    def message(self, who: str, text: str, *, channel: str | None = None) -> dict[str, Any]:
        return self.standin.message_from(self.users[who], text, channel=channel)

    def invoke(self, who: str, name: str, value: dict[str, Any], *, channel: str | None = None) -> dict[str, Any]:
        activity = self.message(who, "", channel=channel)
        for key in ("text", "textFormat"):
            activity.pop(key, None)
        activity.update(type="invoke", name=name, value=value)
        return activity

    def press(self, who: str, button: dict[str, Any], inputs: dict[str, Any] | None = None, *,
              channel: str | None = None) -> dict[str, Any]:
        """An Action.Execute pressed: its verb, and its data merged with the card's inputs."""
        assert button["type"] == "Action.Execute", button
        value = {"action": {"type": "Action.Execute", "verb": button["verb"],
                            "data": {**button.get("data", {}), **(inputs or {})}}, "trigger": "manual"}
        return self.invoke(who, "adaptiveCard/action", value, channel=channel)

    def dialog_fetch(self, who: str, button: dict[str, Any]) -> dict[str, Any]:
        assert button["type"] == "Action.Submit" and button["data"]["msteams"]["type"] == "task/fetch", button
        return self.invoke(who, "task/fetch", {"data": button["data"], "context": {"theme": "default"}})

    def dialog_submit(self, who: str, button: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        assert button["type"] == "Action.Submit", button
        return self.invoke(who, "task/submit", {"data": {**button.get("data", {}), **inputs},
                                                "context": {"theme": "default"}})

    def installed(self, who: str) -> dict[str, Any]:
        """The conversationUpdate Teams posts when `who` adds panelbot in their personal scope."""
        activity = self.message(who, "")
        for key in ("text", "textFormat"):
            activity.pop(key, None)
        activity.update(type="conversationUpdate", membersAdded=[{"id": BOT_ACCOUNT_ID}])
        return activity

    def added_to_channel(self, who: str, channel: str) -> dict[str, Any]:
        """The conversationUpdate Teams posts when `who` adds panelbot to the team of `channel`."""
        activity = self.message(who, "", channel=channel)
        for key in ("text", "textFormat", "entities"):
            activity.pop(key, None)
        activity.update(type="conversationUpdate", membersAdded=[{"id": BOT_ACCOUNT_ID, "name": BOT_NAME}])
        activity["conversation"]["id"] = channel
        return activity

    # -- HTTP -------------------------------------------------------------------------------------------

    def post(self, activity: dict[str, Any] | bytes, headers: dict[str, str] | None = None, *,
             method: str = "POST", path: str = MESSAGES_PATH) -> tuple[int, Any]:
        """POST to panelbot as Teams does: signed for the activity unless `headers` are given."""
        if headers is None:
            assert isinstance(activity, dict)
            headers = self.standin.sign_activity(activity)
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
        finally:
            connection.close()

    @staticmethod
    def bot_activity(activity: dict[str, Any]) -> Any:
        """The activity as the bot gets it: parsed with the Teams SDK's models."""
        from microsoft_teams.api import ActivityTypeAdapter

        return ActivityTypeAdapter.validate_python(activity)

    def send(self, activity: dict[str, Any]) -> Any:
        """POST an activity that must be answered 200; returns the answer's JSON (None for a message)."""
        status, body = self.post(activity)
        assert status == 200, (status, body)
        return body

    # -- what panelbot did --------------------------------------------------------------------------------

    def chat(self, who: str) -> list[dict[str, Any]]:
        """The cards panelbot sent `who` in their personal chat, as they are now."""
        return [attachment["content"] for activity in self.standin.sent_to(self.users[who])
                for attachment in activity.get("attachments", [])]

    def channel_cards(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [attachment["content"] for activity in self.standin.posted_in(channel or self.forum_channel)
                for attachment in activity.get("attachments", [])]


def cards_in(body: Any) -> dict[str, Any]:
    """The card an invoke's answer carries: a card response's value, or a dialog's card."""
    if "task" in body:
        return body["task"]["value"]["card"]["content"]
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button on a card: its action bar and its ActionSets."""
    found = list(card.get("actions", []))
    stack = list(card.get("body", []))
    while stack:
        element = stack.pop(0)
        if element.get("type") == "ActionSet":
            found += element["actions"]
        stack += element.get("items", []) + element.get("columns", [])
    return found


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    found = [action for action in buttons(card) if action.get("title") == title]
    assert found, f"no button {title!r} on the card: {[a.get('title') for a in buttons(card)]}"
    return found[0]


def rows(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)


def counts(engine: Engine) -> tuple[int, int, int]:
    """Audit rows, outbox rows, Teams addresses: what a refused request must not change."""
    return rows(engine, Audit), rows(engine, Outbox), rows(engine, TeamsAddress)


@pytest.fixture
def policy(default_policy: Policy) -> Policy:
    return teams_policy(default_policy)


@pytest.fixture
def teams(engine: Engine, policy: Policy, clock: list[datetime]) -> Iterator[Teams]:
    standin = TeamsStandIn(clock=lambda: clock[0].timestamp()).start()
    server: WSGIServer | None = None
    try:
        users = {}
        for name, object_id in PEOPLE.items():
            user = standin.add_user(name)
            standin.users[user]["aadObjectId"] = object_id
            users[f"teams:{object_id}"] = user
        channel = standin.add_channel(FORUM_CHANNEL_NAME, list(users.values()))
        assert channel == forum_channel_id()
        services = Services(engine=engine, policy=policy, clock=lambda: clock[0], audit_key=TEST_AUDIT_KEY)
        gate = RateGate()
        connector = Connector(BotTokens(BOT_APP_ID, APP_SECRET, token_url=standin.token_url()), gate=gate, timeout=5)
        bot = TeamsBot(services, connector, AddressBook(services), later=Later("test", 1, 10_000, InlineExecutor()))
        services.notifier = bot.notifier
        auth = InboundAuth(BOT_APP_ID, metadata_url=standin.metadata_url, clock=lambda: clock[0].timestamp())
        server = make_server("127.0.0.1", 0, TeamsWsgi(bot, auth), handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        yield Teams(standin, bot, services, server.server_address[1], users, channel)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        standin.stop()


@pytest.fixture
def graph_standin() -> Iterator[GraphStandIn]:
    """Microsoft Graph's stand-in for the council's tenant, with nobody in it: a test adds the users and
    groups it needs."""
    standin = GraphStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def everyone_installed(teams: Teams) -> Teams:
    """Each person has panelbot in their personal scope, and it is in the forum channel's team."""
    for person in PEOPLE.values():
        teams.send(teams.installed(f"teams:{person}"))
    teams.send(teams.added_to_channel(ADMIN, teams.forum_channel))
    return teams


def test_the_harness_serves_the_bot_over_http_and_signs_as_teams_does(teams):
    status, body = teams.post(teams.message(PRIYA, "help"))
    assert (status, body) == (200, None)
    [reply] = teams.standin.sent_to(teams.users[PRIYA])
    assert reply["attachments"][0]["content"]["fallbackText"] == "panelbot: the commands you can type"


def test_the_policy_names_a_teams_channel_for_the_forum_and_teams_people_in_its_roles(policy):
    assert policy.bodies["forum"].channel == FORUM
    assert policy.members("team_managers") == (TOMAS,)
    assert all(policy.members(role) == (CHAIR,) for role in CHAIR_ROLES)


FORUM_CASE = {
    "reference": "1234567", "service": "adults", "request_type": "new_package", "proposed_weekly": "412",
    "ras_weekly": "298", "strengths_and_needs": "strengths", "outcomes": "outcomes", "alternatives": "alternatives",
    "evidence": ["occupational therapy"], "team_manager": TOMAS, "attendee": ANNA,
}


def seed_case(teams: Teams, key: str = "seed", **answers: Any) -> int:
    """A forum case stored as the case form would store it (no Teams involved), its messages delivered."""
    from bot.domain.submission import parse_submission
    from bot.services.cases import submit_case
    from bot.services.outbox import deliver_due

    submission = parse_submission({**FORUM_CASE, **answers}, policy=teams.services.policy, submitter=PRIYA)
    case_id = submit_case(teams.services, submission, key=f"test:{key}").case.id
    deliver_due(teams.services, teams.services.now())
    return case_id
