"""`POST /api/messages`: the WSGI callable Teams (the Bot Connector service) posts activities to.

In order, each step refusing before the next runs:

    1. only POST to MESSAGES_PATH (404, 405);
    2. an Authorization header that is a bearer token at all (401), before the body is read;
    3. a Content-Length of at most MAX_BODY (413; a missing or malformed one 411 / 400);
    4. the token (`InboundAuth`): signed by a key the Bot Framework publishes and endorses for Teams,
       for this bot, in date, for this activity's serviceUrl (401 / 403; 503 when Microsoft's keys
       cannot be fetched, which Teams retries). The body is only JSON-decoded for this check (the
       token is bound to the activity's `channelId` and `serviceUrl`): nothing else reads it yet;
    5. the activity parsed with the Teams SDK's models (400 when it is not one; 200 for an activity
       type panelbot does not handle, 501 for an invoke it does not offer);
    6. `TeamsBot.handle`: 200 with the invoke's answer as JSON, or 200 and no body for a message.

A refused request is answered with a fixed body and logged by status and refusal code only: nothing
it carried (token, claims, text, names) is logged. A body that cannot be read is the sender's mistake
and gets 400 with a sentence, never a 500; `TeamsBot.handle` turns our own failures into an
incident id the person sees.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from microsoft_teams.api import ActivityTypeAdapter
from pydantic import ValidationError

from bot.logs import log_request
from handlers.teams.auth import InboundAuth, Refusal
from handlers.teams.bot import Answer, TeamsBot

MESSAGES_PATH = "/api/messages"
MAX_BODY = 1_048_576  # an activity is a few KB; Teams' own limit on a message is about 28 KB
# The activity types Teams sends that the Teams SDK's models know; others are taken and ignored.
KNOWN_TYPES = frozenset({"message", "messageUpdate", "messageDelete", "messageReaction", "conversationUpdate",
                         "installationUpdate", "invoke", "event", "typing", "command", "commandResult"})
HANDLED_INVOKES = frozenset({"adaptiveCard/action", "task/fetch", "task/submit"})

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 411: "Length Required", 413: "Content Too Large",
            500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable"}
_REFUSED = {401: "This endpoint is for Microsoft Teams: the request carried no bearer token.",
            403: "This endpoint is for Microsoft Teams: the request's token was not accepted.",
            503: "The Bot Framework's signing keys could not be fetched: try again later."}


def _respond(start_response: StartResponse, status: int, body: dict[str, Any] | None,
             headers: list[tuple[str, str]] | None = None) -> Iterable[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""
    out = [("Content-Length", str(len(data))), *(headers or [])]
    if body is not None:
        out.append(("Content-Type", "application/json; charset=utf-8"))
    start_response(f"{status} {_REASONS.get(status, 'Status')}", out)
    return [data]


class TeamsWsgi:
    """The WSGI application for `POST /api/messages` (mount it beside bot/web.py's SlackWsgi)."""

    def __init__(self, bot: TeamsBot, auth: InboundAuth, *, path: str = MESSAGES_PATH) -> None:
        self.bot = bot
        self.auth = auth
        self.path = path

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()

        def answer(status: int, body: dict[str, Any] | None = None, kind: str = "refused",
                   headers: list[tuple[str, str]] | None = None) -> Iterable[bytes]:
            log_request(f"teams:{kind}", "-", str(status), (time.perf_counter() - started) * 1000)
            return _respond(start_response, status, body, headers)

        def bad(sentence: str) -> Iterable[bytes]:
            return answer(400, {"error": sentence}, "malformed")

        if environ.get("PATH_INFO", "") != self.path:
            return answer(404, {"error": "not found"})
        if environ.get("REQUEST_METHOD", "GET") != "POST":
            return answer(405, {"error": "POST only"}, headers=[("Allow", "POST")])
        authorization = environ.get("HTTP_AUTHORIZATION")
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme != "Bearer" or not token.strip():
            verdict = self.auth.check(authorization, {})  # refused as no_token / not_bearer, and logged so
            return answer(verdict.status, {"error": _REFUSED[401]})
        raw_length = environ.get("CONTENT_LENGTH")
        if raw_length in (None, ""):
            return answer(411, {"error": "Send the activity with a Content-Length."}, "malformed")
        try:
            length = int(raw_length)
        except ValueError:
            return bad("The Content-Length is not a number.")
        if length < 0:
            return bad("The Content-Length is not a number.")
        if length > MAX_BODY:
            return answer(413, {"error": "An activity is never this large."})
        raw: bytes = environ["wsgi.input"].read(length) if length else b""
        if len(raw) != length:
            return bad("The body is shorter than its Content-Length.")

        try:
            decoded = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            decoded = None
        fields = decoded if isinstance(decoded, dict) else {}
        verdict = self.auth.check(authorization, fields)
        if not isinstance(decoded, dict) and verdict.refusal is Refusal.WRONG_CHANNEL:
            # The token itself verified (only the activity it names was missing): a body we cannot read.
            return bad("The body is not a JSON activity.")
        if not verdict.ok:
            return answer(verdict.status, {"error": _REFUSED.get(verdict.status, _REFUSED[403])})

        kind, name = decoded.get("type"), decoded.get("name")
        if kind not in KNOWN_TYPES:
            return answer(200, None, "ignored")
        if kind == "invoke" and name not in HANDLED_INVOKES:
            return answer(501, None, "ignored")
        try:
            activity = ActivityTypeAdapter.validate_python(decoded)
        except (ValidationError, RecursionError, ValueError, TypeError):
            # Never the validation error's text: pydantic quotes the input, which is what people typed.
            return bad("The body is not an activity panelbot can read.")
        result: Answer = self.bot.handle(activity)  # logs its own request line
        return _respond(start_response, result.status, result.body)
