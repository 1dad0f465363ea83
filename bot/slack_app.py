"""The Bolt app: built by `create_app`, with request checks and the per-request log line.

Signature verification is Bolt's own and stays on. Two gaps are closed here: Bolt answers 500 to a
malformed timestamp or a non-ASCII signature header (the comparison raises), and it has no
one-line-per-request log. Both live in `PanelbotApp.dispatch`, which every entry point (HTTP,
Socket Mode, tests) goes through.
"""

from __future__ import annotations

import logging
import re
import time
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.errors import ConfigError
from bot.logs import log_request
from bot.runtime import make_client
from bot.services import Services
from bot.settings import Settings
from handlers import register_all
from handlers.commands import split_command
from messages.ids import Subcommand

_TIMESTAMP = re.compile(r"^\d{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:/-]{1,64}$")


def _header(req: BoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None


def headers_well_formed(req: BoltRequest) -> bool:
    """False when the signature headers could never verify; Bolt would crash on some of these."""
    timestamp = _header(req, "x-slack-request-timestamp")
    signature = _header(req, "x-slack-signature")
    return bool(timestamp and signature and _TIMESTAMP.match(timestamp) and _SIGNATURE.match(signature))


def describe(body: dict[str, Any]) -> tuple[str, str]:
    """(kind, id) for the request log: our own ids only, never text a person typed."""
    if "command" in body:
        word, _ = split_command(body.get("text"))
        known = word == "" or word in set(Subcommand)
        return "command", f"{body['command']} {word or Subcommand.HELP}" if known else f"{body['command']} ?"
    kind = str(body.get("type") or "unknown")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        name = str(actions[0].get("action_id", ""))
    elif kind in ("view_submission", "view_closed"):
        name = str((body.get("view") or {}).get("callback_id", ""))
    elif kind in ("shortcut", "message_action"):
        name = str(body.get("callback_id", ""))
    elif kind == "event_callback":
        name = str((body.get("event") or {}).get("type", ""))
    else:
        name = "-"
    return (kind if _SAFE_ID.match(kind) else "unknown"), (name if _SAFE_ID.match(name) else "?")


def services_client(services: Services) -> WebClient | None:
    """The client the services' notifier already uses, so the app and the outbox share one."""
    client = getattr(services.notifier, "client", None)
    return client if isinstance(client, WebClient) else None


class PanelbotApp(App):
    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        if req.mode == "http" and not headers_well_formed(req):
            response = BoltResponse(status=401, body={"error": "invalid request"})
        else:
            response = super().dispatch(req)
        if response.status == 401:
            kind, name = "refused", "-"
        else:
            kind, name = describe(req.body)
        log_request(kind, name, str(response.status), (time.perf_counter() - started) * 1000)
        return response


def create_app(
    settings: Settings,
    services: Services,
    *,
    client: WebClient | None = None,
    listener_executor: Executor | None = None,
) -> PanelbotApp:
    """Build the Bolt app with every handler registered.

    Needs SLACK_BOT_TOKEN and a non-blank SLACK_SIGNING_SECRET; calls `auth.test` once to check the
    token. `listener_executor` exists for tests that want listeners to finish before dispatch returns.
    """
    settings.require("slack_bot_token", "slack_signing_secret")
    if not settings.secret("slack_signing_secret").strip():
        raise ConfigError("SLACK_SIGNING_SECRET is empty: set it to the Signing Secret from Basic Information")
    app = PanelbotApp(
        name="panelbot",
        logger=logging.getLogger("slack_bolt.panelbot"),
        signing_secret=settings.secret("slack_signing_secret"),
        client=client or services_client(services) or make_client(settings),
        listener_executor=listener_executor,
    )
    register_all(app, services)
    return app
