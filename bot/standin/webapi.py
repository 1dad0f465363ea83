"""A stand-in for Slack's Web API: a real HTTP server on an ephemeral port.

It records every call with its arguments, answers the methods panelbot uses the way Slack does
(`auth.test`, `chat.*`, `views.*`, `conversations.open`, `users.info`), accepts posts to response
URLs, and can be told to fail the next call of a method: HTTP 429 with Retry-After, HTTP 500, or a
Slack error such as `user_not_found`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.standin.files import FileStore

TEAM_ID = "T0PANEL01"
BOT_USER_ID = "U0PANELBOT"


@dataclass
class Call:
    method: str  # e.g. "chat.postMessage", or "response_url" for posts to a response URL
    args: dict[str, Any]
    token: str | None = None


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None


@dataclass
class SlackStandIn:
    """Start with `start()`, point `SLACK_API_URL` at `api_url`, read `calls` afterwards."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)  # user-group ID -> member user IDs
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering (a slow Slack)
        self._history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages posted, oldest first
        self._lock = threading.Lock()
        self._failures: dict[str, list[Failure]] = {}
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.files = FileStore()  # file uploads (files_upload_v2), in bot/standin/files.py

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                standin._handle(self)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base_url}response/{name}"

    # -- scripting and reading -----------------------------------------------------------------

    def add_user(self, user_id: str, name: str, **extra: Any) -> None:
        self.users[user_id] = {"id": user_id, "name": name, "real_name": name, "deleted": False,
                               "is_bot": False, "tz": "Europe/London", **extra}

    def fail_next(self, method: str, *, status: int = 200, error: str | None = None,
                  retry_after: int | None = None, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (429 + Retry-After, 500, or a Slack error)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([Failure(status, error, retry_after)] * times)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._history.clear()
            self.delays.clear()

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    # -- the server side -------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if self.files.handle(self, request):
            return
        path = urlsplit(request.path).path
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode("utf-8") if length else ""
        if request.headers.get("Content-Type", "").startswith("application/json"):
            args: dict[str, Any] = json.loads(raw) if raw else {}
        else:
            args = dict(parse_qsl(raw))
        args.update(dict(parse_qsl(urlsplit(request.path).query)))
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ") or args.pop("token", None)

        if path.startswith("/response/"):
            method = "response_url"
        elif path.startswith("/api/"):
            method = path.removeprefix("/api/")
        else:
            self._reply(request, 404, {"ok": False, "error": "not_found"})
            return

        if self.delays.get(method):
            time.sleep(self.delays[method])
        with self._lock:
            self.calls.append(Call(method, args, token))
            queued = self._failures.get(method)
            failure = queued.pop(0) if queued else None
        if failure is not None and failure.status == 429:
            self._reply(request, 429, {"ok": False, "error": "ratelimited"},
                        {"Retry-After": str(failure.retry_after or 1)})
        elif failure is not None and failure.status >= 500:
            self._reply(request, failure.status, {"ok": False, "error": "internal_error"})
        elif failure is not None:
            self._reply(request, 200, {"ok": False, "error": failure.error or "unknown_error"})
        elif method == "response_url":
            request.send_response(200)
            request.send_header("Content-Type", "text/plain")
            request.end_headers()
            request.wfile.write(b"ok")
        else:
            self._reply(request, 200, self._answer(method, args))

    def _reply(self, request: BaseHTTPRequestHandler, status: int, body: dict[str, Any],
               headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://panel-demo.slack.com/", "team": "Demo Council",
                    "user": "panelbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": "B0PANELBOT",
                    "is_enterprise_install": False}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete"):
            ts = args.get("ts") or f"{1_800_000_000 + next(self._ts)}.000100"
            channel = str(args.get("channel", ""))
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            # Posting to a user ID posts in the app's DM with them, as Slack does.
            channel = _dm_channel(channel) if channel.startswith(("U", "W")) else channel
            message = {"type": "message", "text": args.get("text", ""), "ts": ts, "user": BOT_USER_ID,
                       "blocks": _maybe_json(args.get("blocks")) or []}
            if args.get("metadata"):
                message["metadata"] = _maybe_json(args["metadata"])
            if method == "chat.postMessage":
                with self._lock:
                    self._history.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "conversations.history":
            with self._lock:
                messages = list(self._history.get(str(args.get("channel")), []))
            oldest = float(args.get("oldest") or 0)
            return {"ok": True, "has_more": False,
                    "messages": [m for m in reversed(messages) if float(m["ts"]) >= oldest]}
        if method == "chat.getPermalink":
            return {"ok": True, "channel": args.get("channel"),
                    "permalink": f"https://panel-demo.slack.com/archives/{args.get('channel')}/p{args.get('message_ts')}"}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = _maybe_json(args.get("view")) or {}
            view_id = args.get("view_id") or f"V{next(self._views):08d}"
            return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{view_id}", "team_id": TEAM_ID}}
        if method == "conversations.open":
            users = str(args.get("users", "")).split(",")
            return {"ok": True, "channel": {"id": _dm_channel(users[0])}}
        if method == "usergroups.users.list":
            group = self.groups.get(str(args.get("usergroup")))
            return {"ok": True, "users": group} if group is not None else {"ok": False, "error": "no_such_subteam"}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        return {"ok": True}


def _dm_channel(user: str) -> str:
    """The app's DM channel with a user: the same ID every time, like Slack's."""
    return "D" + user[1:]


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
