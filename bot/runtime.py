"""Start-up: settings → logging → database (schema checked) → services → the Slack app."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.errors import ConfigError
from bot.policy import Policy, default_policy_path, load_policy
from bot.services import Services
from bot.settings import Settings
from bot.slack_notify import SlackDirectory, SlackNotifier
from store import migrate
from store.db import make_engine


def make_client(settings: Settings) -> WebClient:
    """The Web API client; every call goes to SLACK_API_URL (Slack, GovSlack, or a stand-in)."""
    return WebClient(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url, timeout=10)


def open_database(settings: Settings) -> Engine:
    """An engine whose schema matches this code.

    SQLite (development, small councils, one process) upgrades itself. PostgreSQL is upgraded as a
    deliberate step, `panelbot db upgrade`, so several web processes never race a migration.
    """
    url = settings.database_url
    engine = make_engine(url)
    try:
        current = migrate.current_revision(engine)
        if current == migrate.head_revision():
            return engine
        if make_url(url).get_backend_name() == "sqlite":
            migrate.upgrade(engine, audit_key=settings.secret("panelbot_audit_key") or None)
            return engine
    except OperationalError:
        raise ConfigError(f"DATABASE_URL: cannot connect to {make_url(url).render_as_string()}") from None
    raise ConfigError(
        f"DATABASE_URL: the schema is at {current or 'nothing'} but this panelbot needs "
        f"{migrate.head_revision()}: run `panelbot db upgrade`"
    )


def council_policy(settings: Settings) -> Policy:
    """The council's policy file (PANELBOT_POLICY), or the shipped default reproducing the seeds."""
    return load_policy(settings.panelbot_policy or default_policy_path())


def build_services(settings: Settings, client: WebClient | None = None) -> Services:
    """Services wired to Slack through `client` (by default one for SLACK_API_URL and the bot token)."""
    policy = council_policy(settings)
    client = client or make_client(settings)
    settings.require("panelbot_audit_key")  # nothing may change without an audit row, and none without the key
    engine = open_database(settings)
    return Services(engine=engine, policy=policy, notifier=SlackNotifier(client),
                    directory=SlackDirectory(client), audit_key=settings.secret("panelbot_audit_key"))
