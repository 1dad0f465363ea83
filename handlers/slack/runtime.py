"""The Slack side of start-up: the Web API clients, with their timeouts and retries chosen here, and
the Slack notifier and directory that `bot.runtime.build_services` adds to a deployment."""

from __future__ import annotations

from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.settings import Settings
from handlers.slack.notify import SlackDirectory, SlackNotifier

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
# fails the request with a sentence in its ack (handlers/slack/errors.py) rather than losing the ack.
DIRECTORY_TIMEOUT_S = 2


def make_directory_client(settings: Settings) -> WebClient:
    """The client for reading user-group members during a request (see DIRECTORY_TIMEOUT_S)."""
    return WebClient(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url,
                     timeout=DIRECTORY_TIMEOUT_S, retry_handlers=[])


def slack_side(settings: Settings, client: WebClient | None = None) -> tuple[SlackNotifier, SlackDirectory]:
    """The notifier (through `client`, by default one for SLACK_API_URL and the bot token) and the
    user-group directory of a deployment's Slack workspace."""
    return SlackNotifier(client or make_client(settings)), SlackDirectory(make_directory_client(settings))


def run_socket_mode(settings: Settings, *, with_worker: bool) -> None:
    """`panelbot run`: connect over Socket Mode (no public URL), with the worker's ticker in the process."""
    import threading

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.groups import list_at_start
    from bot.runtime import build_services
    from bot.worker import run_worker
    from handlers.slack.app import create_app

    services = build_services(settings)
    app = create_app(settings, services)
    list_at_start(services.directory, services.policy.user_groups())
    if with_worker:
        threading.Thread(target=run_worker, args=(services,), name="worker", daemon=True).start()
    SocketModeHandler(app, settings.secret("slack_app_token")).start()
