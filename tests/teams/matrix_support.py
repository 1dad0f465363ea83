"""What the Teams matrices share (test_matrix_authorisation, test_matrix_exactly_once, test_matrix_privacy):
one database, one Teams stand-in and one Teams bot served over real HTTP per module, and a policy whose
every role is held by a Teams person of its own, derived from the policy's [roles] so that the matrices
grow with it.

Who is who (`Cast`): the worker who submits, the advanced practitioner attending with them, the team
manager named on the case form (also in the team_managers role), one holder for each role of the
policy ("holder of <role>"), a stranger in the council's tenant and someone from another tenant. Each
deciding body's channel is a Teams channel (every person of the tenant in its team), so every card
goes to Teams. Every package agreed by a person (delegated and urgent decisions) is drawn for a spot
check (percent = 100), so the spot checks have something to check.

The HTTP server threads (ThreadingMixIn), so presses sent at once reach the bot at once, as Teams'
retries and two people's clicks do. Deliveries run inline on the request thread (`InlineExecutor`), so
what a press owes is in the stand-in when its answer comes back.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import unquote
from wsgiref.simple_server import WSGIServer, make_server

import pytest
from sqlalchemy import Engine, func, select, text

from bot.domain.decisions import Outcome, read_decision
from bot.domain.reminders import ReminderKind
from bot.domain.submission import parse_submission
from bot.later import InlineExecutor, Later
from bot.notify import RateGate
from bot.policy import Policy, default_policy_path, load_policy
from bot.services import Services
from bot.services.bodies import chair_for
from bot.services.booking import book_slot, booking_choice
from bot.services.cases import case_by_id, submit_case
from bot.services.decisions import decide
from bot.services.outbox import deliver_due
from bot.services.reminders import remind
from handlers.teams.addresses import AddressBook
from handlers.teams.auth import BotTokens, InboundAuth
from handlers.teams.bot import TeamsBot
from handlers.teams.connector import Connector
from handlers.teams.dialogs import FORM_KEY, VERB_KEY
from handlers.teams.standin import APP_SECRET, BOT_APP_ID, TeamsStandIn, _personal_id
from handlers.teams.wsgi import TeamsWsgi
from messages.teams.ids import DecisionInput, SubmitInput, Verb
from messages.teams.render import render_text
from messages.teams.submit import evidence_key
from store.audit import GENESIS
from store.db import make_engine
from store.grants import grant_app_role
from store.models import Audit, AuditChain, Base, Outbox, Reminder, SpotCheck
from tests.conftest import (
    PINNED_NOW,
    TEST_AUDIT_KEY,
    TEST_DATABASE_MIGRATION_URL,
    TEST_DATABASE_URL,
    _normalise,
    app_role,
)
from tests.teams.test_bot_harness import Teams, _Quiet, cards_in

SHM = "/dev/shm"  # noqa: S108 (a tmpfs for the module's SQLite file, removed after it)
OTHER_TENANT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"  # another organisation's Microsoft 365 tenant


def _oid(label: str) -> str:
    """A stable Entra object id for a person of the matrices."""
    h = hashlib.sha256(label.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def address(label: str) -> str:
    return f"teams:{_oid(label)}"


WORKER, ATTENDEE, CASE_TM = address("worker"), address("attendee"), address("case team manager")
STRANGER, OUTSIDER = address("stranger in the tenant"), address("someone from another tenant")


def holder(role: str) -> str:
    """The Teams person who holds `role` (and only it) in the matrices' policy."""
    return address(f"holder of {role}")


CHANNEL_NAMES: dict[str, str] = {}  # a body's Teams channel id -> the channel's name in the stand-in


def teams_channel(slack_channel: str) -> str:
    """The Teams channel id the stand-in gives the channel named after a body's Slack channel."""
    name = f"panelbot {slack_channel}"
    channel = f"19:{hashlib.sha256(name.encode()).hexdigest()[:32]}@thread.tacv2"
    CHANNEL_NAMES[channel] = name
    return channel


def matrix_policy(policy: Policy) -> Policy:
    """The shipped policy with every role held by a Teams person of its own (the case's team manager is
    in team_managers too), every body's cards in a Teams channel, and every delegated decision drawn
    for a spot check. model_copy: the policy's schema is not changed for a test."""
    roles = {role: (holder(role),) for role in policy.roles}
    roles[policy.case_form.team_manager_role] = (CASE_TM, holder(policy.case_form.team_manager_role))
    bodies = {key: body.model_copy(update={"channel": "teams:" + teams_channel(body.channel)})
              for key, body in policy.bodies.items()}
    spot_checks = policy.spot_checks.model_copy(update={"percent": Decimal(100)})
    return policy.model_copy(update={"roles": roles, "bodies": bodies, "spot_checks": spot_checks})


# The policy the `matrix` fixture's bot runs with (it shapes `default_policy`, the same file, alike), for
# the matrix modules to read their cast and columns from at import.
POLICY = matrix_policy(load_policy(default_policy_path()))


@dataclass(frozen=True)
class Cast:
    """Everyone the matrices press buttons as: label -> address, in a stable order."""

    people: dict[str, str]

    @classmethod
    def of(cls, policy: Policy) -> Cast:
        people = {"worker": WORKER, "attendee": ATTENDEE, "case team manager": CASE_TM}
        people.update({f"holder of {role}": holder(role) for role in policy.roles})
        people.update({"stranger in the tenant": STRANGER, "someone from another tenant": OUTSIDER})
        return cls(people)

    def label(self, who: str) -> str:
        return next(label for label, person in self.people.items() if person == who)

    def roles_of(self, who: str, policy: Policy) -> set[str]:
        return {role for role, members in policy.roles.items() if who in members}


# -- one database per module --------------------------------------------------------------------------


@contextmanager
def module_database(template: str, folder: Path) -> Iterator[Engine]:
    """A fresh, migrated, empty database for a module: the SQLite template copied, or the PostgreSQL test
    database emptied (as tests/conftest.py's `database_url` does for one test)."""
    if TEST_DATABASE_URL:
        owner = make_engine(_normalise(TEST_DATABASE_MIGRATION_URL))
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with owner.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            connection.execute(AuditChain.__table__.insert().values(id=1, last_id=0, last_hash=GENESIS))
            if app_role():
                grant_app_role(connection, app_role())
        owner.dispose()
        url = template
    else:
        # In memory where the machine has it: each commit's fsync on a disk costs milliseconds, and a
        # module makes thousands of them.
        folder = Path(tempfile.mkdtemp(prefix="panelbot-matrix-", dir=SHM)) if os.path.isdir(SHM) else folder
        path = folder / "panelbot.db"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        if not TEST_DATABASE_URL and str(folder).startswith(SHM):
            shutil.rmtree(folder, ignore_errors=True)


def everything_stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: a refused request must leave all of it as it was."""
    with engine.connect() as connection:
        return {table.name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
                for table in Base.metadata.sorted_tables}


def changed_tables(before: Mapping[str, list[Any]], after: Mapping[str, list[Any]]) -> dict[str, int]:
    """table -> how many of its rows were added, removed or changed, for the tables that differ."""
    found = {}
    for name, rows in after.items():
        old = before.get(name, [])
        if rows != old:
            found[name] = max(len(set(rows) - set(old)), len(set(old) - set(rows)))
    return found


def audit_actions(engine: Engine, after_id: int = 0) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(select(Audit.action).where(Audit.id > after_id).order_by(Audit.id)))


def outbox_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Outbox)) or 0)


def last_audit_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(Audit.id).order_by(Audit.id.desc()).limit(1)) or 0)


# -- the bot served over HTTP ---------------------------------------------------------------------------


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@dataclass
class MatrixTeams(Teams):
    """The harness's Teams, with people from another tenant and Teams' answers read as sentences."""

    outsiders: frozenset[str] = frozenset()
    clock: list[datetime] = field(default_factory=list)
    cast: Cast = field(default_factory=lambda: Cast({}))
    shared: dict[str, Any] = field(default_factory=dict)  # what a module's tests share (cases made once)

    def message(self, who: str, text: str, *, channel: str | None = None) -> dict[str, Any]:
        activity = super().message(who, text, channel=channel)
        if who in self.outsiders:  # written in their own organisation's tenant
            activity["conversation"]["tenantId"] = OTHER_TENANT
            activity["channelData"]["tenant"]["id"] = OTHER_TENANT
        return activity

    # -- pressing, with panelbot's own verbs and data (a forged press is exactly this) ----------------

    def execute(self, who: str, verb: str, data: Mapping[str, Any], *, channel: str | None = None) -> Any:
        """An Action.Execute press of `verb` with `data` (the button's data and the card's inputs)."""
        button = {"type": "Action.Execute", "verb": verb, "data": dict(data)}
        return self.send(self.press(who, button, channel=channel))

    def reacted(self, who: str) -> dict[str, Any]:
        """The messageReaction Teams posts when `who` reacts to a message in their chat with panelbot:
        panelbot answers nothing, and keeps where the person is (as it does from any activity). Cheaper
        than an install, whose welcome card reads the person's whole home."""
        activity = self.message(who, "")
        for key in ("text", "textFormat"):
            activity.pop(key, None)
        activity.update(type="messageReaction", reactionsAdded=[{"type": "like"}], replyToId=activity["id"])
        return activity

    def say(self, who: str, text: str) -> list[str]:
        """`who` types a command in their chat with panelbot; what panelbot answered there, as text."""
        before = len(self.standin.sent_to(self.users[who]))
        self.send(self.message(who, text))
        return [answer_text(activity) for activity in self.standin.sent_to(self.users[who])[before:]]

    # -- what is in Teams ---------------------------------------------------------------------------

    def conversations(self) -> dict[str, str]:
        """Every conversation the matrices look in: label -> Teams conversation id."""
        found = {self.cast.label(person): _personal_id(user) for person, user in self.users.items()}
        found.update({f"channel {channel}": channel for channel in self.standin.channels})
        return found

    def held(self) -> dict[str, list[dict[str, Any]]]:
        """What each conversation holds now from panelbot: label -> activities (channels: all threads)."""
        bot = "28:" + BOT_APP_ID
        return {label: [a for a in self.standin.activities_in(conversation) if a["from"]["id"] == bot]
                for label, conversation in self.conversations().items()}

    def outbound_since(self, calls: int) -> list[tuple[str, str]]:
        """(operation, conversation) of each call panelbot made to send, reply, update, delete or open a
        chat since the stand-in had recorded `calls` calls (token and key fetches left out)."""
        found = []
        for call in self.standin.calls[calls:]:
            if call.operation in ("create", "send", "reply", "update", "delete"):
                parts = call.path.split("/conversations/", 1)
                found.append((call.operation, unquote(parts[1].split("/", 1)[0]) if len(parts) == 2 else ""))
        return found

    def chat_of(self, who: str) -> str:
        """The conversation id of `who`'s chat with panelbot."""
        return _personal_id(self.users[who])

    def held_counts(self) -> dict[str, int]:
        return {label: len(activities) for label, activities in self.held().items()}

    def new_since(self, counts: Mapping[str, int]) -> dict[str, list[dict[str, Any]]]:
        """The activities panelbot added to each conversation since `counts` (held_counts) was read."""
        return {label: activities[counts.get(label, 0):] for label, activities in self.held().items()
                if len(activities) > counts.get(label, 0)}


def answer_text(body: Any) -> str:
    """What a person reads of an answer: a sentence, a card (rendered), or a message activity."""
    if body is None:
        return ""
    if isinstance(body, dict) and body.get("type") == "message":  # an activity panelbot sent
        parts = [str(body.get("text") or "")]
        parts += [render_text(a["content"]) for a in body.get("attachments", []) if "content" in a]
        return "\n".join(part for part in parts if part)
    if isinstance(body, dict) and "task" in body:
        task = body["task"]
        return str(task["value"]) if task["type"] == "message" else render_text(cards_in(body))
    if isinstance(body, dict) and isinstance(body.get("value"), str):
        return body["value"]
    return render_text(cards_in(body))


@contextmanager
def served(engine: Engine, policy: Policy, clock: list[datetime]) -> Iterator[MatrixTeams]:
    """The stand-in, the bot over threaded HTTP, every person of the cast in the tenant (or another one)
    with panelbot installed, and panelbot added to every body's channel."""
    standin = TeamsStandIn(clock=lambda: clock[0].timestamp()).start()
    server: WSGIServer | None = None
    try:
        cast = Cast.of(policy)
        users = {}
        for label, person in cast.people.items():
            user = standin.add_user(label)
            standin.users[user]["aadObjectId"] = person.removeprefix("teams:")
            if person == OUTSIDER:
                standin.users[user]["tenantId"] = OTHER_TENANT
            users[person] = user
        members = [user for person, user in users.items() if person != OUTSIDER]
        for channel in dict.fromkeys(body.channel.removeprefix("teams:") for body in policy.bodies.values()):
            assert standin.add_channel(CHANNEL_NAMES[channel], members) == channel
        services = Services(engine=engine, policy=policy, clock=lambda: clock[0], audit_key=TEST_AUDIT_KEY)
        gate = RateGate(clock=lambda: clock[0].timestamp())  # a 429's Retry-After passes as the test's clock does
        tokens = BotTokens(BOT_APP_ID, APP_SECRET, token_url=standin.token_url(), clock=lambda: clock[0].timestamp())
        connector = Connector(tokens, gate=gate, timeout=5)  # tokens age as the stand-in's do: on the test's clock
        bot = TeamsBot(services, connector, AddressBook(services), later=Later("test", 1, 10_000, InlineExecutor()))
        services.notifier = bot.notifier
        auth = InboundAuth(BOT_APP_ID, metadata_url=standin.metadata_url, clock=lambda: clock[0].timestamp())
        server = make_server("127.0.0.1", 0, TeamsWsgi(bot, auth), server_class=_ThreadingServer,
                             handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        teams = MatrixTeams(standin, bot, services, server.server_address[1], users, "",
                            outsiders=frozenset({OUTSIDER}), clock=clock, cast=cast)
        for person in cast.people.values():  # panelbot learns where each person is from what they send it
            teams.send(teams.reacted(person))
        for channel in standin.channels:
            teams.send(teams.added_to_channel(WORKER, channel))
        yield teams
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        standin.stop()


# -- cases, as the case form would store them -----------------------------------------------------------

_references = itertools.count(1_000_001)


def new_reference() -> str:
    return str(next(_references))


FORUM = {"service": "adults", "request_type": "new_package", "proposed_weekly": "412", "ras_weekly": "298",
         "strengths_and_needs": "strengths", "outcomes": "outcomes", "alternatives": "alternatives",
         "evidence": ["occupational therapy"], "team_manager": CASE_TM, "attendee": ATTENDEE}
DELEGATED = {**FORUM, "proposed_weekly": "280", "ras_weekly": "300"}
URGENT = {**FORUM, "proposed_weekly": "500", "ras_weekly": "450", "urgent": ["urgent"],
          "urgent_reason": "it cannot wait"}
SEND = {**FORUM, "service": "children_send", "request_type": "direct_payment", "proposed_weekly": "310",
        "ras_weekly": "300", "hours_per_month": "45"}
SEND_URGENT_INCREASE = {**SEND, "request_type": "increase", "current_weekly": "240", "proposed_weekly": "280",
                        "urgent": ["urgent"], "urgent_reason": "it cannot wait"}

def submit(teams: Teams, answers: Mapping[str, Any], *, reference: str | None = None) -> int:
    """A case stored as the case form would store it, submitted by the worker; its messages delivered."""
    services = teams.services
    reference = reference or new_reference()
    submission = parse_submission({**answers, "reference": reference}, policy=services.policy, submitter=WORKER)
    case_id = submit_case(services, submission, key=f"matrix:{reference}").case.id
    deliver_due(services, services.now())
    return case_id


def book(teams: Teams, case_id: int, *, on: date | None = None, nth: int = 0) -> tuple[datetime, str]:
    """Book the case's `nth` free forum slot (on `on`, if given) as the worker. Returns the slot's start
    and who chairs that day."""
    services = teams.services
    choice = booking_choice(services, WORKER, case_id=case_id)
    slots = [slot for day in choice.days if on is None or day.day == on for slot in day.slots]
    starts_at = slots[nth].starts_at
    book_slot(services, case_id, starts_at, WORKER)
    deliver_due(services, services.now())
    return starts_at, chair_on(services, services.calendar.local_date(starts_at))


def chair_on(services: Services, day: date) -> str:
    role, _ = chair_for(services, services.policy.bodies["forum"], day)
    assert role is not None, day
    return holder(role)


def at_once(count: int, send: Callable[[int], Any]) -> list[Any]:
    """`send(0)`, …, `send(count - 1)` from `count` threads released together."""
    start = threading.Barrier(count)

    def one(n: int) -> Any:
        start.wait(timeout=10)
        return send(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))



def form_inputs(answers: Mapping[str, Any]) -> dict[str, str]:
    """A case's answers (as FORUM above) as the Teams case form's inputs carry them."""
    inputs = {}
    for key, value in answers.items():
        if key == SubmitInput.EVIDENCE:
            inputs[key] = ",".join(evidence_key(item) for item in value)
        elif isinstance(value, list):
            inputs[key] = ",".join(value)
        else:
            inputs[key] = str(value)
    return inputs


def case_form_submit(teams: Teams, who: str, answers: Mapping[str, Any], form_key: str) -> dict[str, Any]:
    """The case form's Submit pressed in its dialog (task/submit), filled in with `answers`."""
    button = {"type": "Action.Submit", "data": {VERB_KEY: Verb.SUBMIT_CASE.value, FORM_KEY: form_key}}
    return teams.dialog_submit(who, button, form_inputs(answers))


# -- cases in the state an action needs --------------------------------------------------------------------

TYPED = "typed by the worker for this case"  # the cases' free text: only the people on a case read it


@dataclass
class Target:
    """A case in the state an action needs, and what a press about it carries."""

    case_id: int
    reference: str
    round: int = 1
    slot: str | None = None  # a free forum slot the case could be booked into (ISO)
    reminder: int | None = None
    spot_check: int | None = None
    decider: str | None = None  # a forum case: who chairs the day it is booked for


def decision_answers(outcome: Outcome, weekly: str, **typed: str) -> dict[str, str]:
    """The decision form filled in as the outcome needs it (an amended amount within the body's reach);
    `typed` replaces or adds answers."""
    answers = {DecisionInput.REASON.value: "the reason given"}
    if outcome is Outcome.APPROVED_WITH_CHANGES:
        answers |= {DecisionInput.AMENDED_WEEKLY.value: str(int(weekly) - 5), DecisionInput.CONDITIONS.value: "review"}
    if outcome is Outcome.DEFERRED:
        answers[DecisionInput.INFO_NEEDED.value] = "an OT assessment"
    return answers | typed


def target_of(teams: Teams, case_id: int) -> Target:
    case = case_by_id(teams.services, case_id, WORKER).case
    return Target(case_id, case.reference, case.round)


def decided(teams: Teams, answers: Mapping[str, Any], by: str, outcome: Outcome = Outcome.APPROVED) -> int:
    """A case submitted and decided (as `by`), its messages delivered."""
    services = teams.services
    case_id = submit(teams, {**answers, "strengths_and_needs": TYPED})
    decide(services, case_id, 1, read_decision(outcome, decision_answers(outcome, answers["proposed_weekly"])), by)
    deliver_due(services, services.now())
    return case_id


def free_slot(teams: Teams, case_id: int, day: date | None = None) -> str:
    """The start of the first slot the booking form offers the case (on `day`, if given)."""
    choice = booking_choice(teams.services, WORKER, case_id=case_id)
    return next(slot.starts_at.isoformat() for d in choice.days if day in (None, d.day) for slot in d.slots)


def forum_booked(teams: Teams, day: date | None = None) -> Target:
    """A forum case booked into the first free slot (on `day`, if given); `slot` another one it could take."""
    case_id = submit(teams, {**FORUM, "strengths_and_needs": TYPED})
    _, chair = book(teams, case_id, on=day)
    target = target_of(teams, case_id)
    target.slot, target.decider = free_slot(teams, case_id), chair
    return target


def forum_unbooked(teams: Teams) -> Target:
    target = target_of(teams, submit(teams, {**FORUM, "strengths_and_needs": TYPED}))
    target.slot = free_slot(teams, target.case_id)
    return target


def agreed(teams: Teams, by: str | None = None) -> Target:
    """A delegated case signed off by a team manager (so reviewable, and drawn for a spot check), with a
    reminder due to its worker."""
    services = teams.services
    target = target_of(teams, decided(teams, DELEGATED, by or holder(services.policy.case_form.team_manager_role)))
    target.reminder = new_reminder(teams, target.case_id)
    with services.sessions() as session:
        target.spot_check = session.scalars(select(SpotCheck.id).where(SpotCheck.case_id == target.case_id)).one()
    return target


def new_reminder(teams: Teams, case_id: int, person: str = WORKER) -> int:
    """A reminder of its own (a review due now) to `person` about the case; its id."""
    services = teams.services
    now = services.now()
    with services.sessions.begin() as session:
        about = int(session.scalar(select(func.count(Reminder.id))) or 0) + 1000
        remind(session, kind=ReminderKind.REVIEW_DUE, case_id=case_id, person=person, due_at=now,
               why="Review due", now=now, about_id=about)
    with services.sessions() as session:
        return int(session.scalar(select(func.max(Reminder.id))) or 0)


def card_channel(teams: MatrixTeams, who: str, case_id: int) -> str | None:
    """Where `who` presses a case card's buttons: in its body's channel, where the card is; someone
    outside the council's teams in their own chat (a card forwarded to them, or a forged press)."""
    if who in teams.outsiders:
        return None
    route = case_by_id(teams.services, case_id, WORKER).case.route
    return teams.services.policy.bodies[route].channel.removeprefix("teams:")


# -- the fixtures (a module imports them by name, as tests/teams/test_bot_harness.py's are) ---------------


@pytest.fixture(scope="module")
def matrix_clock() -> list[datetime]:
    """The pinned time, for the whole module: a test that moves it says so."""
    return [PINNED_NOW]


@pytest.fixture(scope="module")
def matrix(_database_template: str, tmp_path_factory: pytest.TempPathFactory, default_policy: Policy,
           matrix_clock: list[datetime]) -> Iterator[MatrixTeams]:
    """One database, one stand-in and one bot for the module, everyone installed."""
    with module_database(_database_template, tmp_path_factory.mktemp("matrix")) as engine, \
            served(engine, matrix_policy(default_policy), matrix_clock) as teams:
        yield teams
