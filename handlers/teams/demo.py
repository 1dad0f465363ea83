"""`panelbot demo --teams`: the Teams counterpart of `panelbot demo` (handlers/slack/demo.py).

The real Teams bot is served over real HTTP (wsgiref, an ephemeral port) against the local Teams
stand-in (a Bot Connector and Entra stand-in), with real services and a throwaway SQLite database.
The activities Teams would post (an install, a message, a dialog, a button) are signed as Teams signs
them; what each person would see (dialogs, answers to buttons, their personal chat, the forum's
channel) is printed with the cards rendered as readable text. Demo output only: nothing here is logged.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.later import InlineExecutor, Later
from bot.notify import RateGate
from bot.policy import Policy, default_policy_path, load_policy
from bot.services import Services
from bot.worker import tick
from handlers.teams.addresses import AddressBook
from handlers.teams.auth import BotTokens, InboundAuth
from handlers.teams.bot import TeamsBot
from handlers.teams.connector import Connector
from handlers.teams.standin import APP_SECRET, BOT_ACCOUNT_ID, BOT_APP_ID, TeamsStandIn, _personal_id
from handlers.teams.wsgi import MESSAGES_PATH, TeamsWsgi
from messages.teams.ids import DecisionInput, SubmitInput
from messages.teams.render import render_card
from messages.teams.submit import evidence_key
from store import migrate
from store.db import make_engine

# The demo's fixed audit key (a real council's is PANELBOT_AUDIT_KEY, kept outside the database).
DEMO_AUDIT_KEY = "demo-audit-key-not-for-real-data-0123456789"
# The demo's clock: Tuesday 24 November 2026, 10:00 in London, so its dates read the same every run.
DEMO_NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
# Six weeks on: the morning the adults' first review of the approved package is due.
REVIEW_MORNING = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)

# The cast: their Entra object ids (so their panelbot addresses, teams:<id>) and who they are.
PEOPLE = {
    "Priya Shah": ("00000000-0000-0000-0000-000000000001", "social worker"),
    "Tomás Reyes": ("00000000-0000-0000-0000-000000000002", "team manager"),
    "Anna Marsh": ("00000000-0000-0000-0000-000000000003", "advanced practitioner, attends with Priya"),
    "Sam Okafor": ("00000000-0000-0000-0000-000000000004", "forum chair"),
    "Pat Admin": ("00000000-0000-0000-0000-000000000005", "panel admin"),
}
PRIYA, TOMAS, ANNA, CHAIR, ADMIN = (f"teams:{oid}" for oid, _ in PEOPLE.values())
FORUM_CHANNEL_NAME = "Enhanced Peer Forum"
# The SEND panel's agenda goes to a Teams channel too (in the shipped policy it is a Slack channel).
SEND_CHANNEL_NAME = "SEND Quality Assurance Panel"
CHAIR_ROLES = ("service_director_asc_operations", "strategic_manager_his", "strategic_manager_neighbourhoods")

REASON = "Community options were explored first; the overnight support is needed (free text)."


def _channel_id(name: str) -> str:
    """A channel's Teams id, as the stand-in names it."""
    return f"19:{hashlib.sha256(name.encode()).hexdigest()[:32]}@thread.tacv2"


def teams_policy(policy: Policy) -> Policy:
    """The shipped policy with the forum's case cards in a Teams channel and its roles held by Teams people."""
    forum = policy.bodies["forum"].model_copy(update={"channel": f"teams:{_channel_id(FORUM_CHANNEL_NAME)}"})
    send = policy.bodies["send_panel"].model_copy(update={"channel": f"teams:{_channel_id(SEND_CHANNEL_NAME)}"})
    roles = {**policy.roles, "team_managers": (TOMAS,), "panel_admins": (ADMIN,),
             **dict.fromkeys(CHAIR_ROLES, (CHAIR,))}
    bodies = {**policy.bodies, "forum": forum, "send_panel": send}
    return policy.model_copy(update={"bodies": bodies, "roles": roles})


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:  # no request lines in the demo's output
        pass


@dataclass
class TeamsConversation:
    """The real Teams bot over HTTP against the stand-in; each method posts what Teams would post and
    prints what people see."""

    out: IO[str]
    standin: TeamsStandIn
    bot: TeamsBot
    services: Services
    port: int
    users: dict[str, str]  # address -> the stand-in's "29:…" user id
    names: dict[str, str]  # address -> "Priya (social worker)"
    forum_channel: str
    clock: list[datetime]
    seen: int = field(default=0)

    # -- printing ------------------------------------------------------------------------------------

    def say(self, line: str = "") -> None:
        for address, name in self.names.items():  # an address as Teams shows the person: @Name
            line = line.replace(address, "@" + name.split(" ")[0])
        self.out.write(line + "\n")

    def step(self, title: str) -> None:
        self.say()
        self.say(f"── {title} " + "─" * max(0, 66 - len(title)))

    def show_card(self, card: dict[str, Any], indent: str = "    │ ") -> None:
        for line in render_card(card):
            self.say(f"{indent}{line}")

    def _where(self, conversation: str) -> str:
        for address, user in self.users.items():
            if conversation == _personal_id(user):
                return f"{self.names[address]} sees (in their personal chat with panelbot)"
        if conversation.startswith(self.forum_channel + ";"):
            return f"the {FORUM_CHANNEL_NAME} channel sees (a reply in the case's thread)"
        if conversation == self.forum_channel:
            return f"the {FORUM_CHANNEL_NAME} channel sees (a new post)"
        if conversation.split(";")[0] == _channel_id(SEND_CHANNEL_NAME):
            return f"the {SEND_CHANNEL_NAME} channel sees (a new post)"
        return f"{conversation} sees"

    def show_effects(self, *, quiet: bool = False, brief_except: str | None = None) -> None:
        """What panelbot sent through the Bot Connector since the last look: messages, replies, updates.
        With `brief_except`, only what went to that person is shown whole; the rest by its first line."""
        calls = self.standin.calls[self.seen:]
        self.seen = len(self.standin.calls)
        if quiet:
            return
        for index, call in enumerate(calls):
            if call.operation not in ("send", "reply", "update") or not isinstance(call.body, dict):
                continue
            if any((later.operation, later.path, later.body) == (call.operation, call.path, call.body)
                   for later in calls[index + 1:]):
                continue  # refused (an expired token) and sent again: Teams kept only the second
            if call.body.get("type") != "message":
                continue  # a typing indicator
            conversation = call.path.split("/conversations/", 1)[1].split("/", 1)[0]
            conversation = conversation.replace("%3B", ";").replace("%3A", ":").replace("%40", "@")
            where = self._where(conversation)
            if call.operation == "update":
                where = where.replace("(a new post)", "(the case card, updated in place)")
                where = where.replace("(a reply in the case's thread)", "(the case card, updated in place)")
            self.say(f"  {where}:")
            if call.body.get("text"):
                self.say(f"    │ {call.body['text']}")
            for attachment in call.body.get("attachments", []):
                card = attachment.get("content", {})
                if brief_except is None or conversation == _personal_id(self.users[brief_except]):
                    self.show_card(card)
                else:
                    lines = render_card(card)
                    self.say(f"    │ {lines[0] if lines else ''}  (… {max(0, len(lines) - 1)} more lines)")

    def show_answer(self, who: str, body: Any) -> None:
        """The answer to an invoke: a dialog, a card that replaces the one pressed, or a sentence."""
        if not body:
            return
        if "task" in body:
            task = body["task"]
            if task.get("type") == "continue":
                self.say(f"  {self.names[who]} sees (a dialog, only they see it):")
                self.show_card(task["value"]["card"]["content"])
            else:
                self.say(f"  {self.names[who]} sees (only they see it):")
                self.say(f"    │ {task.get('value')}")
        elif body.get("type") == "application/vnd.microsoft.card.adaptive":
            self.say(f"  {self.names[who]} sees (the card they pressed, refreshed for them):")
            self.show_card(body["value"])
        elif "value" in body:
            self.say(f"  {self.names[who]} sees (only they see it):")
            self.say(f"    │ {body['value']}")

    # -- what Teams posts -------------------------------------------------------------------------------

    def _message(self, who: str, text: str, *, channel: str | None = None) -> dict[str, Any]:
        return self.standin.message_from(self.users[who], text, channel=channel)

    def _invoke(self, who: str, name: str, value: dict[str, Any], *, channel: str | None = None) -> dict[str, Any]:
        activity = self._message(who, "", channel=channel)
        for key in ("text", "textFormat"):
            activity.pop(key, None)
        activity.update(type="invoke", name=name, value=value)
        return activity

    def post(self, activity: dict[str, Any]) -> Any:
        """POST the activity to panelbot's /api/messages, signed as Teams signs it."""
        headers = self.standin.sign_activity(activity)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request("POST", MESSAGES_PATH, body=json.dumps(activity).encode(), headers=headers)
            answer = connection.getresponse()
            raw = answer.read()
        finally:
            connection.close()
        if answer.status != 200:
            raise RuntimeError(f"panelbot answered HTTP {answer.status}")
        return json.loads(raw) if raw else None

    def install(self, who: str, *, quiet: bool = False) -> None:
        activity = self._message(who, "")
        for key in ("text", "textFormat"):
            activity.pop(key, None)
        activity.update(type="conversationUpdate", membersAdded=[{"id": BOT_ACCOUNT_ID}])
        if not quiet:
            self.say(f"{self.names[who]} adds panelbot in Teams (Apps → panelbot → Add)")
        self.post(activity)
        self.show_effects(quiet=quiet)

    def add_to_channel(self, who: str, channel: str) -> None:
        activity = self._message(who, "", channel=channel)
        for key in ("text", "textFormat", "entities"):
            activity.pop(key, None)
        activity.update(type="conversationUpdate", membersAdded=[{"id": BOT_ACCOUNT_ID}])
        activity["conversation"]["id"] = channel
        self.post(activity)
        self.show_effects(quiet=True)

    def type(self, who: str, text: str) -> None:
        self.say(f"{self.names[who]} types “{text}” in their chat with panelbot")
        self.post(self._message(who, text))
        self.show_effects()

    def press(self, who: str, button: dict[str, Any], inputs: dict[str, Any] | None = None, *,
              channel: str | None = None, doing: str = "") -> Any:
        """An Action.Execute pressed: its verb, and its data merged with the card's inputs."""
        self.say(f"{self.names[who]} {doing or 'presses “' + str(button.get('title')) + '”'}")
        value = {"action": {"type": "Action.Execute", "verb": button["verb"],
                            "data": {**button.get("data", {}), **(inputs or {})}}, "trigger": "manual"}
        body = self.post(self._invoke(who, "adaptiveCard/action", value, channel=channel))
        self.show_answer(who, body)
        self.show_effects()
        return body

    def open_dialog(self, who: str, button: dict[str, Any]) -> dict[str, Any]:
        self.say(f"{self.names[who]} presses “{button.get('title')}”")
        body = self.post(self._invoke(who, "task/fetch", {"data": button["data"], "context": {"theme": "default"}}))
        self.show_answer(who, body)
        self.show_effects()
        return dict(body["task"]["value"]["card"]["content"])

    def submit_dialog(self, who: str, button: dict[str, Any], inputs: dict[str, Any], doing: str, *,
                      errors_only: bool = False) -> dict[str, Any]:
        self.say(f"{self.names[who]} {doing}")
        value = {"data": {**button.get("data", {}), **inputs}, "context": {"theme": "default"}}
        body = self.post(self._invoke(who, "task/submit", value))
        card: dict[str, Any] = body["task"]["value"]["card"]["content"] if "task" in body else {}
        if errors_only and card:
            self.say("  the dialog stays open, with what was typed, and shows:")
            for line in render_card(card):
                if "⚠" in line or "Please put right" in line:
                    self.say(f"    │ {line.strip()}")
        else:
            self.show_answer(who, body)
        self.show_effects()
        return card

    # -- what panelbot did ---------------------------------------------------------------------------------

    def chat(self, who: str) -> list[dict[str, Any]]:
        """The cards in `who`'s personal chat with panelbot, as they are now."""
        return [attachment["content"] for activity in self.standin.sent_to(self.users[who])
                for attachment in activity.get("attachments", [])]

    def channel_card(self) -> dict[str, Any]:
        """The forum channel's case card as it is now (not the replies in its thread)."""
        posts = [a for a in self.standin.posted_in(self.forum_channel) if "replyToId" not in a]
        return dict(posts[-1]["attachments"][0]["content"])

    def tick(self, at: datetime, *, brief_except: str | None = None) -> None:
        """Move the demo's clock to `at` and run one worker tick (`panelbot worker` runs one a minute)."""
        self.clock[0] = at
        self.say(f"The worker ticks at {at.astimezone(self.services.calendar.tz):%A %d %B %Y %H:%M} (London)")
        tick(self.services, at)
        self.show_effects(brief_except=brief_except)


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
    return next(action for action in buttons(card) if action.get("title") == title)


@contextmanager
def open_teams_conversation(out: IO[str], workdir: Path) -> Iterator[TeamsConversation]:
    """The Teams stand-in, its people and the forum's channel; the bot served by wsgiref in a thread."""
    clock = [DEMO_NOW]
    standin = TeamsStandIn(clock=lambda: clock[0].timestamp()).start()
    server: WSGIServer | None = None
    engine = make_engine(f"sqlite:///{workdir / 'teams-demo.db'}")
    try:
        migrate.upgrade(engine)
        users, names = {}, {}
        for name, (object_id, role) in PEOPLE.items():
            user = standin.add_user(name)
            standin.users[user]["aadObjectId"] = object_id
            users[f"teams:{object_id}"] = user
            names[f"teams:{object_id}"] = f"{name.split()[0]} ({role.split(',')[0]})"
        channel = standin.add_channel(FORUM_CHANNEL_NAME, list(users.values()))
        standin.add_channel(SEND_CHANNEL_NAME, list(users.values()))
        policy = teams_policy(load_policy(default_policy_path()))
        services = Services(engine=engine, policy=policy, clock=lambda: clock[0], audit_key=DEMO_AUDIT_KEY)
        connector = Connector(BotTokens(BOT_APP_ID, APP_SECRET, token_url=standin.token_url()), gate=RateGate(),
                              timeout=30)  # generous: a demo on a busy machine must not time out
        bot = TeamsBot(services, connector, AddressBook(services), later=Later("demo", 1, 10_000, InlineExecutor()))
        services.notifier = bot.notifier
        auth = InboundAuth(BOT_APP_ID, metadata_url=standin.metadata_url, clock=lambda: clock[0].timestamp())
        server = make_server("127.0.0.1", 0, TeamsWsgi(bot, auth), handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        yield TeamsConversation(out, standin, bot, services, server.server_address[1], users, names, channel, clock)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        standin.stop()
        engine.dispose()


def case_answers(talk: TeamsConversation) -> dict[str, str]:
    """What Priya types into the case form (the person is never named: only the reference)."""
    return {
        SubmitInput.REFERENCE: "1234567", SubmitInput.SERVICE: "adults", SubmitInput.REQUEST_TYPE: "new_package",
        SubmitInput.PROPOSED_WEEKLY: "412", SubmitInput.RAS_WEEKLY: "298", SubmitInput.CURRENT_WEEKLY: "",
        SubmitInput.RESPITE_WEEKS: "", SubmitInput.URGENT: "", SubmitInput.URGENT_REASON: "",
        SubmitInput.STRENGTHS_AND_NEEDS: "Strengths, eligible needs and work so far (free text).",
        SubmitInput.OUTCOMES: "Desired outcomes (free text).",
        SubmitInput.ALTERNATIVES: "Community agents and OT consulted (free text).", SubmitInput.RECORD_LINK: "",
        SubmitInput.EVIDENCE: evidence_key("occupational therapy"), SubmitInput.TEAM_MANAGER: TOMAS,
        # No people picker in a card: the attendee's work e-mail, looked up in Teams.
        SubmitInput.ATTENDEE: str(talk.standin.users[talk.users[ANNA]]["email"]),
    }


def run_teams_demo(out: IO[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="panelbot-teams-demo-") as tmp, \
            open_teams_conversation(out, Path(tmp)) as talk:
        out.write("panelbot demo --teams: the real Teams bot over HTTP, activities signed as Teams signs them,\n"
                  "a local stand-in for the Bot Connector, a throwaway database. Cards are shown as text.\n")

        talk.step("1. Priya installs panelbot and asks for help")
        talk.install(PRIYA)
        talk.type(PRIYA, "help")
        for person in (TOMAS, ANNA, CHAIR, ADMIN):
            talk.install(person, quiet=True)
        talk.add_to_channel(ADMIN, talk.forum_channel)
        talk.add_to_channel(ADMIN, _channel_id(SEND_CHANNEL_NAME))
        talk.say(f"(Tomás, Anna, Sam and Pat have added panelbot too, and Pat has added it to the teams of the "
                 f"{FORUM_CHANNEL_NAME} and {SEND_CHANNEL_NAME} channels)")

        talk.step("2. Submitting a case: the form opens in a dialog")
        talk.type(PRIYA, "submit")
        form = talk.open_dialog(PRIYA, button(talk.chat(PRIYA)[-1], "Open the case form"))
        talk.step("A mistake in the form is refused inline; nothing is saved")
        mistaken = {**case_answers(talk), SubmitInput.PROPOSED_WEEKLY: "£4x2", SubmitInput.OUTCOMES: ""}
        refused = talk.submit_dialog(PRIYA, button(form, "Submit"), mistaken, "types “£4x2” as the proposed weekly "
                                     "cost, leaves the outcomes empty, and presses Submit", errors_only=True)
        talk.step("Put right: the case card appears in the forum's channel (reference and amounts only)")
        talk.submit_dialog(PRIYA, button(refused, "Submit"), case_answers(talk),
                           "puts the cost right (412), fills in the outcomes, and presses Submit")

        talk.step("3. Priya books a forum slot from her receipt")
        booking = talk.press(PRIYA, button(talk.chat(PRIYA)[-1], "Book a forum slot"))
        slot = next(block for block in booking["value"]["body"] if block.get("id") == "slot")["value"]
        talk.press(PRIYA, button(booking["value"], "Book"), {"slot": slot},
                   doing="keeps the earliest slot offered and presses “Book”")

        talk.step("4. The chair approves on the channel card; it changes in place for everyone")
        approve = button(talk.channel_card(), "Approve")
        decision_form = talk.press(CHAIR, approve, channel=talk.forum_channel,
                                   doing=f"presses “Approve” on the case card in the {FORUM_CHANNEL_NAME} channel")
        record = button(decision_form["value"], "Record decision")
        talk.press(CHAIR, record, {DecisionInput.REASON: REASON}, channel=talk.forum_channel,
                   doing=f"writes the reason (“{REASON}”) and presses “Record decision”")
        talk.say(f"  the {FORUM_CHANNEL_NAME} channel's case card now reads:")
        talk.show_card(talk.channel_card())
        in_channel = json.dumps(talk.standin.posted_in(talk.forum_channel))
        in_chat = any(REASON in json.dumps(card) for card in talk.chat(PRIYA))
        talk.say(f"(the reason is in Priya's and Anna's personal chats: {'yes' if in_chat else 'no'}; "
                 f"anywhere in the channel: {'yes' if REASON in in_channel else 'no'} — the channel never sees it)")
        talk.step("A second press (a double click) writes nothing and says who decided")
        talk.press(CHAIR, record, {DecisionInput.REASON: "again"}, channel=talk.forum_channel,
                   doing="presses “Record decision” again")

        talk.step("5. Six weeks on: the first review's reminder, with Done and Snooze")
        talk.say("(the worker also posts the day's agendas: shown here by their first lines)")
        talk.tick(REVIEW_MORNING, brief_except=PRIYA)
        talk.press(PRIYA, button(talk.chat(PRIYA)[-1], "Done"), doing="presses “Done” on the reminder")
