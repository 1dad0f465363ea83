"""A stand-in for Microsoft's side of Teams: a real HTTP server on an ephemeral port, as strict as Teams.

It plays the three services panelbot talks to, and records every call (`calls`, `calls_to`):

    Entra ID token endpoint   POST /{tenant}/oauth2/v2.0/token          client credentials -> a bot token
    Bot Framework OpenID      GET  /v1/.well-known/openidconfiguration  metadata naming the key set
                              GET  /v1/.well-known/keys                 keys, each with `endorsements`
    Bot Connector service     under `service_url` (a path prefix, like https://smba.trafficmanager.net/uk/)
        POST   v3/conversations                                create a personal chat or a channel thread
        POST   v3/conversations/{id}/activities                send
        POST   v3/conversations/{id}/activities/{activityId}   reply
        PUT    v3/conversations/{id}/activities/{activityId}   update
        DELETE v3/conversations/{id}/activities/{activityId}   delete
        GET    v3/conversations/{id}/members                   the roster

It also makes what Teams sends panelbot: `message_from(user, text)` builds an inbound activity and
`sign_activity(activity)` its Authorization header, signed by a key the JWKS publishes endorsed for
"msteams"; `sign(claims, key=...)` makes the forged and broken tokens tests need.

The connector refuses as Teams documents ("Status codes from bot conversational APIs"), with the
body {"error": {"code": ..., "message": ...}}:

    401  no code; ASP.NET's {"message": ...}   no bot token, one the stand-in never issued, or an expired one
    400  BadArgument        a body that is not JSON or not an activity the Teams SDK's ActivityParams takes;
                            anything but a message or typing (a message with neither text nor an
                            attachment, too); an attachment whose contentType Teams does
                            not know; an Adaptive Card that is not {type: AdaptiveCard, version 1.0-1.5}
                            (stricter than Teams, which posts it and shows an error card instead); a
                            personal chat to create without exactly one known member or without the
                            tenant; a channel thread to create without its first message
    403  ForbiddenOperationException  creating a personal chat with someone who has not installed the app
    403  BotNotInConversationRoster   a conversation the app is not in: a personal chat whose person has
                                      since removed the app, a channel of a team without it
    403  NotEnoughPermissions         updating or deleting a message the bot did not send
    404  ConversationNotFound
    404  ActivityNotFoundInConversation  replying to, updating or deleting an unknown or deleted activity
    413  MessageSizeTooBig  a body over 28,000 bytes (Teams: "approximately 28 KB")

The token endpoint refuses as Entra ID does ({"error", "error_description", "error_codes"}): 401
invalid_client (wrong secret), 400 unauthorized_client (unknown app id), unsupported_grant_type,
invalid_scope, invalid_request (not a form, unknown tenant).

A test can make the next calls of an operation ("token", "metadata", "keys", "create", "send",
"reply", "update", "delete", "members") fail (`fail_next`: 429 Throttled with Retry-After, 412, 5xx),
drop the connection (`drop_next`), either of them after doing what was asked (`after_keeping`: the
message is in Teams, the bot is told otherwise or nothing), or wait first (`delays`).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from microsoft_teams.api import ActivityParams
from pydantic import TypeAdapter, ValidationError

from handlers import standin_server
from handlers.teams.auth import BOT_FRAMEWORK_ISSUER, BOT_FRAMEWORK_SCOPE, SERVICE_URL_CLAIM, TEAMS_CHANNEL

TENANT_ID = "6d1f0c9e-3b2a-4c8d-9e7f-c0c1c2c3c4c5"  # the demo council's Microsoft 365 tenant
BOT_APP_ID = "0f8e2d4c-6b1a-4f3e-8d2c-5a6b7c8d9e0f"  # panelbot's Microsoft app id (the bot's id too)
APP_SECRET = "standin-app-secret"  # noqa: S105 (the stand-in's own test credential)
BOT_NAME = "panelbot"
BOT_ACCOUNT_ID = "28:" + BOT_APP_ID  # how Teams names the bot in activities
MULTI_TENANT = "botframework.com"  # the token endpoint's tenant for multi-tenant bots
SERVICE_PATH = "uk/"  # the connector's path prefix, as in https://smba.trafficmanager.net/uk/

MESSAGE_LIMIT = 28_000  # bytes of one request body the connector takes
TOKEN_LIFETIME = 3599  # seconds a bot token lives (Entra ID's usual answer)
INBOUND_TOKEN_LIFETIME = 3600  # seconds a token on an inbound activity lives
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")  # Teams renders up to 1.5
ATTACHMENT_TYPES = frozenset({
    ADAPTIVE_CARD, "application/vnd.microsoft.card.hero", "application/vnd.microsoft.card.thumbnail",
    "application/vnd.microsoft.card.o365connector", "application/vnd.microsoft.card.oauth",
    "application/vnd.microsoft.card.signin", "application/vnd.microsoft.card.list",
    "application/vnd.microsoft.teams.card.file.consent", "application/vnd.microsoft.teams.card.file.info",
})
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})  # inline images, by contentUrl
DENIED = {"message": "Authorization has been denied for this request."}
_ACTIVITY_PARAMS: TypeAdapter[Any] = TypeAdapter(ActivityParams)
_STATUS_CODES = {412: "PreconditionFailed", 429: "Throttled", 500: "ServiceError", 502: "ServiceError"}


@dataclass
class Call:
    operation: str  # "token", "metadata", "keys", "create", "send", "reply", "update", "delete", "members"
    path: str
    body: Any = None  # the JSON sent (the form, for "token"); None when there was none
    token: str | None = None  # the bearer token it carried


@dataclass
class Failure:
    """How one call goes wrong. `drop`: no answer at all, the connection closed; with `after_keeping`
    the stand-in first does what was asked, as when Teams keeps a message but the answer is lost."""

    status: int = 500
    retry_after: int | None = None
    drop: bool = False
    after_keeping: bool = False


@dataclass
class Held:
    """An activity the stand-in holds, as it is now (updates applied)."""

    conversation: str
    activity: dict[str, Any]
    sender: str  # BOT_ACCOUNT_ID, or the user id of a person
    deleted: bool = False


@dataclass
class Channel:
    team: str
    members: list[str]
    installed: bool = True  # the app is installed in the channel's team


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey
    endorsements: tuple[str, ...]
    published: bool = True


class TeamsError(Exception):
    """A refusal, as the status and body Teams answers with."""

    def __init__(self, status: int, code: str | None = None, message: str = "") -> None:
        super().__init__(code or str(status))
        self.status = status
        self.body: Any = {"error": {"code": code, "message": message}} if code else {"message": message}


def _bad(message: str) -> TeamsError:
    return TeamsError(400, "BadArgument", message)


@functools.cache
def _private_key(name: str) -> rsa.RSAPrivateKey:
    """One RSA key per name for the whole test run (making them is the slow part of starting)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class TeamsStandIn:
    """Start with `start()`; point the bot at `service_url`, `token_url` and `metadata_url`; read
    `calls`, `sent_to`, `posted_in` and `activities_in` afterwards."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> TeamsChannelAccount
    calls: list[Call] = field(default_factory=list)
    clock: Callable[[], float] = time.time  # seconds since the epoch: token issue and expiry

    def __post_init__(self) -> None:
        self.installed: set[str] = set()  # users who have the app in their personal scope
        self.channels: dict[str, Channel] = {}
        self.delays: dict[str, float] = {}  # operation -> seconds to wait before answering
        self.token_lifetime = TOKEN_LIFETIME
        self.keys: dict[str, SigningKey] = {
            "teams": SigningKey("bf-teams-1", _private_key("teams"), ("msteams", "skype")),
            "webchat": SigningKey("bf-webchat-1", _private_key("webchat"), ("webchat", "directline")),
            "stranger": SigningKey("stranger-1", _private_key("stranger"), ("msteams",), published=False),
        }
        self._entra_key = _private_key("entra")
        self._held: dict[str, Held] = {}  # activity id -> activity
        self._personal: dict[str, str] = {}  # conversation id -> the person in that personal chat
        self._issued: dict[str, float] = {}  # bot token -> when it expires, on `clock`
        self._failures: dict[str, list[Failure]] = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1_795_000_000_001)
        self._rotations = itertools.count(2)
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> TeamsStandIn:
        # A short poll so stop() returns at once: tests start a stand-in each.
        self._server = standin_server.serve(self._handle, ("GET", "POST", "PUT", "DELETE"), poll_interval=0.02)
        return self

    def stop(self) -> None:
        standin_server.stop(self._server)

    @property
    def base_url(self) -> str:
        return standin_server.base_url(self._server)

    @property
    def service_url(self) -> str:
        """The connector's base URL, as an activity's serviceUrl carries it (with its trailing slash)."""
        return self.base_url + SERVICE_PATH

    @property
    def metadata_url(self) -> str:
        return self.base_url + "v1/.well-known/openidconfiguration"

    def token_url(self, tenant: str = MULTI_TENANT) -> str:
        return f"{self.base_url}{tenant}/oauth2/v2.0/token"

    # -- the directory: people, channels, the app's installs -------------------------------------

    def add_user(self, name: str, *, installed: bool = True) -> str:
        """Someone in the council's tenant; with `installed`, they have the app in their personal scope.
        Returns their Teams user id (29:...)."""
        digest = hashlib.sha256(name.encode()).hexdigest()
        user_id = "29:1" + digest[:40]
        given, _, surname = name.partition(" ")
        login = name.lower().replace(" ", ".") + "@council.example"
        with self._lock:
            self.users[user_id] = {
                "id": user_id, "name": name, "aadObjectId": _guid(digest[20:]), "givenName": given,
                "surname": surname, "email": login, "userPrincipalName": login, "tenantId": TENANT_ID,
                "userRole": "user",
            }
            if installed:
                self.installed.add(user_id)
        return user_id

    def add_channel(self, name: str, members: list[str], *, installed: bool = True) -> str:
        """A team's channel, with the team's members; with `installed`, the app is in the team.
        Returns the channel id (19:...@thread.tacv2)."""
        channel_id = f"19:{hashlib.sha256(name.encode()).hexdigest()[:32]}@thread.tacv2"
        with self._lock:
            self.channels[channel_id] = Channel(team=channel_id, members=list(members), installed=installed)
        return channel_id

    def install(self, where: str) -> None:
        """A person adds the app (personal scope), or it is added to a channel's team."""
        with self._lock:
            if where in self.channels:
                self.channels[where].installed = True
            else:
                self.installed.add(where)

    def uninstall(self, where: str) -> None:
        """A person removes the app, or it is removed from a channel's team."""
        with self._lock:
            if where in self.channels:
                self.channels[where].installed = False
            else:
                self.installed.discard(where)

    # -- failures ------------------------------------------------------------------------------

    def fail_next(self, operation: str, *, status: int = 500, retry_after: int | None = None,
                  after_keeping: bool = False, times: int = 1) -> None:
        """Make the next `times` calls of `operation` fail with `status` (429 carries Retry-After); with
        `after_keeping`, after doing what was asked (a gateway timing out on a message Teams kept)."""
        with self._lock:
            failure = Failure(status, retry_after, after_keeping=after_keeping)
            self._failures.setdefault(operation, []).extend([failure] * times)

    def drop_next(self, operation: str, *, after_keeping: bool = True, times: int = 1) -> None:
        """Close the connection of the next `times` calls without answering; with `after_keeping`,
        after doing what was asked (the message is in Teams, the caller never hears so)."""
        with self._lock:
            self._failures.setdefault(operation, []).extend([Failure(drop=True, after_keeping=after_keeping)] * times)

    # -- tokens -----------------------------------------------------------------------------------

    def rotate_keys(self) -> str:
        """Microsoft rolls its signing key: a new key is published beside the old one and signs from
        now on. Returns the new kid."""
        kid = f"bf-teams-{next(self._rotations)}"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with self._lock:
            self.keys[f"teams-{kid}"] = self.keys["teams"]  # the old key stays published
            self.keys["teams"] = SigningKey(kid, key, ("msteams", "skype"))
        return kid

    def token_claims(self, activity: dict[str, Any]) -> dict[str, Any]:
        """The claims of the token the Bot Connector sends with `activity`."""
        now = int(self.clock())
        return {SERVICE_URL_CLAIM: activity.get("serviceUrl"), "nbf": now - 5, "exp": now + INBOUND_TOKEN_LIFETIME,
                "iss": BOT_FRAMEWORK_ISSUER, "aud": BOT_APP_ID}

    def sign(self, claims: dict[str, Any], *, key: str = "teams", algorithm: str = "RS256",
             kid: str | None = None) -> str:
        """A token with these claims, signed by one of `keys` ("teams", "webchat", "stranger")."""
        signing = self.keys[key]
        return jwt.encode(claims, signing.private, algorithm=algorithm,
                          headers={"kid": kid or signing.kid, "x5t": kid or signing.kid})

    def sign_activity(self, activity: dict[str, Any], *, key: str = "teams", **claims: Any) -> dict[str, str]:
        """The headers Teams posts `activity` with. `claims` replace the usual ones (None removes one)."""
        wanted = {**self.token_claims(activity), **claims}
        token = self.sign({name: value for name, value in wanted.items() if value is not None}, key=key)
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=utf-8"}

    def expire_tokens(self) -> None:
        """Every bot token issued so far expires now."""
        with self._lock:
            self._issued = dict.fromkeys(self._issued, self.clock() - 1)

    # -- what Teams sends panelbot ---------------------------------------------------------------

    def message_from(self, user: str, text: str = "", *, channel: str | None = None,
                     value: dict[str, Any] | None = None) -> dict[str, Any]:
        """The activity Teams posts when `user` writes `text` to the bot: in their personal chat, or
        @mentioning it in `channel`. `value` is an Adaptive Card's Action.Submit data. The stand-in
        keeps it, so the bot can reply to it."""
        person = self.users[user]
        activity_id = self._next_id()
        sender = {"id": user, "name": person["name"], "aadObjectId": person["aadObjectId"]}
        activity: dict[str, Any] = {
            "type": "message", "id": activity_id, "timestamp": _iso(self.clock()),
            "localTimestamp": _iso(self.clock()), "serviceUrl": self.service_url, "channelId": TEAMS_CHANNEL,
            "from": sender, "recipient": {"id": BOT_ACCOUNT_ID, "name": BOT_NAME}, "textFormat": "plain",
            "locale": "en-GB", "text": text,
            "entities": [{"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web",
                          "timezone": "Europe/London"}],
        }
        if value is not None:
            activity["value"] = value
        if channel is None:
            conversation = _personal_id(user)
            with self._lock:
                self._personal[conversation] = user
            activity["conversation"] = {"conversationType": "personal", "tenantId": TENANT_ID, "id": conversation}
            activity["channelData"] = {"tenant": {"id": TENANT_ID}}
        else:
            conversation = f"{channel};messageid={activity_id}"
            mention = f"<at>{BOT_NAME}</at>"
            activity["text"] = f"{mention} {text}".rstrip()
            activity["entities"].append({"type": "mention", "text": mention,
                                         "mentioned": {"id": BOT_ACCOUNT_ID, "name": BOT_NAME}})
            activity["conversation"] = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT_ID,
                                        "id": conversation}
            activity["channelData"] = {"teamsChannelId": channel, "teamsTeamId": self.channels[channel].team,
                                       "channel": {"id": channel}, "team": {"id": self.channels[channel].team},
                                       "tenant": {"id": TENANT_ID}}
        with self._lock:
            self._held[activity_id] = Held(conversation, activity, user)
        return activity

    # -- reading what the bot did -------------------------------------------------------------------

    def calls_to(self, operation: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.operation == operation]

    def activities_in(self, conversation: str) -> list[dict[str, Any]]:
        """What a conversation holds now, oldest first: a personal chat, a channel thread, or a whole
        channel (all its threads)."""
        with self._lock:
            return [held.activity for held in self._held.values() if not held.deleted
                    and (held.conversation == conversation or held.conversation.startswith(conversation + ";"))]

    def sent_to(self, user: str) -> list[dict[str, Any]]:
        """What the bot has sent `user` in their personal chat, and which is still there."""
        return [a for a in self.activities_in(_personal_id(user)) if a["from"]["id"] == BOT_ACCOUNT_ID]

    def posted_in(self, channel: str) -> list[dict[str, Any]]:
        """What the bot has posted in `channel`, its threads included, and which is still there."""
        return [a for a in self.activities_in(channel) if a["from"]["id"] == BOT_ACCOUNT_ID]

    # -- the server side ---------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, verb: str) -> None:
        path = urlsplit(request.path).path
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        authorization = request.headers.get("Authorization") or ""
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
        route = _route(verb, path)
        if route is None:
            self._reply(request, 404, {"message": f"No HTTP resource was found that matches {verb} {path}."})
            return
        operation, params = route
        if self.delays.get(operation):
            time.sleep(self.delays[operation])
        with self._lock:
            self.calls.append(Call(operation, path, _recorded(raw, request.headers.get("Content-Type", "")), token))
            queued = self._failures.get(operation)
            failure = queued.pop(0) if queued else None
        if failure is not None and failure.after_keeping:
            with contextlib.suppress(TeamsError):  # kept or refused, the caller does not hear which
                self._answer(operation, params, raw, token, request.headers.get("Content-Type", ""))
        if failure is not None and failure.drop:
            request.close_connection = True  # no status line, no body: the caller sees the connection drop
        elif failure is not None:
            code = _STATUS_CODES.get(failure.status)
            body = {"error": {"code": code, "message": "Too many requests." if failure.status == 429
                              else "The service failed to handle the request."}} if code else None
            headers = {"Retry-After": str(failure.retry_after or 1)} if failure.status == 429 else {}
            self._reply(request, failure.status, body, headers)
        else:
            try:
                status, body = self._answer(operation, params, raw, token, request.headers.get("Content-Type", ""))
            except TeamsError as refused:
                status, body = refused.status, refused.body
            self._reply(request, status, body)

    def _reply(self, request: BaseHTTPRequestHandler, status: int, body: Any,
               headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        request.send_response(status)
        if body is not None:
            request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _answer(self, operation: str, params: dict[str, str], raw: bytes, token: str | None,
                content_type: str) -> tuple[int, Any]:
        if operation == "metadata":
            return 200, {"issuer": BOT_FRAMEWORK_ISSUER, "authorization_endpoint": "https://invalid.botframework.com",
                         "jwks_uri": self.base_url + "v1/.well-known/keys",
                         "id_token_signing_alg_values_supported": ["RS256"],
                         "token_endpoint_auth_methods_supported": ["private_key_jwt"]}
        if operation == "keys":
            with self._lock:
                return 200, {"keys": [_jwk(key) for key in self.keys.values() if key.published]}
        if operation == "token":
            return self._issue(params["tenant"], raw, content_type)
        self._authorise(token)
        if len(raw) > MESSAGE_LIMIT:
            raise TeamsError(413, "MessageSizeTooBig", "Message size too large.")
        with self._lock:
            conversation = params.get("conversation", "")
            if operation == "create":
                return 201, self._create(_json(raw))
            if operation == "members":
                return 200, [self.users[user] for user in self._roster(conversation)]
            if operation == "send":
                activity = _check_activity(_json(raw))
                return 201, self._sent(conversation, activity)
            target = self._activity(conversation, params["activity"])
            if operation == "reply":
                activity = _check_activity(_json(raw))
                return 201, self._sent(conversation, activity, reply_to=target)
            if target.sender != BOT_ACCOUNT_ID:
                raise TeamsError(403, "NotEnoughPermissions", "The bot can only change its own messages.")
            if operation == "update":
                self._update(target, _check_activity(_json(raw), update=True))
                return 200, {"id": params["activity"]}
            target.deleted = True  # "delete"
            return 200, None

    def _issue(self, tenant: str, raw: bytes, content_type: str) -> tuple[int, Any]:
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return _entra_error(400, "invalid_request", 900144, "The request body must contain the following "
                                "parameter: 'grant_type'.")
        if tenant not in (MULTI_TENANT, TENANT_ID):
            return _entra_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        form = dict(parse_qsl(raw.decode("utf-8")))
        if form.get("grant_type") != "client_credentials":
            return _entra_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if form.get("client_id") != BOT_APP_ID:
            return _entra_error(400, "unauthorized_client", 700016, "Application was not found in the directory.")
        if form.get("client_secret") != APP_SECRET:
            return _entra_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != BOT_FRAMEWORK_SCOPE:
            return _entra_error(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' "
                                "is not valid.")
        now = self.clock()
        token = jwt.encode({"aud": BOT_FRAMEWORK_ISSUER, "iss": f"https://sts.windows.net/{TENANT_ID}/",
                            "iat": int(now), "nbf": int(now), "exp": int(now) + self.token_lifetime,
                            "appid": BOT_APP_ID, "tid": TENANT_ID, "jti": self._next_id()},
                           self._entra_key, algorithm="RS256", headers={"kid": "entra-1"})
        with self._lock:
            self._issued[token] = now + self.token_lifetime
        return 200, {"token_type": "Bearer", "expires_in": self.token_lifetime,
                     "ext_expires_in": self.token_lifetime, "access_token": token}

    def _authorise(self, token: str | None) -> None:
        with self._lock:
            expires = self._issued.get(token or "")
        if expires is None or self.clock() >= expires:
            raise TeamsError(401, None, DENIED["message"])

    def _create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _bad("The request body is not a conversation to create.")
        channel_data = body.get("channelData")
        bot = body.get("bot")
        if bot is not None and (not isinstance(bot, dict) or bot.get("id") not in (BOT_ACCOUNT_ID, BOT_APP_ID)):
            raise _bad("The bot in the request is not this bot.")
        first = _check_activity(body["activity"]) if body.get("activity") is not None else None
        if body.get("isGroup"):
            channel = _field(channel_data, "channel", "id")
            if channel not in self.channels:
                raise TeamsError(404, "ConversationNotFound", "Conversation not found.")
            if not self.channels[channel].installed:
                raise TeamsError(403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
            if first is None:
                raise _bad("A new channel conversation needs its first message.")
            activity_id = self._send(channel, first)
            return {"id": self._held[activity_id].conversation, "activityId": activity_id}
        tenant = body.get("tenantId") or _field(channel_data, "tenant", "id")
        if tenant != TENANT_ID:
            raise _bad("The tenant id is missing or is not this tenant's.")
        members = body.get("members")
        if not isinstance(members, list) or len(members) != 1 or not isinstance(members[0], dict):
            raise _bad("A personal conversation has exactly one member.")
        user = members[0].get("id")
        if user not in self.users:
            raise _bad("Invalid user identity in provided tenant.")
        if user not in self.installed:
            raise TeamsError(403, "ForbiddenOperationException", "Bot is not installed in user's personal scope.")
        conversation = _personal_id(user)
        self._personal[conversation] = user
        answer: dict[str, Any] = {"id": conversation}
        if first is not None:
            answer["activityId"] = self._send(conversation, first)
        return answer

    def _roster(self, conversation: str) -> list[str]:
        """The people in a conversation the bot is in, or TeamsError as Teams would refuse it."""
        if conversation in self._personal:
            user = self._personal[conversation]
            if user not in self.installed:
                raise TeamsError(403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
            return [user]
        channel, _, thread = conversation.partition(";messageid=")
        known = self.channels.get(channel)
        if known is None or (thread and (thread not in self._held or self._held[thread].conversation != conversation)):
            raise TeamsError(404, "ConversationNotFound", "Conversation not found.")
        if not known.installed:
            raise TeamsError(403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
        return known.members

    def _activity(self, conversation: str, activity_id: str) -> Held:
        self._roster(conversation)
        held = self._held.get(activity_id)
        in_conversation = held is not None and (held.conversation == conversation
                                                or held.conversation.startswith(conversation + ";"))
        if held is None or held.deleted or not in_conversation:
            raise TeamsError(404, "ActivityNotFoundInConversation", "Conversation not found.")
        return held

    def _sent(self, conversation: str, activity: dict[str, Any], *, reply_to: Held | None = None) -> dict[str, Any]:
        """The answer to a send or reply: a typing indicator is shown, not kept, and has no id."""
        if activity["type"] == "typing":
            self._roster(conversation)
            return {}
        return {"id": self._send(conversation, activity, reply_to=reply_to)}

    def _send(self, conversation: str, activity: dict[str, Any], *, reply_to: Held | None = None) -> str:
        """Keep what the bot sent; a message to a channel itself starts a new thread there."""
        self._roster(conversation)
        activity_id = self._next_id()
        if reply_to is not None:
            where = reply_to.conversation
        elif conversation in self.channels:
            where = f"{conversation};messageid={activity_id}"
        else:
            where = conversation
        kept = {**activity, "id": activity_id, "timestamp": _iso(self.clock()), "channelId": TEAMS_CHANNEL,
                "serviceUrl": self.service_url, "from": {"id": BOT_ACCOUNT_ID, "name": BOT_NAME},
                "conversation": {"id": where}}
        if reply_to is not None:
            kept["replyToId"] = reply_to.activity["id"]
        self._held[activity_id] = Held(where, kept, BOT_ACCOUNT_ID)
        return activity_id

    def _update(self, held: Held, activity: dict[str, Any]) -> None:
        fixed = {k: held.activity[k] for k in ("id", "timestamp", "channelId", "serviceUrl", "from", "conversation",
                                               "replyToId") if k in held.activity}
        held.activity = {**activity, **fixed}

    def _next_id(self) -> str:
        return str(next(self._ids))


def _route(verb: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The operation a request asks for and its path parameters, or None for no such resource."""
    if verb == "GET" and path == "/v1/.well-known/openidconfiguration":
        return "metadata", {}
    if verb == "GET" and path == "/v1/.well-known/keys":
        return "keys", {}
    token = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", path)
    if verb == "POST" and token:
        return "token", {"tenant": token.group(1)}
    prefix = "/" + SERVICE_PATH + "v3/conversations"
    if not path.startswith(prefix):
        return None
    parts = [unquote(part) for part in path.removeprefix(prefix).split("/")]
    if verb == "POST" and parts == [""]:
        return "create", {}
    match parts:
        case ["", conversation, "activities"] if verb == "POST":
            return "send", {"conversation": conversation}
        case ["", conversation, "activities", activity] if verb in ("POST", "PUT", "DELETE"):
            operation = {"POST": "reply", "PUT": "update", "DELETE": "delete"}[verb]
            return operation, {"conversation": conversation, "activity": activity}
        case ["", conversation, "members"] if verb == "GET":
            return "members", {"conversation": conversation}
    return None


def _check_activity(body: Any, *, update: bool = False) -> dict[str, Any]:
    """The activity the bot sent, if Teams would take it; else BadArgument (never quoting the input)."""
    if not isinstance(body, dict):
        raise _bad("The request body is not an activity.")
    try:
        _ACTIVITY_PARAMS.validate_python(body)
    except ValidationError:
        raise _bad("The activity is not valid.") from None
    if body.get("type") not in (("message",) if update else ("message", "typing")):
        raise _bad("A bot can send only messages and typing indicators, and update only messages.")
    attachments = body.get("attachments") or []
    for attachment in attachments:
        content_type = attachment.get("contentType") if isinstance(attachment, dict) else None
        if content_type in IMAGE_TYPES and isinstance(attachment.get("contentUrl"), str):
            continue
        if content_type not in ATTACHMENT_TYPES:
            raise _bad("Unknown attachment type")
        if content_type == ADAPTIVE_CARD:
            _check_card(attachment.get("content"))
    if body.get("type") == "message" and not body.get("text") and not attachments:
        raise _bad("A message needs text or an attachment.")
    return body


def _check_card(card: Any) -> None:
    if not (isinstance(card, dict) and card.get("type") == "AdaptiveCard" and card.get("version") in ADAPTIVE_VERSIONS
            and isinstance(card.get("body", []), list) and isinstance(card.get("actions", []), list)):
        raise _bad("The Adaptive Card is not valid, or is newer than version 1.5.")


def _field(data: Any, *names: str) -> Any:
    """data[names[0]][names[1]]..., or None where a level is missing or not an object."""
    for name in names:
        data = data.get(name) if isinstance(data, dict) else None
    return data


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        raise _bad("The request body is not JSON.") from None


def _recorded(raw: bytes, content_type: str) -> Any:
    """The body as a test reads it back: JSON parsed, a form as a dict, anything else as text."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(text))
    try:
        return json.loads(text)
    except ValueError:
        return text


def _jwk(key: SigningKey) -> dict[str, Any]:
    public = RSAAlgorithm.to_jwk(key.private.public_key(), as_dict=True)
    return {"kty": public["kty"], "use": "sig", "kid": key.kid, "x5t": key.kid, "n": public["n"],
            "e": public["e"], "endorsements": list(key.endorsements)}


def _entra_error(status: int, error: str, number: int, description: str) -> tuple[int, Any]:
    return status, {"error": error, "error_description": f"AADSTS{number}: {description}", "error_codes": [number],
                    "timestamp": "2026-11-24 10:00:00Z", "trace_id": "00000000-0000-0000-0000-000000000000",
                    "correlation_id": "00000000-0000-0000-0000-000000000000"}


def _personal_id(user: str) -> str:
    """The bot's personal chat with a person: the same id every time, like Teams'."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(user.encode()).digest()).decode().rstrip("=")
    return "a:1" + digest


def _guid(hex_digits: str) -> str:
    h = (hex_digits + "0" * 32)[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
