"""The Slack stand-in answering every call late: a small wrapper, so handlers/slack/standin/webapi.py stays as it is.

`SlowStandIn(delay=0.3)` waits `delay` seconds before it reads and answers any Web API call or
response-URL post (a slow Slack), and notes when each `chat.postMessage` was answered (`posted`:
monotonic seconds, channel, the call's arguments as JSON text) so a benchmark can tell when a case
card reached its channel, and when each `views.open` arrived (`opened`, by trigger_id). `delay` can be
changed between phases.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from handlers.slack.standin.webapi import SlackStandIn

# The stand-in's HTTP server listens with socketserver's backlog of 5, far below Slack's: 50 people at
# once refused some connections, which a benchmark would count against panelbot. In this process only.
ThreadingHTTPServer.request_queue_size = 256


class SlowStandIn(SlackStandIn):
    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.posted: list[tuple[float, str, str]] = []
        self.opened: dict[str, float] = {}  # trigger_id -> when its views.open arrived (monotonic seconds)
        self._posted_lock = threading.Lock()
        # The team manager the benchmark's case form names holds the policy's team manager role.
        self.groups["S0TEAMMGRS"] = ["U0TOMAS"]

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if self.delay:
            time.sleep(self.delay)
        super()._handle(request)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._answer(method, args)
        if method == "chat.postMessage":
            with self._posted_lock:
                self.posted.append((time.monotonic(), str(args.get("channel", "")), json.dumps(args)))
        if method == "views.open":
            with self._posted_lock:  # it arrived `delay` ago: the stand-in waited that long before reading it
                self.opened.setdefault(str(args.get("trigger_id")), time.monotonic() - self.delay)
        return answer

    def forget(self) -> None:
        """Drop what was recorded (calls and posts), keeping the delay."""
        delay = self.delay
        self.reset()
        self.delay = delay
        with self._posted_lock:
            self.posted.clear()
            self.opened.clear()
