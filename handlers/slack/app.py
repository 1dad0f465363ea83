"""The Bolt app: built by `create_app`, with request checks and the per-request log line.

Bolt parses a request's body before its signature middleware runs, so a forged request with an odd
body (`[]`, `payload=null`, JSON nested 100,000 deep, a wrongly typed `user`) reached Bolt's code,
got a 500 and left a traceback. Here the raw body's signature and timestamp are checked first
(`RequestCheck`, slack_sdk's `SignatureVerifier`), by `handlers.slack.web.SlackWsgi` before it builds the
`BoltRequest` and again by `PanelbotApp.dispatch`, which every entry point (HTTP, Socket Mode, tests)
goes through. Bolt's own signature check stays on behind them. A refused request gets 401 and one
log line carrying nothing of its content; a signed body of the wrong shape gets 400. After
verification the log line names only panelbot's own ids (`describe`).
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
from slack_sdk.signature import SignatureVerifier

from bot.domain.decisions import Outcome
from bot.errors import ConfigError
from bot.later import Later
from bot.logs import log_request
from bot.services import Services
from bot.settings import Settings
from handlers.slack import register_all
from handlers.slack.commands import split_command
from handlers.slack.replies import AfterAck, ack_with_sentence
from handlers.slack.runtime import make_client
from messages.slack.ids import Action, Callback, Command, Subcommand, decide_action

_TIMESTAMP = re.compile(r"\d{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
REFUSED = {"error": "invalid request"}

# The ids a log line may name: panelbot's own, never whatever a request happens to carry.
_OWN_IDS = {str(item) for item in Action} | {str(item) for item in Callback} | {decide_action(o) for o in Outcome}
_KINDS = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action", "event_callback",
          "url_verification", "block_suggestion"}
_EVENTS = {"app_home_opened", "app_mention", "message", "app_uninstalled", "tokens_revoked"}


class RequestCheck:
    """Slack's signature over the raw body and a timestamp within 5 minutes, checked before parsing.

    `signed` never raises, whatever the headers hold: a malformed timestamp or a non-ASCII signature is
    simply not signed (Bolt's own comparison raised on those and answered 500).
    """

    def __init__(self, signing_secret: str) -> None:
        self._verifier = SignatureVerifier(signing_secret)

    def signed(self, raw: bytes | str, timestamp: str | None, signature: str | None) -> bool:
        if not (timestamp and signature and _TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature)):
            return False
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")  # Slack sends UTF-8; anything else cannot have been signed by it
            except UnicodeDecodeError:
                return False
        return self._verifier.is_valid(raw, timestamp, signature)


def _header(req: BoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None


# Top-level fields Slack sends as objects, as lists of objects, and as text. A signed body whose fields
# have other types is not from Slack's documented shapes; Bolt would crash on some of them.
_OBJECTS = ("user", "team", "enterprise", "channel", "view", "container", "message", "event", "state")
_STRINGS = ("type", "command", "text", "user_id", "team_id", "channel_id", "trigger_id", "response_url",
            "api_app_id", "callback_id", "enterprise_id", "token", "event_id", "challenge")


def well_formed(body: Any) -> bool:
    """True when `body` (parsed) has the shape of some Slack request, as far as panelbot and Bolt read it."""
    if not isinstance(body, dict) or not body:
        return False
    if any(body.get(key) is not None and not isinstance(body[key], dict) for key in _OBJECTS):
        return False
    if any(body.get(key) is not None and not isinstance(body[key], str) for key in _STRINGS):
        return False
    for key in ("authorizations", "actions"):
        items = body.get(key)
        if items is not None and not (isinstance(items, list) and all(isinstance(item, dict) for item in items)):
            return False
    for key in ("user", "team", "enterprise", "channel", "view"):
        inner = body.get(key) or {}
        if inner.get("id") is not None and not isinstance(inner["id"], str):
            return False
    return True


NO_USER = "panelbot could not tell who sent this, so it did nothing. Please try again."
_ABOUT_A_PERSON = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}


def has_user(body: dict[str, Any]) -> bool:
    """False for a command, click or form that names nobody: panelbot acts for a person or not at all."""
    if "command" in body:
        user = body.get("user_id")
    elif body.get("type") in _ABOUT_A_PERSON:
        user = (body.get("user") or {}).get("id")
    else:
        return True
    return isinstance(user, str) and user != ""


def describe(body: dict[str, Any]) -> tuple[str, str]:
    """(kind, id) for the request log: panelbot's own ids only, never anything else a request carries."""
    if "command" in body:
        word, _ = split_command(body.get("text"))
        command = body["command"] if body["command"] in set(Command) else "?"
        known = word == "" or word in set(Subcommand)
        return "command", f"{command} {word or Subcommand.HELP}" if known else f"{command} ?"
    kind = body.get("type") if body.get("type") in _KINDS else "unknown"
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        name = actions[0].get("action_id")
    elif kind in ("view_submission", "view_closed"):
        name = (body.get("view") or {}).get("callback_id")
    elif kind in ("shortcut", "message_action"):
        name = body.get("callback_id")
    elif kind == "event_callback":
        event_type = (body.get("event") or {}).get("type")
        return kind, event_type if event_type in _EVENTS else "?"
    else:
        return kind, "-"
    return kind, name if name in _OWN_IDS else "?"


class PanelbotApp(App):
    """Bolt's App with the signature checked on the raw body before anything reads the parsed one."""

    request_check: RequestCheck
    after_ack: AfterAck

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        if req.mode == "http" and not self.request_check.signed(
                req.raw_body, _header(req, "x-slack-request-timestamp"), _header(req, "x-slack-signature")):
            response, kind, name = BoltResponse(status=401, body=REFUSED), "refused", "-"
        elif not well_formed(req.body):
            response, kind, name = BoltResponse(status=400, body=REFUSED), "malformed", "-"
        elif not has_user(req.body):
            answer = ack_with_sentence(req.body, NO_USER)
            response, kind, name = BoltResponse(status=200, body=answer if answer is not None else ""), "no-user", "-"
        else:
            response = super().dispatch(req)
            kind, name = ("refused", "-") if response.status == 401 else describe(req.body)
        log_request(kind, name, str(response.status), (time.perf_counter() - started) * 1000)
        return response


# The pools for Slack calls after the ack (sized for a Slack answering in up to 8 s: 16 threads keep 2
# calls a second going; a modal whose trigger would expire before a thread frees is skipped) and for
# delivering what a change owes: its channel posts (16 threads: 50 cards at 300 ms a call are in their
# channels within a second) and then its DMs and Home tabs (8 threads). Whatever is not sent stays
# in the outbox for the worker.
SLACK_THREADS, SLACK_QUEUE = 16, 512
CHANNEL_THREADS, CHANNEL_QUEUE = 16, 256
DELIVERY_THREADS, DELIVERY_QUEUE = 8, 256


def create_app(
    settings: Settings,
    services: Services,
    *,
    client: WebClient | None = None,
    listener_executor: Executor | None = None,
    deliver_here: bool = True,
) -> PanelbotApp:
    """Build the Bolt app with every handler registered.

    Needs SLACK_BOT_TOKEN and a non-blank SLACK_SIGNING_SECRET; calls `auth.test` once to check the
    token. `listener_executor` exists for tests that want listeners, and the Slack calls and deliveries
    they start after their ack, to finish before dispatch returns (the demo and tests pass
    `InlineExecutor`). `deliver_here=False`: the worker sends what changes queue (bot.deliveries).
    """
    settings.require("slack_bot_token", "slack_signing_secret")
    if not settings.secret("slack_signing_secret").strip():
        raise ConfigError("SLACK_SIGNING_SECRET is empty: set it to the Signing Secret from Basic Information")
    app = PanelbotApp(
        name="panelbot",
        logger=logging.getLogger("slack_bolt.panelbot"),
        signing_secret=settings.secret("slack_signing_secret"),
        client=client or make_client(settings, interactive=True),
        # A listener runs in the request's own thread and its ack is answered when it returns: it does
        # database work only, and hands every Slack call to the pools below. Bolt's default would run it
        # on another thread and look for its ack every 10 ms, adding 5 ms to the average answer and a
        # wake-up every 10 ms for each request in flight.
        process_before_response=True,
        listener_executor=listener_executor,
    )
    app.request_check = RequestCheck(settings.secret("slack_signing_secret"))
    app.after_ack = AfterAck(
        slack=Later("slack", SLACK_THREADS, SLACK_QUEUE, listener_executor),
        deliveries=Later("deliveries", DELIVERY_THREADS, DELIVERY_QUEUE, listener_executor),
        channel=Later("channel", CHANNEL_THREADS, CHANNEL_QUEUE, listener_executor),
        deliver_here=deliver_here,
    )
    register_all(app, services)
    return app
