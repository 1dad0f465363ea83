"""Slack-signed requests, built the way Slack builds them: slash commands, view submissions,
block actions, shortcuts and events, each with `X-Slack-Signature` and `X-Slack-Request-Timestamp`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from handlers.slack.standin.webapi import TEAM_ID

_trigger = itertools.count(1)


def form_state(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The `state.values` Slack sends when a person fills `view`'s inputs with `answers`.

    `answers` maps block_id to what was entered: text, a select's option value, a user ID, or a list
    of option values for checkboxes. Blocks not answered are sent empty, as Slack does.
    """
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind, answer = element["type"], answers.get(block["block_id"])
        if kind in ("checkboxes", "multi_static_select"):
            state: dict[str, Any] = {"selected_options": [{"value": value} for value in answer or []]}
        elif kind in ("static_select", "radio_buttons"):
            state = {"selected_option": {"value": answer} if answer is not None else None}
        elif kind == "users_select":
            state = {"selected_user": answer}
        elif kind == "multi_users_select":
            state = {"selected_users": list(answer or [])}
        elif kind == "datepicker":
            state = {"selected_date": answer}
        else:
            state = {"value": None if answer is None else str(answer)}
        values[block["block_id"]] = {element["action_id"]: {"type": kind, **state}}
    return values


@dataclass(frozen=True)
class SignedRequest:
    body: str
    headers: dict[str, str]


@dataclass
class RequestSigner:
    """Builds signed requests for one workspace. `clock` gives the Unix time to sign with."""

    signing_secret: str
    response_url_base: str = "http://127.0.0.1:9/response/"
    clock: Any = field(default=time.time)

    def sign(self, body: str, *, timestamp: int | None = None, retry: int | None = None) -> SignedRequest:
        ts = str(int(self.clock()) if timestamp is None else timestamp)
        digest = hmac.new(self.signing_secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return SignedRequest(body, headers)

    def command(self, user: str, text: str = "", command: str = "/panel", *, channel: str = "C0GENERAL",
                **sign: Any) -> SignedRequest:
        trigger = f"{next(_trigger)}.trigger"
        form = {
            "token": "legacy-unused", "team_id": TEAM_ID, "team_domain": "panel-demo",
            "channel_id": channel, "channel_name": "general", "user_id": user, "user_name": user.lower(),
            "command": command, "text": text, "api_app_id": "A0PANEL01", "is_enterprise_install": "false",
            "response_url": self.response_url_base + trigger, "trigger_id": trigger,
        }
        return self.sign(urlencode(form), **sign)

    def _interactive(self, payload: dict[str, Any], **sign: Any) -> SignedRequest:
        payload.setdefault("team", {"id": TEAM_ID, "domain": "panel-demo"})
        payload.setdefault("api_app_id", "A0PANEL01")
        payload.setdefault("token", "legacy-unused")
        payload.setdefault("trigger_id", f"{next(_trigger)}.trigger")
        return self.sign(urlencode({"payload": json.dumps(payload)}), **sign)

    def view_submission(self, user: str, view: dict[str, Any], values: dict[str, Any], **sign: Any) -> SignedRequest:
        submitted = {"type": "modal", **view, "id": view.get("id", "V0000001"), "state": {"values": values}}
        return self._interactive({"type": "view_submission", "user": {"id": user}, "view": submitted}, **sign)

    def block_action(self, user: str, action_id: str, value: str = "", *, block_id: str = "b",
                     channel: str | None = None, message_ts: str | None = None,
                     view: dict[str, Any] | None = None, **sign: Any) -> SignedRequest:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user},
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id, "value": value,
                         "action_ts": f"{time.time():.6f}"}],
            "response_url": self.response_url_base + "action",
        }
        if channel is not None:
            payload["channel"] = {"id": channel}
            payload["container"] = {"type": "message", "channel_id": channel, "message_ts": message_ts}
            payload["message"] = {"ts": message_ts, "text": ""}
        if view is not None:  # a button in a modal: Slack sends no response_url there
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload.pop("response_url")
        return self._interactive(payload, **sign)

    def shortcut(self, user: str, callback_id: str, **sign: Any) -> SignedRequest:
        return self._interactive({"type": "shortcut", "user": {"id": user}, "callback_id": callback_id}, **sign)

    def event(self, event: dict[str, Any], *, event_id: str = "Ev0001", **sign: Any) -> SignedRequest:
        body = json.dumps({"token": "legacy-unused", "team_id": TEAM_ID, "api_app_id": "A0PANEL01",
                           "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
                           "event": event})
        signed = self.sign(body, **sign)
        return SignedRequest(signed.body, {**signed.headers, "Content-Type": "application/json"})
