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

from common import workspace_groups

from bot.policy import default_policy_path, load_policy
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
        # The workspace has the user groups the policy names; the team manager the benchmark's case form
        # names holds the policy's team manager role.
        self.groups.update(workspace_groups(load_policy(default_policy_path())))
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


# -- in a process of its own ------------------------------------------------------------------------------
# Answering panelbot's ~1,000 deliveries in the benchmark's own process, the stand-in took the GIL from
# the 50 threads timing the acks, so panelbot's acks were measured late. Run as a script, the stand-in
# serves alone and is steered over HTTP (`/_control/…`) by `RemoteStandIn`, which the benchmark uses the
# same way as a `SlowStandIn`.

class ControlledStandIn(SlowStandIn):
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        if not path.startswith("/_control/"):
            super()._handle(request)
            return
        length = int(request.headers.get("Content-Length") or 0)
        args = json.loads(request.rfile.read(length) or b"{}") if length else {}
        if path == "/_control/delay":
            self.delay = float(args["seconds"])
        elif path == "/_control/forget":
            self.forget()
        elif path == "/_control/groups":
            self.groups.update(args["groups"])
        with self._posted_lock:
            answer = {"calls": len(self.calls), "posted": list(self.posted), "opened": dict(self.opened)}
        self._reply(request, 200, answer)


class RemoteStandIn:
    """A `ControlledStandIn` in a process of its own, with the attributes the benchmark reads."""

    def __init__(self) -> None:
        import subprocess
        import sys

        self._process = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)  # noqa: S603
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        self.api_url = self.base_url + "api/"
        self._posted_lock = threading.RLock()  # guards the cached `opened`
        self._delay = 0.0
        self._opened: dict[str, float] = {}
        self._opened_at = 0.0

    def _control(self, what: str, **args: Any) -> dict[str, Any]:
        from urllib.request import Request, urlopen

        request = Request(self.base_url + "_control/" + what, data=json.dumps(args).encode(),  # noqa: S310
                          headers={"Content-Type": "application/json"})
        with urlopen(request, timeout=30) as answer:  # noqa: S310 (the local stand-in)
            found: dict[str, Any] = json.loads(answer.read())
        return found

    @property
    def delay(self) -> float:
        return self._delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self._delay = seconds
        self._control("delay", seconds=seconds)

    def forget(self) -> None:
        self._control("forget")
        with self._posted_lock:
            self._opened, self._opened_at = {}, 0.0

    def add_groups(self, groups: dict[str, list[str]]) -> None:
        """User groups (ID -> member IDs) for the workspace, beside those it starts with."""
        self._control("groups", groups=groups)

    @property
    def calls(self) -> list[None]:
        return [None] * int(self._control("records")["calls"])

    @property
    def posted(self) -> list[tuple[float, str, str]]:
        return [tuple(row) for row in self._control("records")["posted"]]  # type: ignore[misc]

    @property
    def opened(self) -> dict[str, float]:
        # Fifty people wait for their modal, each looking every 20 ms: one read serves them all for 50 ms.
        with self._posted_lock:
            if time.monotonic() - self._opened_at > 0.05:
                self._opened = dict(self._control("records")["opened"])
                self._opened_at = time.monotonic()
            return self._opened

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


if __name__ == "__main__":
    standin = ControlledStandIn().start()
    print(standin.base_url, flush=True)
    threading.Event().wait()
