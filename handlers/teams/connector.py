"""panelbot's client for the Bot Connector service: the few REST calls a Teams bot makes, synchronous.

    POST v3/conversations                                 a personal chat with one person (`create_chat`)
    POST v3/conversations/{id}/activities                 a message in a chat, or a new post in a channel
    POST v3/conversations/{id}/activities/{activityId}    a reply under a channel post
    PUT  v3/conversations/{id}/activities/{activityId}    a message changed in place (the case card)
    DELETE the same                                       a message taken back (retention)
    GET  v3/conversations/{id}/members                    who is in a channel's team (an e-mail address typed
                                                          on a form is looked up there)

Both Microsoft SDKs' connector clients are async (see handlers/teams/__init__.py), so this is urllib,
as `auth.BotTokens` is. Every call carries the bot token; a 401 drops it and is tried once more with a
fresh one (a token refused for its age, not for the bot's registration). Every failure is a
`bot.notify.DeliveryError` saying what the caller should do, as handlers/slack/notify.py does for Slack,
after Microsoft's "Status codes from bot conversational APIs":

    400 BadArgument                 permanent  bad_argument           what panelbot built is wrong
    401 (twice)                     permanent  unauthorized           the app id or secret is wrong
    403 BotNotInConversationRoster  permanent  bot_not_in_conversation_roster   app removed from chat/team
    403 ConversationBlockedByUser   permanent  conversation_blocked_by_user
    403 ForbiddenOperationException permanent  forbidden_operation_exception    not installed for them
    403 other codes                 permanent  the code in snake_case (bot_disabled_by_admin, ...)
    404 ConversationNotFound        permanent  conversation_not_found
    404 ActivityNotFoundInConversation  permanent  activity_not_found_in_conversation  (deleted message)
    412 PreconditionFailed          retry      precondition_failed    concurrent changes to one conversation
    413 MessageSizeTooBig           permanent  message_size_too_big
    429 Throttled                   retry      ratelimited, retry_after = Retry-After; the RateGate closes
    500, 504                        retry      http_500 / http_504, maybe_sent: Teams may have kept it
    502, 503, other 5xx             retry      http_5xx
    no answer                       retry      timeout / no_answer, maybe_sent; connection_refused is not
    no bot token                    BotTokenError's own `permanent`, code bot_token

Nothing here logs a request or answer body: what the bot sends holds case details, and what Teams
answers can quote it. Codes are ours or Microsoft's fixed error codes.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from bot.notify import PROCESS_GATE, DeliveryError, RateGate
from handlers.teams.auth import BotTokenError, BotTokens
from handlers.teams.rest import error_code, read_refusal

CALL_TIMEOUT = 10.0  # seconds for one connector call
MAX_ANSWER = 1_048_576  # bytes of a connector answer panelbot reads (a roster page is the largest)
MAYBE_DONE_STATUS = frozenset({500, 504})  # the request may have been carried out before it failed
RETRY_STATUS = frozenset({412, 429})

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,60}")


def _snake(code: str) -> str:
    """"BotNotInConversationRoster" -> "bot_not_in_conversation_roster"; anything odd -> "error"."""
    return _CAMEL.sub("_", code).lower() if _CODE.fullmatch(code) else "error"


def _retry_after(value: str | None) -> float:
    try:
        return max(float(value or 1), 0.0)
    except ValueError:
        return 1.0


def refused(status: int, raw: bytes, retry_after: str | None = None) -> DeliveryError:
    """The DeliveryError for a refusal from the connector (the table in this module's docstring)."""
    code = error_code(raw, _CODE)
    if status == 429:
        return DeliveryError("Teams is throttling panelbot", permanent=False, retry_after=_retry_after(retry_after),
                             code="ratelimited")
    if status >= 500:
        return DeliveryError(f"Teams answered {status}", permanent=False, code=f"http_{status}",
                             maybe_sent=status in MAYBE_DONE_STATUS)
    if status == 401:
        return DeliveryError("Teams refused the bot's token", permanent=True, code="unauthorized")
    short = _snake(code) if code else f"http_{status}"
    return DeliveryError(f"Teams refused the call: {short}", permanent=status not in RETRY_STATUS, code=short)


def no_answer(failure: BaseException) -> DeliveryError:
    """No answer from Teams. A refused connection never reached it; a timeout or a connection dropped
    mid-call may have come after Teams kept the message."""
    reason = failure.reason if isinstance(failure, urllib.error.URLError) else failure
    if isinstance(reason, ConnectionRefusedError):
        return DeliveryError("Teams could not be reached", permanent=False, code="connection_refused")
    code = "timeout" if isinstance(reason, TimeoutError) else "no_answer"
    return DeliveryError(f"Teams did not answer ({type(reason).__name__})", permanent=False, code=code,
                         maybe_sent=True)


def _require_service_url(service_url: str) -> str:
    """The connector's base URL as an activity gave it, with one trailing slash. Only http(s): it is
    where the bot token goes."""
    parts = urllib.parse.urlsplit(service_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DeliveryError("the stored service URL is not an http(s) URL", permanent=True, code="bad_service_url")
    return service_url if service_url.endswith("/") else service_url + "/"


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class Connector:
    """The Bot Connector REST API, with the bot's token. `gate` is the process's RateGate: a 429 closes
    it for Retry-After, and while it is closed no call leaves (DeliveryError `ratelimited` at once)."""

    def __init__(self, tokens: BotTokens, *, app_id: str | None = None, gate: RateGate = PROCESS_GATE,
                 timeout: float = CALL_TIMEOUT) -> None:
        self.tokens = tokens
        self.app_id = app_id or tokens.app_id
        self.gate = gate
        self._timeout = timeout

    # -- the calls ---------------------------------------------------------------------------------

    def create_chat(self, service_url: str, user_id: str, tenant_id: str) -> str:
        """The bot's personal chat with one person (Teams gives the same id every time). Returns its id."""
        body = {"isGroup": False, "bot": {"id": f"28:{self.app_id}"}, "members": [{"id": user_id}],
                "tenantId": tenant_id, "channelData": {"tenant": {"id": tenant_id}}}
        answer = self._call("POST", service_url, "v3/conversations", body)
        conversation = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(conversation, str) or not conversation:
            raise DeliveryError("Teams created no conversation", permanent=False, code="no_conversation_id")
        return conversation

    def send(self, service_url: str, conversation: str, activity: Mapping[str, Any]) -> str:
        """Send into a conversation (in a channel, a new post). Returns the new activity's id."""
        return self._activity_id(self._call("POST", service_url, f"v3/conversations/{_segment(conversation)}"
                                                                 "/activities", activity))

    def reply(self, service_url: str, conversation: str, activity_id: str, activity: Mapping[str, Any]) -> str:
        """Reply under an activity (a channel post's thread). Returns the reply's id."""
        path = f"v3/conversations/{_segment(conversation)}/activities/{_segment(activity_id)}"
        return self._activity_id(self._call("POST", service_url, path, activity))

    def update(self, service_url: str, conversation: str, activity_id: str, activity: Mapping[str, Any]) -> None:
        """Change one of the bot's messages in place, for everyone who sees it."""
        path = f"v3/conversations/{_segment(conversation)}/activities/{_segment(activity_id)}"
        self._call("PUT", service_url, path, {**activity, "id": activity_id})

    def delete(self, service_url: str, conversation: str, activity_id: str) -> None:
        path = f"v3/conversations/{_segment(conversation)}/activities/{_segment(activity_id)}"
        self._call("DELETE", service_url, path, None)

    def members(self, service_url: str, conversation: str) -> list[dict[str, Any]]:
        """The people in a conversation (a channel: its team's members), as Teams lists them."""
        answer = self._call("GET", service_url, f"v3/conversations/{_segment(conversation)}/members", None)
        return [member for member in answer if isinstance(member, dict)] if isinstance(answer, list) else []

    # -- one call -------------------------------------------------------------------------------------

    @staticmethod
    def _activity_id(answer: Any) -> str:
        activity_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(activity_id, str) or not activity_id:
            # Teams kept something (it answered 2xx) but did not say what: like a lost answer.
            raise DeliveryError("Teams answered without the message's id", permanent=False, code="no_activity_id",
                                maybe_sent=True)
        return activity_id

    def _call(self, method: str, service_url: str, path: str, body: Mapping[str, Any] | None) -> Any:
        remaining = self.gate.remaining()
        if remaining > 0:
            raise DeliveryError("rate limited: waiting for Retry-After", permanent=False, retry_after=remaining)
        url = _require_service_url(service_url) + path
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        for attempt in (1, 2):
            try:
                token = self.tokens.token()
            except BotTokenError as failed:
                raise DeliveryError("no bot token", permanent=failed.permanent, code="bot_token") from None
            status, raw, retry = self._request(method, url, data, token)
            if status == 401 and attempt == 1:
                self.tokens.forget()  # refused for its age, perhaps: once more with a new one
                continue
            if 200 <= status < 300:
                try:
                    return json.loads(raw) if raw.strip() else None
                except ValueError:
                    return None
            error = refused(status, raw, retry)
            if error.retry_after is not None:
                self.gate.close_for(error.retry_after)
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, method: str, url: str, data: bytes | None, token: str) -> tuple[int, bytes, str | None]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 (checked)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310 (http(s) checked)
                return answer.status, answer.read(MAX_ANSWER), None
        except urllib.error.HTTPError as refusal:
            return read_refusal(refusal, MAX_ANSWER)
        except (OSError, http.client.HTTPException) as failed:
            raise no_answer(failed) from None
