"""A stand-in for Slack's Web API: a real HTTP server on an ephemeral port, as strict as Slack.

It records every call with its arguments and answers the methods panelbot uses the way Slack does
(`auth.test`, `chat.*`, `views.*`, `conversations.open|history|replies`, `users.info`,
`usergroups.users.list`), including Slack's refusals:

    views.open / views.push    expired_trigger_id   a trigger older than 3 s on the stand-in's clock
    chat.update                message_not_found    no such message (never posted, or deleted)
                               cant_update_message  a message the app did not post
                               edit_window_closed   older than `edit_window` seconds (when set)
    chat.postMessage           channel_not_found    a channel the workspace does not have, or an unknown user
                               not_in_channel       a channel the app was not invited to
                               is_archived          an archived channel
                               messages_tab_disabled  a DM while the app's Messages tab is off
    conversations.open, users.info   user_not_found
    any message or view        invalid_blocks       over 50 blocks (100 in a modal or Home tab), a
                                                    section's text over 3,000, a header's over 150
                               msg_blocks_too_long  the blocks' text over 12,000 characters in all
                               invalid_metadata_format  metadata that is not {event_type, event_payload}

`conversations.history` is newest first, paginated (`limit`, `cursor`, `has_more`,
`response_metadata.next_cursor`), holds top-level messages only (replies are read with
`conversations.replies`) and carries metadata only with `include_all_metadata`.

The workspace: the channels of the demo council's default policy, with the app invited
(`add_channel` for others); people are known unless removed (`remove_user`), because the request
builder does not register them. A test can also make the next calls of a method fail (HTTP 429 with
Retry-After, HTTP 5xx, or a Slack error), slow a method down (`delays`), drop the connection after
the message was kept (`drop_next`), or decide each call's fate with `misbehave`.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from handlers import standin_server
from handlers.slack.standin.files import FileStore

TEAM_ID = "T0PANEL01"
BOT_USER_ID = "U0PANELBOT"
# The channels of the shipped default policy: the demo workspace has them and the app is invited.
DEMO_CHANNELS = ("C0FORUM001", "C0SENDQAP1", "C0DELEGAT1", "C0URGENT01")
TRIGGER_LIFE = 3.0  # seconds a trigger_id can be exchanged for a modal
MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
SECTION_TEXT, HEADER_TEXT = 3000, 150
BLOCKS_TEXT = 12_000  # all the text in one message's blocks (bolt-js #2509: "12,000 text characters")
HISTORY_PAGE = 200  # Slack may answer fewer than `limit` messages a page; it recommends 200 at most


@dataclass
class Call:
    method: str  # e.g. "chat.postMessage", or "response_url" for posts to a response URL
    args: dict[str, Any]
    token: str | None = None


@dataclass
class Failure:
    """How one call goes wrong. `drop`: no answer at all, the connection closed; with `after_keeping`
    the stand-in first does what was asked (a message is posted), as when a reply is lost on the way."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    drop: bool = False
    after_keeping: bool = False


@dataclass
class Channel:
    member: bool = True  # the app was invited
    archived: bool = False


class SlackError(Exception):
    """An `ok: false` answer."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class SlackStandIn:
    """Start with `start()`, point `SLACK_API_URL` at `api_url`, read `calls` afterwards."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)  # user-group ID -> member user IDs
    calls: list[Call] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic  # the stand-in's own clock: trigger life, edit window

    def __post_init__(self) -> None:
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering (a slow Slack)
        # Decides a call's fate before the stand-in answers it: None to answer normally.
        self.misbehave: Callable[[str, dict[str, Any]], Failure | None] | None = None
        self.edit_window: float | None = None  # seconds after which chat.update answers edit_window_closed
        self.messages_tab = True  # the app's Messages tab (App Home): off, DMs are refused
        self.channels: dict[str, Channel] = {}
        self.gone_users: set[str] = set()
        self._history: dict[str, list[dict[str, Any]]] = {}  # channel -> top-level messages, oldest first
        self._replies: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (channel, thread ts) -> replies
        self._posted_at: dict[tuple[str, str], float] = {}  # (channel, ts) -> stand-in clock when posted
        self._triggers: dict[str, float] = {}  # trigger_id -> stand-in clock when issued
        self._lock = threading.Lock()
        self._failures: dict[str, list[Failure]] = {}
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._issued = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.files = FileStore()  # file uploads (files_upload_v2), in handlers/slack/standin/files.py
        self._workspace()

    def _workspace(self) -> None:
        self.channels = {channel: Channel() for channel in DEMO_CHANNELS}
        self.gone_users = set()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        self._server = standin_server.serve(lambda request, _post: self._handle(request), ("POST",))
        return self

    def stop(self) -> None:
        standin_server.stop(self._server)

    @property
    def base_url(self) -> str:
        return standin_server.base_url(self._server)

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base_url}response/{name}"

    # -- scripting and reading -----------------------------------------------------------------

    def add_user(self, user_id: str, name: str, **extra: Any) -> None:
        self.users[user_id] = {"id": user_id, "name": name, "real_name": name, "deleted": False,
                               "is_bot": False, "tz": "Europe/London", **extra}
        self.gone_users.discard(user_id)

    def remove_user(self, user_id: str) -> None:
        """Slack no longer knows this person (left the workspace, or never was in it)."""
        self.users.pop(user_id, None)
        self.gone_users.add(user_id)

    def add_channel(self, channel: str, *, member: bool = True, archived: bool = False) -> None:
        self.channels[channel] = Channel(member=member, archived=archived)

    def issue_trigger(self) -> str:
        """A trigger_id as Slack sends with an interaction, issued now on the stand-in's clock."""
        trigger = f"{next(self._issued)}.{int(time.time())}.standin"
        with self._lock:
            self._triggers[trigger] = self.clock()
        return trigger

    def delete_message(self, channel: str, ts: str) -> None:
        """Someone deleted this message in Slack."""
        with self._lock:
            threads = [r for (c, _), r in self._replies.items() if c == channel]
            for messages in (self._history.get(channel, []), *threads):
                messages[:] = [m for m in messages if m["ts"] != ts]
            self._posted_at.pop((channel, ts), None)

    def post_as_person(self, channel: str, user: str, text: str) -> str:
        """A message a person posted in a channel (the app cannot edit it)."""
        ts = self._next_ts()
        with self._lock:
            self._history.setdefault(channel, []).append({"type": "message", "text": text, "ts": ts, "user": user})
            self._posted_at[(channel, ts)] = self.clock()
        return ts

    def fail_next(self, method: str, *, status: int = 200, error: str | None = None,
                  retry_after: int | None = None, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (429 + Retry-After, 500, or a Slack error)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([Failure(status, error, retry_after)] * times)

    def drop_next(self, method: str, *, after_keeping: bool = True, times: int = 1) -> None:
        """Close the connection of the next `times` calls without answering; with `after_keeping`,
        after doing what was asked (the message is in Slack, the caller never hears so)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([Failure(drop=True, after_keeping=after_keeping)] * times)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._history.clear()
            self._replies.clear()
            self._posted_at.clear()
            self._triggers.clear()
            self.delays.clear()
            self.misbehave = None
            self.edit_window = None
            self.messages_tab = True
            self.clock = time.monotonic
            self._workspace()

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def all_messages(self) -> list[tuple[str, dict[str, Any]]]:
        """Every message Slack holds now, with its channel: top-level ones and thread replies."""
        with self._lock:
            top = [(channel, m) for channel, messages in self._history.items() for m in messages]
            replies = [(channel, m) for (channel, _), messages in self._replies.items() for m in messages]
        return top + replies

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """What the channel (or DM channel) holds now, oldest first, thread replies included."""
        with self._lock:
            found = list(self._history.get(channel, []))
            for (where, _), replies in self._replies.items():
                if where == channel:
                    found.extend(replies)
        return sorted(found, key=lambda m: float(m["ts"]))

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
        if failure is None and self.misbehave is not None:
            failure = self.misbehave(method, args)
        if failure is not None and failure.drop:
            if failure.after_keeping and method != "response_url":
                self._answer_or_refuse(method, args)
            request.close_connection = True  # no status line, no body: the caller sees the connection drop
        elif failure is not None and failure.status == 429:
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
            self._reply(request, 200, self._answer_or_refuse(method, args))

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

    def _answer_or_refuse(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._answer(method, args)
        except SlackError as refused:
            return {"ok": False, "error": refused.error}

    def _next_ts(self) -> str:
        return f"{1_800_000_000 + next(self._ts)}.000100"

    def _where(self, channel: str) -> str:
        """The conversation a message to `channel` goes to, or SlackError as Slack would refuse it."""
        if channel.startswith(("U", "W")):  # a user ID: the app's DM with them
            if channel in self.gone_users:
                raise SlackError("channel_not_found")
            if not self.messages_tab:
                raise SlackError("messages_tab_disabled")
            return _dm_channel(channel)
        if channel.startswith("D"):
            if ("U" + channel[1:]) in self.gone_users:
                raise SlackError("channel_not_found")
            if not self.messages_tab:
                raise SlackError("messages_tab_disabled")
            return channel
        known = self.channels.get(channel)
        if known is None:
            raise SlackError("channel_not_found")
        if known.archived:
            raise SlackError("is_archived")
        if not known.member:
            raise SlackError("not_in_channel")
        return channel

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://panel-demo.slack.com/", "team": "Demo Council",
                    "user": "panelbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": "B0PANELBOT",
                    "is_enterprise_install": False}
        if method == "chat.postEphemeral":
            self._where(str(args.get("channel", "")))
            _check_blocks(_maybe_json(args.get("blocks")), MESSAGE_BLOCKS)
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.postMessage":
            return self._post(args)
        if method == "chat.update":
            return self._update(args)
        if method == "chat.delete":
            channel = self._where(str(args.get("channel", "")))
            self.delete_message(channel, str(args.get("ts")))
            return {"ok": True, "channel": channel, "ts": args.get("ts")}
        if method == "conversations.history":
            return self._read(self._history.get(str(args.get("channel")), []), args)
        if method == "conversations.replies":
            key = (str(args.get("channel")), str(args.get("ts")))
            with self._lock:
                parent = [m for m in self._history.get(key[0], []) if m["ts"] == key[1]]
            if not parent:
                raise SlackError("thread_not_found")
            return self._read(parent + self._replies.get(key, []), args, newest_first=False)
        if method == "chat.getPermalink":
            return {"ok": True, "channel": args.get("channel"),
                    "permalink": f"https://panel-demo.slack.com/archives/{args.get('channel')}/p{args.get('message_ts')}"}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = _maybe_json(args.get("view")) or {}
            if method in ("views.open", "views.push"):
                self._exchange(str(args.get("trigger_id", "")))
            if method == "views.publish" and str(args.get("user_id", "")) in self.gone_users:
                raise SlackError("user_not_found")
            _check_blocks(view.get("blocks"), VIEW_BLOCKS)
            view_id = args.get("view_id") or f"V{next(self._views):08d}"
            return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{view_id}", "team_id": TEAM_ID}}
        if method == "conversations.open":
            users = str(args.get("users", "")).split(",")
            if users[0] in self.gone_users:
                raise SlackError("user_not_found")
            return {"ok": True, "channel": {"id": _dm_channel(users[0])}}
        if method == "usergroups.users.list":
            group = self.groups.get(str(args.get("usergroup")))
            return {"ok": True, "users": group} if group is not None else {"ok": False, "error": "no_such_subteam"}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        return {"ok": True}

    def _exchange(self, trigger: str) -> None:
        """A trigger the stand-in issued lives TRIGGER_LIFE seconds. One it never issued (the request
        builder does not tell it) is taken as issued at its first use."""
        with self._lock:
            issued = self._triggers.setdefault(trigger, self.clock())
        if self.clock() - issued > TRIGGER_LIFE:
            raise SlackError("expired_trigger_id")

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._where(str(args.get("channel", "")))
        blocks = _maybe_json(args.get("blocks"))
        _check_blocks(blocks, MESSAGE_BLOCKS)
        message: dict[str, Any] = {"type": "message", "text": args.get("text", ""), "ts": self._next_ts(),
                                   "user": BOT_USER_ID, "bot_id": "B0PANELBOT", "blocks": blocks or []}
        if args.get("metadata"):
            message["metadata"] = _check_metadata(_maybe_json(args["metadata"]))
        thread = args.get("thread_ts")
        with self._lock:
            if thread:
                if not any(m["ts"] == str(thread) for m in self._history.get(channel, [])):
                    raise SlackError("thread_not_found")
                message["thread_ts"] = str(thread)
                self._replies.setdefault((channel, str(thread)), []).append(message)
            else:
                self._history.setdefault(channel, []).append(message)
            self._posted_at[(channel, message["ts"])] = self.clock()
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._where(str(args.get("channel", "")))
        ts = str(args.get("ts", ""))
        blocks = _maybe_json(args.get("blocks"))
        _check_blocks(blocks, MESSAGE_BLOCKS)
        metadata = _check_metadata(_maybe_json(args["metadata"])) if args.get("metadata") else None
        with self._lock:
            found = [m for m in self._history.get(channel, []) if m["ts"] == ts] or \
                [m for (c, _), replies in self._replies.items() if c == channel for m in replies if m["ts"] == ts]
            if not found:
                raise SlackError("message_not_found")
            message = found[0]
            if message.get("user") != BOT_USER_ID:
                raise SlackError("cant_update_message")
            posted = self._posted_at.get((channel, ts), self.clock())
            if self.edit_window is not None and self.clock() - posted > self.edit_window:
                raise SlackError("edit_window_closed")
            message["text"] = args.get("text", message["text"])
            if blocks is not None:
                message["blocks"] = blocks
            if metadata is not None:
                message["metadata"] = metadata
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _read(self, stored: list[dict[str, Any]], args: dict[str, Any], *, newest_first: bool = True) -> dict[str, Any]:
        """One page of messages, as conversations.history (newest first) or .replies (oldest first)."""
        with self._lock:
            messages = list(stored)
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 0) or float("inf")
        chosen = [m for m in messages if (oldest <= float(m["ts"]) <= latest if inclusive
                                          else oldest < float(m["ts"]) < latest)]
        chosen.sort(key=lambda m: float(m["ts"]), reverse=newest_first)
        start = int(base64.b64decode(args["cursor"]).decode().removeprefix("offset:")) if args.get("cursor") else 0
        size = max(1, min(int(args.get("limit") or 100), HISTORY_PAGE))
        page = chosen[start:start + size]
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        page = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + size < len(chosen)
        cursor = base64.b64encode(f"offset:{start + size}".encode()).decode() if more else ""
        return {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}


def block_texts(value: Any) -> list[str]:
    """Every `text` string inside a block structure (what Slack counts against msg_blocks_too_long)."""
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for k, v in value.items() if k != "text" or not isinstance(v, str) for t in block_texts(v)]
    if isinstance(value, list):
        return [t for item in value for t in block_texts(item)]
    return []


def _check_blocks(blocks: Any, most: int) -> None:
    if blocks is None:
        return
    if not isinstance(blocks, list) or len(blocks) > most:
        raise SlackError("invalid_blocks")
    for block in blocks:
        text = (block.get("text") or {}).get("text", "") if isinstance(block, dict) else ""
        if not isinstance(block, dict) or "type" not in block:
            raise SlackError("invalid_blocks")
        if block["type"] == "section" and (len(text) > SECTION_TEXT or len(block.get("fields", [])) > 10):
            raise SlackError("invalid_blocks")
        if block["type"] == "header" and len(text) > HEADER_TEXT:
            raise SlackError("invalid_blocks")
    if most == MESSAGE_BLOCKS and sum(map(len, block_texts(blocks))) > BLOCKS_TEXT:
        raise SlackError("msg_blocks_too_long")


def _check_metadata(metadata: Any) -> dict[str, Any]:
    if not (isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str) and metadata["event_type"]
            and isinstance(metadata.get("event_payload"), dict)):
        raise SlackError("invalid_metadata_format")
    return metadata


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
