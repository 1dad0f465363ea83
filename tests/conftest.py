"""The test harness: a Slack Web API stand-in, signed requests, and a fresh database per test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set (the database
is wiped and migrated at the start of the session, then emptied before every test). With
TEST_DATABASE_MIGRATION_URL also set, the tests run as the app's restricted role (TEST_DATABASE_URL)
while the owner role (TEST_DATABASE_MIGRATION_URL) wipes, migrates and grants, as in production.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bot.errors import UserError
from bot.later import InlineExecutor
from bot.policy import Policy, default_policy_path, load_policy
from bot.services import Services
from bot.settings import Settings, load_settings
from handlers.slack.app import PanelbotApp, create_app
from handlers.slack.notify import SlackDirectory, SlackNotifier
from handlers.slack.standin.requests import RequestSigner, SignedRequest
from handlers.slack.standin.webapi import SlackStandIn
from store import migrate
from store.audit import GENESIS
from store.db import make_engine
from store.grants import grant_app_role
from store.models import AuditChain, Base

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"
# Tuesday 24 November 2026, 10:00 in London (GMT, so also 10:00 UTC).
PINNED_NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

# The fixed audit key of the tests and the demo (production's comes from PANELBOT_AUDIT_KEY).
TEST_AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789"

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_DATABASE_MIGRATION_URL = os.environ.get("TEST_DATABASE_MIGRATION_URL") or TEST_DATABASE_URL


@pytest.fixture(scope="session")
def standin() -> Iterator[SlackStandIn]:
    server = SlackStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def slack(standin: SlackStandIn) -> SlackStandIn:
    """The Web API stand-in, with no calls recorded and no failures queued."""
    standin.reset()
    standin.users.clear()
    standin.groups.clear()
    standin.files.uploads.clear()
    standin.files.names.clear()
    # The worker's team manager in FORUM_ANSWERS holds the policy's team manager role (the form checks).
    standin.groups["S0TEAMMGRS"] = ["U0TOMAS"]
    return standin


def _normalise(url: str) -> str:
    return load_settings(env_file=None, database_url=url).database_url


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: a SQLite file to copy, or the PostgreSQL test database, reset once."""
    if TEST_DATABASE_URL:
        engine = make_engine(_normalise(TEST_DATABASE_MIGRATION_URL))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine, audit_key=TEST_AUDIT_KEY)
        engine.dispose()
        return _normalise(TEST_DATABASE_URL)
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return str(path)


@pytest.fixture
def database_url(_database_template: str, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for this test."""
    if TEST_DATABASE_URL:
        engine = make_engine(_normalise(TEST_DATABASE_MIGRATION_URL))
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            connection.execute(AuditChain.__table__.insert().values(id=1, last_id=0, last_hash=GENESIS))
            if app_role():  # a test may have migrated down and up again: the new tables need their grants
                grant_app_role(connection, app_role())
        engine.dispose()
        return _database_template
    path = tmp_path / "panelbot.db"
    shutil.copyfile(_database_template, path)
    return f"sqlite:///{path}"


def app_role() -> str | None:
    """The restricted role the tests run as, when it is not the owner."""
    if not TEST_DATABASE_URL or TEST_DATABASE_MIGRATION_URL == TEST_DATABASE_URL:
        return None
    return make_url(_normalise(TEST_DATABASE_URL)).username


def upgrade_as_owner(migration_engine: Engine, **kwargs: object) -> None:
    """`panelbot db upgrade` in a test: migrate as the owner, then grant the app role, as the CLI does."""
    migrate.upgrade(migration_engine, **kwargs)  # type: ignore[arg-type]
    if app_role():
        with migration_engine.begin() as connection:
            grant_app_role(connection, app_role())


@pytest.fixture
def migration_engine(database_url: str) -> Iterator[Engine]:
    """The owner's engine (the same database as `engine`): for tests that migrate."""
    engine = make_engine(_normalise(TEST_DATABASE_MIGRATION_URL) if TEST_DATABASE_URL else database_url)
    yield engine
    if app_role():
        with engine.begin() as connection:
            grant_app_role(connection, app_role())
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> list[datetime]:
    """The pinned time: tests move it with `clock[0] = …`."""
    return [PINNED_NOW]


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    return load_policy(default_policy_path())


@pytest.fixture
def policy(default_policy: Policy) -> Policy:
    """The policy the app runs with; a test may override this fixture with its own."""
    return default_policy


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack.api_url)


@pytest.fixture
def services(engine: Engine, clock: list[datetime], policy: Policy, client: WebClient) -> Services:
    """Real services on the test database, reaching Slack (the stand-in) through the real notifier."""
    return Services(engine=engine, policy=policy, notifier=SlackNotifier(client), directory=SlackDirectory(client),
                    clock=lambda: clock[0], audit_key=TEST_AUDIT_KEY)


@pytest.fixture
def settings(slack: SlackStandIn, database_url: str) -> Settings:
    return load_settings(
        env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=database_url,
        panelbot_audit_key=TEST_AUDIT_KEY,
    )


@pytest.fixture
def app(settings: Settings, services: Services, slack: SlackStandIn) -> PanelbotApp:
    """The real app; listeners finish before dispatch returns. Start-up's auth.test is forgotten."""
    application = create_app(settings, services, listener_executor=InlineExecutor())
    slack.reset()
    for body in services.policy.bodies.values():  # the app is invited to each deciding body's channel
        slack.add_channel(body.channel)
    return application


@pytest.fixture
def signer(slack: SlackStandIn) -> RequestSigner:
    return RequestSigner(SIGNING_SECRET, response_url_base=slack.base_url + "response/")


def dispatch(app: PanelbotApp, signed: SignedRequest) -> BoltResponse:
    """Send a signed request through the app exactly as the HTTP adapter would."""
    return app.dispatch(BoltRequest(body=signed.body, headers=signed.headers))


def at_once(*presses: Callable[[], Any]) -> list[Any]:
    """Each press called from its own thread, all released together (a double click, a retried delivery
    racing the first): what each returned, or the refusal (UserError) it raised. Anything else raised
    fails the test, as it would reach a person as an incident. On SQLite one writer goes at a time; on
    PostgreSQL (TEST_DATABASE_URL) the presses really race."""
    start = threading.Barrier(len(presses))

    def one(press: Callable[[], Any]) -> Any:
        start.wait(timeout=10)
        try:
            return press()
        except UserError as refused:
            return refused

    with ThreadPoolExecutor(max_workers=len(presses)) as pool:
        return list(pool.map(one, presses))


FORUM_ANSWERS = {
    "reference": "1234567", "service": "adults", "request_type": "new_package", "proposed_weekly": "412",
    "ras_weekly": "298", "strengths_and_needs": "strengths", "outcomes": "outcomes", "alternatives": "alternatives",
    "evidence": ["occupational therapy"], "team_manager": "U0TOMAS", "attendee": "U0ANNAAP",
}


@pytest.fixture
def new_case(services: Services):
    """Store a case as `/panel submit` would (no Slack involved); returns its id."""
    from bot.domain.submission import parse_submission
    from bot.services.cases import submit_case

    made = itertools.count(1)

    def make(submitter: str = "U0PRIYA", **answers: object) -> int:
        values = {**FORUM_ANSWERS, **answers}
        submission = parse_submission(values, policy=services.policy, submitter=submitter)
        return submit_case(services, submission, key=f"test:{next(made)}").case.id

    return make
