"""HTTP mode: a WSGI app with `POST /slack/events` and `GET /healthz`, served by waitress."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.services import Services

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_048_576  # Slack payloads are a few KB; refuse anything absurd before reading it.

logger = logging.getLogger("panelbot.web")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            413: "Content Too Large", 500: "Internal Server Error", 503: "Service Unavailable"}


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Status')}"


def _json(start_response: StartResponse, code: int, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(_status(code), [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class SlackWsgi:
    """The web process's WSGI application."""

    def __init__(self, app: App, services: Services, signing_secret: str) -> None:
        self.app = app
        self.services = services
        self._verifier = SignatureVerifier(signing_secret)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            ok = self.services.database_ok()
            return _json(start_response, 200 if ok else 503, {"ok": ok, "database": "up" if ok else "down"})
        if path != EVENTS_PATH:
            return _json(start_response, 404, {"error": "not found"})
        if method != "POST":
            return _json(start_response, 405, {"error": "POST only"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json(start_response, 400, {"error": "bad content length"})
        if length > MAX_BODY:
            return _json(start_response, 413, {"error": "too large"})
        raw = environ["wsgi.input"].read(length).decode("utf-8", errors="replace") if length else ""
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            request = BoltRequest(body=raw, query=environ.get("QUERY_STRING", ""), headers=headers)
        except ValueError:
            # An unparsable body: refused as forged unless its signature is good.
            signed = self._verifier.is_valid_request(raw, headers) if _ascii(headers) else False
            return _json(start_response, 400 if signed else 401, {"error": "invalid request"})
        response = self.app.dispatch(request)
        data = (response.body or "").encode()
        out_headers = [(name, value) for name, values in response.headers.items() for value in values
                       if name.lower() != "content-length"]
        out_headers.append(("Content-Length", str(len(data))))
        start_response(_status(response.status), out_headers)
        return [data]


def _ascii(headers: dict[str, str]) -> bool:
    return all(value.isascii() for value in headers.values())


def serve(wsgi: SlackWsgi, port: int, host: str = "0.0.0.0", threads: int = 8) -> None:  # noqa: S104
    """Serve until interrupted (waitress: a production WSGI server, pure Python, any OS)."""
    from waitress import serve as waitress_serve

    logger.info("serving %s and %s on port %d", EVENTS_PATH, HEALTH_PATH, port)
    waitress_serve(wsgi, host=host, port=port, threads=threads, max_request_body_size=MAX_BODY,
                   ident="panelbot", clear_untrusted_proxy_headers=True)
