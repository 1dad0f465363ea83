"""The HTTP server under each stand-in (Slack's Web API in handlers/slack/standin, the Bot Connector and
Microsoft Graph in handlers/teams): a real server on an ephemeral port of 127.0.0.1, its requests on
daemon threads, quiet in the test output. Here, outside both surfaces, so that each stand-in keeps to
its own surface (tests/test_layering.py).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handle = Callable[[BaseHTTPRequestHandler, str], None]  # (the request, its method: "GET", "POST", ...)


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a caller gone mid-call is no news
            super().handle_error(request, client_address)


def _method(handle: Handle, verb: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def do(request: BaseHTTPRequestHandler) -> None:
        handle(request, verb)
    return do


def serve(handle: Handle, verbs: Iterable[str], *, poll_interval: float = 0.5) -> ThreadingHTTPServer:
    """Start serving `handle(request, verb)` for each of `verbs`; any other method is answered 501, as
    http.server does. `poll_interval`: how soon `stop` returns (a short one for stand-ins that each
    test starts)."""
    handler = type("Handler", (_Quiet,), {f"do_{verb}": _method(handle, verb) for verb in verbs})
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer | None) -> None:
    """Stop serving and close the port (nothing to do when it never started)."""
    if server is not None:
        server.shutdown()
        server.server_close()


def base_url(server: ThreadingHTTPServer | None) -> str:
    """"http://127.0.0.1:<port>/"."""
    assert server is not None, "start() first"
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"
