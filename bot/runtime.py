"""Start-up: settings → logging → database (schema checked) → services → the Slack app, the Teams bot, or both.

The composition root: the one module of bot/ that names the surfaces, and only by importing their
wiring (handlers/slack/runtime.py, handlers/teams) when the settings turn them on."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.addresses import Surface, is_group, surface_of
from bot.errors import ConfigError
from bot.notify import BySurface
from bot.policy import Policy, default_policy_path, load_policy
from bot.services import Services
from bot.settings import HOW_TO_FIX, Settings
from store import migrate
from store.db import make_engine

logger = logging.getLogger("panelbot.runtime")


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
                        audit_key=settings.secret("panelbot_audit_key"),
                        claim_timeout=timedelta(seconds=settings.panelbot_claim_timeout))
    if settings.slack_enabled or client is not None:
        from handlers.slack.runtime import slack_side

        surfaces.add(Surface.SLACK, *slack_side(settings, client))
    if settings.teams_enabled:
        check_teams_groups(settings, policy)
        teams = teams_connection(settings, services)
        surfaces.add(Surface.TEAMS, teams.notifier, teams.directory)
    return services


def check_teams_groups(settings: Settings, policy: Policy) -> None:
    """Entra groups (`teams-group:`) in the policy's roles need TEAMS_TENANT_ID, for Microsoft Graph:
    without it such a role would hold nobody, and every case waiting on it would wait for ever with
    nobody told, so panelbot refuses to start. Without any, one line says Graph is not asked."""
    if settings.teams_tenant_id is not None:
        return
    groups = sorted({member for members in policy.roles.values() for member in members
                     if is_group(member) and surface_of(member) is Surface.TEAMS})
    if groups:
        raise ConfigError(f"missing setting: TEAMS_TENANT_ID ({HOW_TO_FIX['TEAMS_TENANT_ID']}): the policy names "
                          f"{len(groups)} Entra group(s) as role members, e.g. {groups[0]}")
    logger.warning("TEAMS_TENANT_ID is not set: panelbot answers Teams users of any organisation where it is "
                   "installed, does not ask Microsoft Graph, and names on Teams cards only the people who have "
                   "written to it")


def teams_connection(settings: Settings, services: Services) -> TeamsConnection:
    """The Teams side of a deployment: the bot's tokens, the Bot Connector client, the address book
    (with the people's names) and the notifier (TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TOKEN_URL);
    with TEAMS_TENANT_ID, Microsoft Graph too: Entra groups' members, and names of people never seen."""
    settings.require("teams_app_id", "teams_app_password")
    from handlers.teams.addresses import AddressBook
    from handlers.teams.auth import BotTokens
    from handlers.teams.connector import Connector
    from handlers.teams.graph import Graph, GraphDirectory, GraphUsers, graph_tokens
    from handlers.teams.notify import TeamsNotifier

    app_id, secret = settings.teams_app_id or "", settings.secret("teams_app_password")
    connector = Connector(BotTokens(app_id, secret, token_url=settings.teams_token_url))
    graph = Graph(graph_tokens(app_id, secret, settings.teams_tenant_id, login_url=settings.teams_login_url),
                  base_url=settings.teams_graph_url) if settings.teams_tenant_id else None
    addresses = AddressBook(services, GraphUsers(graph).display_name if graph is not None else None)
    directory = GraphDirectory(graph) if graph is not None else None
    return TeamsConnection(connector, addresses, TeamsNotifier(connector, addresses), directory)


@dataclass(frozen=True)
class TeamsConnection:
    connector: Any
    addresses: Any
    notifier: Any
    directory: Any = None  # Entra groups' members (Microsoft Graph); None without TEAMS_TENANT_ID
