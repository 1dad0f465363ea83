"""A stand-in for Microsoft Graph and its token endpoint: a real HTTP server on an ephemeral port, as
strict as they are, for graph.py. It records every call (`calls`, `calls_to`).

    Entra ID token endpoint  POST /{tenant}/oauth2/v2.0/token       client credentials -> an app-only token
    Microsoft Graph          GET  /v1.0/groups/{id}/transitiveMembers[/microsoft.graph.<type>]   "members"
                             GET  /v1.0/users/{id}                                              "user"

The directory is a tenant's (`TENANT_ID`, the Teams stand-in's): users (`add_user`, by Entra object
id, which may be the Teams stand-in's `aadObjectId`), groups whose members are users, contacts and
other groups (`add_group`; `transitiveMembers` flattens them, each user once, loops and all), and the
application permissions the app registration has been granted (`granted`), which a token carries from
when it was issued, as Entra ID's `roles` claim does.

Graph pages at `page_size` objects (2 unless a test says otherwise) whatever `$top` asks, as it may:
the first page carries `@odata.nextLink`, an absolute URL with an opaque `$skiptoken` and the request's
other options, and only a link it gave is taken.

It refuses as Graph does, with {"error": {"code", "message", "innerError": {"date", "request-id",
"client-request-id"}}}:

    400 Request_BadRequest          an id that is not a GUID; `$top` outside 1-999; a `$select` of a
                                    property the type does not have; a query option this stand-in does
                                    not implement ($filter, $search, $orderby, $expand: say so, not Graph)
    400 Request_UnsupportedQuery    an OData cast without the advanced query parameters (the
                                    `ConsistencyLevel: eventual` header and `$count=true`), or a cast to
                                    a type a group cannot have as a member
    400 Directory_ExpiredPageToken  a `$skiptoken` it did not give, or for another request
    401 InvalidAuthenticationToken  no bearer token, one it did not issue (the Bot Framework's included),
                                    or one past its expiry
    403 Authorization_RequestDenied the token's app lacks the permission: GroupMember.Read.All (or
                                    Group.Read.All, Directory.Read.All) for a group's members; User.Read.All
                                    (or Directory.Read.All) for a user (Graph's "Get user" page lists no
                                    lesser application permission)
    404 Request_ResourceNotFound    no such group or user
    405                             any other method

The token endpoint refuses as Entra ID does ({"error", "error_description", "error_codes"}): a tenant
that is not the council's (Graph's app-only tokens are per tenant, the botframework.com one included)
400 invalid_request; 400 unsupported_grant_type; 400 unauthorized_client (unknown app id); 401
invalid_client (wrong secret); 400 invalid_scope (anything but https://graph.microsoft.com/.default).

A test can make the next calls of an operation ("token", "members", "user") fail (`fail_next`: 429
TooManyRequests or 503 serviceNotAvailable, with or without Retry-After; any other status), drop the
connection (`drop_next`), or wait first (`delays`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from handlers import standin_server
from handlers.teams.standin import APP_SECRET, BOT_APP_ID, TENANT_ID

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TOKEN_LIFETIME = 3599  # seconds an app-only token lives (Entra ID's usual answer)
PAGE_SIZE = 2  # objects a page, whatever $top asks: small, so tests follow nextLink
MAX_TOP = 999
DEFAULT_TOP = 100
EVERY_PERMISSION = frozenset({"GroupMember.Read.All", "User.Read.All"})
READS_MEMBERS = frozenset({"GroupMember.Read.All", "Group.Read.All", "GroupMember.ReadWrite.All",
                           "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"})
READS_USERS = frozenset({"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"})
USER_PROPERTIES = ("id", "displayName", "givenName", "surname", "mail", "userPrincipalName", "jobTitle")
GROUP_PROPERTIES = ("id", "displayName", "description", "mail", "securityEnabled")
CONTACT_PROPERTIES = ("id", "displayName", "mail")
CASTS = {"microsoft.graph.user": "user", "microsoft.graph.group": "group", "microsoft.graph.orgContact": "contact",
         "microsoft.graph.device": "device", "microsoft.graph.servicePrincipal": "servicePrincipal"}
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_KNOWN_OPTIONS = {"select", "top", "count", "skiptoken"}
_NOT_IMPLEMENTED = {"filter", "search", "orderby", "expand", "skip", "format"}


@dataclass
class Call:
    operation: str  # "token", "members", "user", or "unknown"
    path: str
    query: dict[str, str] = field(default_factory=dict)  # the query options, "$" kept
    headers: dict[str, str] = field(default_factory=dict)  # ConsistencyLevel, when sent
    body: Any = None  # the form, for "token"
    token: str | None = None


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    drop: bool = False


@dataclass
class _Token:
    expires: float
    roles: frozenset[str]


class GraphError(Exception):
    """A refusal, as Graph answers it."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def _bad(message: str) -> GraphError:
    return GraphError(400, "Request_BadRequest", message)


@dataclass
class GraphStandIn:
    """Start with `start()`; point graph.py at `base_url` (Graph's root) and `login_url` (Entra ID's)."""

    clock: Callable[[], float] = time.time  # seconds since the epoch: token expiry
    page_size: int = PAGE_SIZE
    granted: set[str] = field(default_factory=lambda: set(EVERY_PERMISSION))
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, list[str]] = {}  # group id -> member ids (users, contacts, groups)
        self.group_names: dict[str, str] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.delays: dict[str, float] = {}
        self.token_lifetime = TOKEN_LIFETIME
        self._issued: dict[str, _Token] = {}
        self._pages: dict[str, tuple[str, int]] = {}  # skiptoken -> (the request it continues, offset)
        self._failures: dict[str, list[Failure]] = {}
        self._lock = threading.RLock()
        self._names = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> GraphStandIn:
        self._server = standin_server.serve(self._handle, ("GET", "POST", "PUT", "PATCH", "DELETE"), poll_interval=0.02)
        return self

    def stop(self) -> None:
        standin_server.stop(self._server)

    @property
    def base_url(self) -> str:
        """Graph's root (TEAMS_GRAPH_URL), which is also Entra ID's login root here (TEAMS_LOGIN_URL)."""
        return standin_server.base_url(self._server)

    @property
    def login_url(self) -> str:
        return self.base_url

    def token_url(self, tenant: str = TENANT_ID) -> str:
        return f"{self.base_url}{tenant}/oauth2/v2.0/token"

    # -- the directory -----------------------------------------------------------------------------

    def add_user(self, name: str, object_id: str | None = None) -> str:
        """Someone in the tenant. Returns their Entra object id (`object_id`, or a new one)."""
        object_id = object_id or _guid(name)
        given, _, surname = name.partition(" ")
        login = name.lower().replace(" ", ".") + "@council.example"
        with self._lock:
            self.users[object_id] = {"id": object_id, "displayName": name, "givenName": given or None,
                                     "surname": surname or None, "mail": login, "userPrincipalName": login,
                                     "jobTitle": None}
        return object_id

    def add_contact(self, name: str) -> str:
        """An organisational contact (someone outside the tenant a group may list). Returns its id."""
        contact_id = _guid("contact:" + name)
        with self._lock:
            self.contacts[contact_id] = {"id": contact_id, "displayName": name, "mail": None}
        return contact_id

    def add_group(self, members: list[str], name: str | None = None) -> str:
        """A security group whose direct members are these users, contacts and groups. Returns its id."""
        name = name or f"Group {next(self._names)}"
        group_id = _guid("group:" + name)
        with self._lock:
            self.groups[group_id] = list(members)
            self.group_names[group_id] = name
        return group_id

    # -- failures -------------------------------------------------------------------------------------

    def fail_next(self, operation: str, *, status: int = 503, retry_after: int | None = None, times: int = 1) -> None:
        """The next `times` calls of `operation` fail with `status` (a 429 or 503 carries `retry_after`
        as Retry-After when it is given)."""
        with self._lock:
            self._failures.setdefault(operation, []).extend([Failure(status, retry_after)] * times)

    def drop_next(self, operation: str, *, times: int = 1) -> None:
        """Close the connection of the next `times` calls without answering."""
        with self._lock:
            self._failures.setdefault(operation, []).extend([Failure(0, drop=True)] * times)

    def expire_tokens(self) -> None:
        """Every token issued so far expires now."""
        with self._lock:
            for issued in self._issued.values():
                issued.expires = self.clock() - 1

    def calls_to(self, operation: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.operation == operation]

    # -- the server side ---------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, verb: str) -> None:
        parts = urlsplit(request.path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        authorization = request.headers.get("Authorization") or ""
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
        content_type = request.headers.get("Content-Type", "")
        operation = _operation(verb, path)
        if self.delays.get(operation):
            time.sleep(self.delays[operation])
        headers = {name: request.headers[name] for name in ("ConsistencyLevel",) if request.headers.get(name)}
        body = dict(parse_qsl(raw.decode("utf-8", errors="replace"))) if operation == "token" else None
        with self._lock:
            self.calls.append(Call(operation, path, query, headers, body, token))
            queued = self._failures.get(operation)
            failure = queued.pop(0) if queued else None
        if failure is not None and failure.drop:
            request.close_connection = True  # no status line, no body: the caller sees the connection drop
            return
        if failure is not None:
            self._reply(request, failure.status, _failure_body(failure.status),
                        {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {})
            return
        try:
            if operation == "token":
                status, answer = self._issue(path, raw, content_type)
                self._reply(request, status, answer)
                return
            status, answer = self._graph(verb, path, query, headers, token)
        except GraphError as refused:
            self._reply(request, refused.status, _error_body(refused.code, refused.message), refused.headers)
            return
        self._reply(request, status, answer)

    def _reply(self, request: BaseHTTPRequestHandler, status: int, body: Any,
               headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.send_header("request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    # -- Entra ID ----------------------------------------------------------------------------------

    def _issue(self, path: str, raw: bytes, content_type: str) -> tuple[int, Any]:
        tenant = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", path)
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return _entra_error(400, "invalid_request", 900144, "The request body must contain the following "
                                "parameter: 'grant_type'.")
        if tenant is None or tenant.group(1) != TENANT_ID:
            return _entra_error(400, "invalid_request", 90002, "Tenant not found, or app-only tokens for Microsoft "
                                "Graph are not issued by it.")
        form = dict(parse_qsl(raw.decode("utf-8")))
        if form.get("grant_type") != "client_credentials":
            return _entra_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if form.get("client_id") != BOT_APP_ID:
            return _entra_error(400, "unauthorized_client", 700016, "Application was not found in the directory.")
        if form.get("client_secret") != APP_SECRET:
            return _entra_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != GRAPH_SCOPE:
            return _entra_error(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' "
                                "is not valid.")
        token = "graph." + secrets.token_urlsafe(32)
        with self._lock:
            self._issued[token] = _Token(self.clock() + self.token_lifetime, frozenset(self.granted))
        return 200, {"token_type": "Bearer", "expires_in": self.token_lifetime,
                     "ext_expires_in": self.token_lifetime, "access_token": token}

    # -- Graph -------------------------------------------------------------------------------------

    def _graph(self, verb: str, path: str, query: dict[str, str], headers: dict[str, str],
               token: str | None) -> tuple[int, Any]:
        roles = self._authorise(token)
        route = _route(path)
        if route is None:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{path.rsplit('/', 1)[-1]}'.")
        if verb != "GET":
            raise GraphError(405, "Request_BadRequest", "The HTTP method is not allowed for this resource.")
        kind, object_id, cast = route
        options = _options(query)
        if not _GUID.fullmatch(object_id):
            raise _bad(f"Invalid object identifier '{object_id}'.")
        with self._lock:
            if kind == "user":
                if not roles & READS_USERS:
                    raise _denied()
                user = self.users.get(object_id)
                if user is None:
                    raise _not_found(object_id)
                return 200, {"@odata.context": f"{self.base_url}v1.0/$metadata#users/$entity",
                             **_selected(user, options.get("select"), USER_PROPERTIES, "user",
                                         default=("id", "displayName", "mail", "userPrincipalName"))}
            if not roles & READS_MEMBERS:
                raise _denied()
            if object_id not in self.groups:
                raise _not_found(object_id)
            return 200, self._members_page(path, query, options, headers, object_id, cast)

    def _members_page(self, path: str, query: dict[str, str], options: dict[str, str], headers: dict[str, str],
                      group_id: str, cast: str | None) -> dict[str, Any]:
        counted = options.get("count", "").lower() == "true"
        if cast is not None:
            if cast not in CASTS:
                raise GraphError(400, "Request_UnsupportedQuery", f"The type cast '{cast}' is not supported.")
            if headers.get("ConsistencyLevel", "").lower() != "eventual" or not counted:
                raise GraphError(400, "Request_UnsupportedQuery", "Request with an OData cast on a transitive "
                                 "members list only works with the 'ConsistencyLevel: eventual' header and "
                                 "$count=true.")
        top = _top(options.get("top"))
        if options.get("select"):
            kind = CASTS[cast] if cast is not None else None
            known = {"user": USER_PROPERTIES, "group": GROUP_PROPERTIES, "contact": CONTACT_PROPERTIES}.get(
                kind or "", ("id", "displayName"))  # a directoryObject list: what every member type has
            _selected({}, options["select"], known, (cast or "microsoft.graph.directoryObject").rsplit(".", 1)[-1])
        request_key = path + "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()) if k != "$skiptoken")
        offset = 0
        if "skiptoken" in options:
            continued = self._pages.get(options["skiptoken"])
            if continued is None or continued[0] != request_key:
                raise GraphError(400, "Directory_ExpiredPageToken", "The specified page token value has expired "
                                 "and can no longer be included in your request.")
            offset = continued[1]
        found = [member for member in self._transitive(group_id)
                 if cast is None or self._type_of(member) == CASTS[cast]]
        size = min(top, self.page_size)
        page = found[offset:offset + size]
        body: dict[str, Any] = {"@odata.context": f"{self.base_url}v1.0/$metadata#directoryObjects"}
        if counted:
            body["@odata.count"] = len(found)
        if offset + size < len(found):
            skiptoken = secrets.token_hex(16)
            self._pages[skiptoken] = (request_key, offset + size)
            kept = "&".join(f"{quote(k, safe='$')}={quote(v, safe=',')}" for k, v in query.items() if k != "$skiptoken")
            body["@odata.nextLink"] = f"{self.base_url.rstrip('/')}{path}?{kept}&$skiptoken={skiptoken}"
        body["value"] = [self._object(member, options.get("select"), typed=cast is None) for member in page]
        return body

    def _transitive(self, group_id: str) -> list[str]:
        """Every member under a group, nested groups flattened (and listed), each once, in order."""
        found: list[str] = []
        seen = {group_id}
        waiting = list(self.groups[group_id])
        while waiting:
            member = waiting.pop(0)
            if member in seen:
                continue
            seen.add(member)
            found.append(member)
            if member in self.groups:
                waiting.extend(self.groups[member])
        return found

    def _type_of(self, member: str) -> str:
        if member in self.users:
            return "user"
        if member in self.groups:
            return "group"
        return "contact"

    def _object(self, member: str, select: str | None, *, typed: bool) -> dict[str, Any]:
        kind = self._type_of(member)
        if kind == "user":
            shown = _selected(self.users[member], select, USER_PROPERTIES, "user")
        elif kind == "group":
            shown = _selected({"id": member, "displayName": self.group_names[member], "description": None,
                               "mail": None, "securityEnabled": True}, select, GROUP_PROPERTIES, "group")
        else:
            shown = _selected(self.contacts.get(member, {"id": member, "displayName": None, "mail": None}), select,
                              CONTACT_PROPERTIES, "orgContact")
        return {"@odata.type": f"#microsoft.graph.{'orgContact' if kind == 'contact' else kind}", **shown} if typed \
            else shown

    def _authorise(self, token: str | None) -> frozenset[str]:
        with self._lock:
            issued = self._issued.get(token or "")
        if issued is None or self.clock() >= issued.expires:
            message = "Access token is empty." if not token else "Access token has expired or is not yet valid."
            raise GraphError(401, "InvalidAuthenticationToken", message,
                             {"WWW-Authenticate": 'Bearer realm="", authorization_uri='
                                                  '"https://login.microsoftonline.com/common/oauth2/authorize"'})
        return issued.roles


def _operation(verb: str, path: str) -> str:
    if verb == "POST" and re.fullmatch(r"/[^/]+/oauth2/v2\.0/token", path):
        return "token"
    route = _route(path)
    if route is None:
        return "unknown"
    return "user" if route[0] == "user" else "members"


def _route(path: str) -> tuple[str, str, str | None] | None:
    """("user", id, None) or ("members", group id, the cast or None); None for any other resource."""
    parts = [unquote(part) for part in path.split("/")]
    match parts:
        case ["", "v1.0", "users", user]:
            return "user", user, None
        case ["", "v1.0", "groups", group, segment] if segment.lower() == "transitivemembers":
            return "members", group, None
        case ["", "v1.0", "groups", group, segment, cast] if segment.lower() == "transitivemembers":
            return "members", group, cast
    return None


def _options(query: dict[str, str]) -> dict[str, str]:
    """The OData query options by name ("$" optional, as v1.0 allows); refuses the ones not implemented."""
    options: dict[str, str] = {}
    for key, value in query.items():
        name = key.removeprefix("$").lower()
        if name in _NOT_IMPLEMENTED:
            raise _bad(f"Query option '${name}' is not implemented by this stand-in.")
        if name not in _KNOWN_OPTIONS:
            raise _bad(f"Query option '{key}' is not allowed.")
        options[name] = value
    return options


def _top(value: str | None) -> int:
    if value is None:
        return DEFAULT_TOP
    if not value.isdigit() or not 1 <= int(value) <= MAX_TOP:
        raise _bad(f"Invalid page size specified: '{value}'. Must be between 1 and {MAX_TOP} inclusive.")
    return int(value)


def _selected(thing: dict[str, Any], select: str | None, properties: tuple[str, ...], type_name: str, *,
              default: tuple[str, ...] | None = None) -> dict[str, Any]:
    wanted = [name.strip() for name in select.split(",")] if select else list(default or properties)
    for name in wanted:
        if name not in properties:
            raise _bad(f"Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'.")
    return {name: thing.get(name) for name in wanted}


def _denied() -> GraphError:
    return GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def _not_found(object_id: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist or one of its "
                      "queried reference-property objects are not present.")


def _error_body(code: str, message: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    request_id = str(uuid.uuid4())
    return {"error": {"code": code, "message": message,
                      "innerError": {"date": now, "request-id": request_id, "client-request-id": request_id}}}


def _failure_body(status: int) -> dict[str, Any]:
    if status == 429:
        return _error_body("TooManyRequests", "Too many requests.")
    if status == 503:
        return _error_body("serviceNotAvailable", "Service unavailable.")
    return _error_body("generalException", "An error occurred processing the request.")


def _entra_error(status: int, error: str, number: int, description: str) -> tuple[int, Any]:
    return status, {"error": error, "error_description": f"AADSTS{number}: {description}", "error_codes": [number],
                    "timestamp": "2026-11-24 10:00:00Z", "trace_id": "00000000-0000-0000-0000-000000000000",
                    "correlation_id": "00000000-0000-0000-0000-000000000000"}


def _guid(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
