"""Start-up: settings → logging → database (schema checked) → services → the Slack app, the Teams bot, or both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.addresses import Surface
from bot.errors import ConfigError
from bot.notify import BySurface
from bot.policy import Policy, default_policy_path, load_policy
from bot.services import Services
from bot.settings import Settings
from bot.slack_notify import SlackDirectory, SlackNotifier
from store import migrate
from store.db import make_engine

# Web API methods that never post anything new, so sending one again after a dropped connection
# cannot double a message. chat.postMessage has no idempotency key: if the connection drops after
# Slack kept the message, slack_sdk's default ConnectionErrorRetryHandler posts it again (30 dropped
# connections doubled 29 messages), so it and the other posting methods are never retried here; the
# outbox reconciles them instead. views.open and views.push are safe to send again: Slack accepts a
# trigger_id once, so a second call after a first that got through fails without opening anything.
IDEMPOTENT_METHODS = frozenset({
    "auth.test", "conversations.history", "conversations.info", "conversations.open", "users.info",
    "usergroups.users.list", "chat.getPermalink", "chat.update", "chat.delete", "views.update",
    "views.publish", "views.open", "views.push",
})


class RetryIdempotentOnConnectionError(ConnectionErrorRetryHandler):
    """Retry a dropped connection once, for `IDEMPOTENT_METHODS` only."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        method = urlsplit(request.url).path.rsplit("/", 1)[-1]
        return method in IDEMPOTENT_METHODS and super()._can_retry(
            state=state, request=request, response=response, error=error)


def make_client(settings: Settings, *, interactive: bool = False) -> WebClient:
    """The Web API client; every call goes to SLACK_API_URL (Slack, GovSlack, or a stand-in).

    The one place its timeout and retries are chosen:
    - Timeout: a call that takes longer fails rather than holding a thread. Delivery (the outbox, the
      worker) waits 10 s: Slack is sometimes that slow and a timed-out post must then be reconciled.
      The app's own calls after an ack (`interactive`: views.open/push/update/publish, DMs to the
      person who clicked) wait 5 s: a trigger is dead after 3 s anyway, and these run on a bounded
      pool (bot.later) whose threads should come back.
    - Dropped connections: retried once for idempotent methods only (never chat.postMessage).
    - Rate limits (HTTP 429): the app's calls retry once after Retry-After (they are off the request
      threads; a Home tab or a modal update is worth the wait). Delivery does not: the outbox reads the
      429 itself and holds every later call of the process for the Retry-After, which one call's
      private sleep-and-retry would not do.
    """
    handlers: list[RetryHandler] = [RetryIdempotentOnConnectionError(max_retry_count=1)]
    if interactive:
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    return WebClient(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url,
                     timeout=5 if interactive else 10, retry_handlers=handlers)


# usergroups.users.list is read on the request path, before the ack (who may decide, who sees a case),
# so it gets the least time: 2 s, no retry, leaving the rest of Slack's 3 s for the answer. A timeout
# fails the request with a sentence in its ack (handlers/errors.py) rather than losing the ack.
DIRECTORY_TIMEOUT_S = 2


def make_directory_client(settings: Settings) -> WebClient:
    """The client for reading user-group members during a request (see DIRECTORY_TIMEOUT_S)."""
    return WebClient(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url,
                     timeout=DIRECTORY_TIMEOUT_S, retry_handlers=[])


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
        surfaces.add(Surface.SLACK, SlackNotifier(client or make_client(settings)),
                     SlackDirectory(make_directory_client(settings)))
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
