"""HTTP mode: `POST /slack/events`, `POST /api/messages` (Teams) and `GET /healthz`, served by waitress."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.logs import log_request
from bot.services import Services
from bot.slack_app import REFUSED, RequestCheck

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
HEALTH_LIMIT = 0.8  # seconds /healthz waits for the database before answering 503
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


class HealthCheck:
    """Whether the database answers, decided within `limit` seconds whatever the database does.

    One check runs at a time, on a thread of its own: a probe that arrives while one is still waiting on
    a hung database shares its answer instead of starting another, so a load balancer polling a hung
    database gets 503 at once and never piles up threads. The check itself ends at the engine's connect
    or statement timeout (store.db).
    """

    def __init__(self, check: Callable[[], bool], limit: float = HEALTH_LIMIT) -> None:
        self._check = check
        self._limit = limit
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
        self._lock = threading.Lock()
        self._running: Future[bool] | None = None

    def __call__(self) -> bool:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._pool.submit(self._check)
            running = self._running
        try:
            return bool(running.result(timeout=self._limit))
        except Exception:  # a timeout, or the check failed
            return False


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


WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Web:
    """The web process's WSGI application for one or both surfaces: `GET /healthz`, and each
    surface's path (`POST /slack/events`, `POST /api/messages`) handed to that surface's application,
    which checks the request's signature or token before it reads anything else."""

    def __init__(self, services: Services, routes: dict[str, WsgiApp]) -> None:
        self.routes = dict(routes)
        self._health = HealthCheck(services.database_ok)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
            ok = self._health()
            return _json(start_response, 200 if ok else 503, {"ok": ok, "database": "up" if ok else "down"})
        route = self.routes.get(path)
        if route is None:
            return _json(start_response, 404, {"error": "not found"})
        return route(environ, start_response)


# waitress, set for Slack's traffic (README, "Serving"). Idle and slowly trickling clients hold a
# connection, never a thread: waitress reads a whole request before it gives it to a thread. With its
# defaults (100 connections, 120 s idle timeout) about 100 idle sockets stopped it answering anyone,
# so the limit is raised and idle connections are closed sooner.
SERVER_SETTINGS: dict[str, Any] = {
    # Request threads. Each waits at most for a listener's ack (Slack gives up after 3 s); listeners
    # call Slack off these threads (bot.later), so 16 covers 50 people pressing at once on 2 cores.
    "threads": 16,
    # Open connections before waitress stops accepting: idle keep-alive sockets from the load
    # balancer, and anyone holding one open. Each costs a descriptor and a few KB, not a thread.
    "connection_limit": 1000,
    # Close a connection that has sent and received nothing for 20 s (Slack sends a request at once;
    # a load balancer reopens a closed keep-alive connection), checked every 5 s.
    "channel_timeout": 20,
    "cleanup_interval": 5,
    # poll() rather than select(): select() cannot watch more than 1,024 descriptors.
    "asyncore_use_poll": True,
    "backlog": 2048,
    "max_request_header_size": 65_536,  # Slack's headers are well under 4 KB
    "max_request_body_size": MAX_BODY,
    "clear_untrusted_proxy_headers": True,
    "ident": "panelbot",
}


def _raise_descriptor_limit(wanted: int) -> None:
    """Let the process hold `wanted` descriptors if the hard limit allows (connections are descriptors)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def serve(wsgi: WsgiApp, port: int, host: str = "0.0.0.0", threads: int | None = None) -> None:  # noqa: S104
    """Serve until interrupted (waitress: a production WSGI server, pure Python, any OS)."""
    from waitress import serve as waitress_serve

    settings = {**SERVER_SETTINGS, **({"threads": threads} if threads else {})}
    _raise_descriptor_limit(int(settings["connection_limit"]) + 256)
    paths = sorted(wsgi.routes) if isinstance(wsgi, Web) else [EVENTS_PATH]
    logger.info("serving %s and %s on port %d", " and ".join(paths), HEALTH_PATH, port)
    waitress_serve(wsgi, host=host, port=port, **settings)
