"""The Slack stand-in answering every call late: a small wrapper, so bot/standin/webapi.py stays as it is.

`SlowStandIn(delay=0.3)` waits `delay` seconds before it reads and answers any Web API call or
response-URL post (a slow Slack), and notes when each `chat.postMessage` was answered (`posted`:
monotonic seconds, channel, the call's arguments as JSON text) so a benchmark can tell when a case
card reached its channel. `delay` can be changed between phases.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from bot.standin.webapi import SlackStandIn


class SlowStandIn(SlackStandIn):
    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.posted: list[tuple[float, str, str]] = []
        self._posted_lock = threading.Lock()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if self.delay:
            time.sleep(self.delay)
        super()._handle(request)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._answer(method, args)
        if method == "chat.postMessage":
            with self._posted_lock:
                self.posted.append((time.monotonic(), str(args.get("channel", "")), json.dumps(args)))
        return answer

    def forget(self) -> None:
        """Drop what was recorded (calls and posts), keeping the delay."""
        delay = self.delay
        self.reset()
        self.delay = delay
        with self._posted_lock:
            self.posted.clear()
