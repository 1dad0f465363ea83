"""Start-up: settings → logging → database (schema checked) → services → the Slack app, the Teams bot, or both.

The composition root: the one module of bot/ that names the surfaces, and only by importing their
wiring (handlers/slack/runtime.py, handlers/teams) when the settings turn them on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.addresses import Surface
from bot.errors import ConfigError
from bot.notify import BySurface
from bot.policy import Policy, default_policy_path, load_policy
from bot.services import Services
from bot.settings import Settings
from store import migrate
from store.db import make_engine


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


def build_services(settings: Settings, client: Any = None) -> Services:
    """Services wired to every surface the settings name, one database and one policy for all:
    Slack through `client` (by default one for SLACK_API_URL and the bot token) when SLACK_BOT_TOKEN is
    set or a client is given; Teams when TEAMS_APP_ID is set. Each message goes to its recipient's."""
    policy = council_policy(settings)
    settings.require("panelbot_audit_key")  # nothing may change without an audit row, and none without the key
    engine = open_database(settings)
    surfaces = BySurface({})
    services = Services(engine=engine, policy=policy, notifier=surfaces, directory=surfaces,
                        audit_key=settings.secret("panelbot_audit_key"))
    if settings.slack_enabled or client is not None:
        from handlers.slack.runtime import slack_side

        surfaces.add(Surface.SLACK, *slack_side(settings, client))
    if settings.teams_enabled:
        surfaces.add(Surface.TEAMS, teams_connection(settings, services).notifier)
    return services


def teams_connection(settings: Settings, services: Services) -> TeamsConnection:
    """The Teams side of a deployment: the bot's tokens, the Bot Connector client, the address book
    and the notifier (TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TOKEN_URL)."""
    settings.require("teams_app_id", "teams_app_password")
    from handlers.teams.addresses import AddressBook
    from handlers.teams.auth import BotTokens
    from handlers.teams.connector import Connector
    from handlers.teams.notify import TeamsNotifier

    app_id = settings.teams_app_id or ""
    connector = Connector(BotTokens(app_id, settings.secret("teams_app_password"), token_url=settings.teams_token_url))
    addresses = AddressBook(services)
    return TeamsConnection(connector, addresses, TeamsNotifier(connector, addresses))


@dataclass(frozen=True)
class TeamsConnection:
    connector: Any
    addresses: Any
    notifier: Any
