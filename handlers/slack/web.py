"""`POST /slack/events`: the Slack surface's WSGI application (bot.web routes to it)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.logs import log_request
from bot.services import Services
from bot.web import HEALTH_PATH, MAX_BODY, HealthCheck, StartResponse, _json, _status
from handlers.slack.app import REFUSED, RequestCheck

EVENTS_PATH = "/slack/events"


class SlackWsgi:
    """The web process's WSGI application.

    The raw body's signature is checked before anything parses it (`RequestCheck`); an unsigned,
    stale or malformed request gets 401 and one log line naming nothing it carried. A signed body
    that is not UTF-8 or not parsable gets 400. Only then does Bolt see the request.
    """

    def __init__(self, app: App, services: Services, signing_secret: str) -> None:
        self.app = app
        self.services = services
        self._check = RequestCheck(signing_secret)
        self._health = HealthCheck(services.database_ok)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            ok = self._health()
            return _json(start_response, 200 if ok else 503, {"ok": ok, "database": "up" if ok else "down"})
        if path != EVENTS_PATH:
            return _json(start_response, 404, {"error": "not found"})
        if method != "POST":
            return _json(start_response, 405, {"error": "POST only"})
        started = time.perf_counter()

        def refuse(code: int, kind: str) -> Iterable[bytes]:
            log_request(kind, "-", str(code), (time.perf_counter() - started) * 1000)
            return _json(start_response, code, REFUSED)

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refuse(400, "malformed")
        if length < 0:
            return refuse(400, "malformed")
        if length > MAX_BODY:
            return refuse(413, "refused")
        raw: bytes = environ["wsgi.input"].read(length) if length else b""
        if not self._check.signed(raw, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                                  environ.get("HTTP_X_SLACK_SIGNATURE")):
            return refuse(401, "refused")
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            request = BoltRequest(body=raw.decode("utf-8"), query=environ.get("QUERY_STRING", ""), headers=headers)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            # Signed, so from Slack, but not a body Bolt can read (Bolt's parser raises these).
            return refuse(400, "malformed")
        response = self.app.dispatch(request)
        data = (response.body or "").encode()
        out_headers = [(name, value) for name, values in response.headers.items() for value in values
                       if name.lower() != "content-length"]
        out_headers.append(("Content-Length", str(len(data))))
        start_response(_status(response.status), out_headers)
        return [data]
