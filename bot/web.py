"""HTTP mode, for every surface: `GET /healthz`, and each surface's path routed to its application
(`POST /slack/events`: handlers/slack/web.py; `POST /api/messages`: handlers/teams/wsgi.py), served by waitress."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.services import Services

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
    paths = sorted(wsgi.routes) if isinstance(wsgi, Web) else ["(one application)"]
    logger.info("serving %s and %s on port %d", " and ".join(paths), HEALTH_PATH, port)
    waitress_serve(wsgi, host=host, port=port, **settings)
