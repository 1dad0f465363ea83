"""Microsoft Graph for Teams, app-only: who is in an Entra group, and what a person is called.

A policy may name a role's members as `teams-group:<Entra group id>` (bot/addresses.py). On Slack a
user group `S…` is expanded by handlers/slack/notify.py's SlackDirectory; on Teams by `GraphDirectory`:

    GET {graph}v1.0/groups/{id}/transitiveMembers/microsoft.graph.user?$select=id&$top=999&$count=true
        ConsistencyLevel: eventual
                        the group's people: nested groups flattened (transitive), users only (the OData
                        cast: no devices, contacts or the nested groups themselves), ids only.
                        `@odata.nextLink` is followed, exactly as given, until a page has none. Microsoft's
                        "Advanced query capabilities on directory objects" lists the OData cast on a
                        transitive members list among the queries that need `ConsistencyLevel: eventual`
                        and `$count=true`, so both are sent, on every page.

    GET {graph}v1.0/users/{id}?$select=displayName
                        a person's display name (`GraphUsers`), for a card naming someone who has never
                        written to panelbot (names.py)

The token is app-only: the OAuth client-credentials grant against the council's own tenant
({login}{tenant}/oauth2/v2.0/token, scope https://graph.microsoft.com/.default) with the bot's app id
and secret, fetched and cached by `auth.BotTokens` as the bot's own token is. An administrator grants
the app registration these Graph *application* permissions (README, "Connecting Microsoft Teams"):
GroupMember.Read.All for groups (Member.Read.Hidden as well for a group whose membership is hidden)
and User.Read.All for names. Graph's calls are urllib, as the Bot Connector's (connector.py).

Each answer, and what `GraphError.code` (the only thing logged of it) says:

    200        the page (its nextLink followed only to Graph's own origin: the token goes nowhere else)
    401        the token was refused (expired, revoked): dropped, a new one fetched, the call made once
               more; a second 401 is `unauthorized` (permanent: the app id, secret or tenant is wrong)
    403        `forbidden` (permanent): the permission is not granted (Authorization_RequestDenied)
    404        `not_found` (permanent): no such group, or user
    429, 503   throttled or overloaded: the Graph gate shuts for Retry-After (1 s when Graph gives
               none), so no call to Graph leaves this process before it passes. A wait of at most
               `longest_wait` is waited and the call tried again, `attempts` tries in all; a longer one
               is `throttled` (429) or `http_503` at once: these calls are made while a person waits
    other 4xx  `http_<status>` (permanent: what panelbot asked is wrong)
    500s       `http_<status>` (transient)
    no answer  `timeout` or `no_answer` (transient), after `timeout` seconds
    no token   `token`, permanent when Entra ID refused the credentials

Caching (`bot.groups`, as for Slack's user groups): a group's people are kept for five minutes, one
caller asks Graph while the others use what it last listed, a group Graph refused for good (403, 404,
401) is nobody for five minutes with one log line, and while Graph cannot answer for now (throttled,
down, slow) the people it listed within the hour stand in. Names: `names.py`.

Nothing here logs a token, an answer's body or a name: lines carry codes, statuses and group
addresses (a group id comes from the policy file).

    PanelbotError
    └── GraphError      -- Graph did not answer as asked; `permanent` says whether asking again can help
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bot.addresses import Surface, is_group, is_person, surface_of
from bot.errors import PanelbotError
from bot.groups import FAILURE_BACKOFF, GROUP_TTL, STALE_LIMIT, GroupCache, ListingFailed
from bot.notify import RateGate
from handlers.teams.auth import BotTokenError, BotTokens
from handlers.teams.names import clean_name
from handlers.teams.rest import error_code, read_refusal

logger = logging.getLogger("panelbot.teams.graph")

GRAPH_URL = "https://graph.microsoft.com/"
LOGIN_URL = "https://login.microsoftonline.com/"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GROUP_PREFIX = "teams-group:"
PERSON_PREFIX = "teams:"

CALL_TIMEOUT = 5.0  # seconds for one Graph call; they are made while someone waits for an answer
LONGEST_WAIT = 3.0  # seconds of Retry-After waited before trying again; longer fails at once
ATTEMPTS = 3  # tries of one call through 429s and 503s
DEFAULT_RETRY_AFTER = 1.0  # seconds, when a 429 or 503 carries no Retry-After
PAGE_SIZE = 999  # $top: the largest page Graph gives of a directory collection
MAX_PAGES = 200  # 199,800 people: far more than any group a council names; stops a nextLink loop
MAX_ANSWER = 4_194_304  # bytes of one answer read (a page of 999 ids is about 60 KB)


_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,80}")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class GraphError(PanelbotError, ListingFailed):
    """Graph did not answer as asked. `code` is ours (the table in this module's docstring),
    `graph_code` Microsoft's own error code when it gave one; neither quotes an answer's text."""

    def __init__(self, code: str, *, permanent: bool, status: int | None = None, graph_code: str | None = None,
                 retry_after: float | None = None) -> None:
        answer = " ".join(str(part) for part in (status, graph_code) if part)
        super().__init__(f"Microsoft Graph: {code}" + (f" ({answer})" if answer else ""))
        self.code = code
        self.permanent = permanent
        self.status = status
        self.graph_code = graph_code
        self.retry_after = retry_after


def token_url(login_url: str, tenant_id: str) -> str:
    """The council's tenant's token endpoint, where an app-only Graph token is issued."""
    return f"{login_url.rstrip('/')}/{urllib.parse.quote(tenant_id, safe='')}/oauth2/v2.0/token"


def graph_tokens(app_id: str, app_secret: str, tenant_id: str, *, login_url: str = LOGIN_URL) -> BotTokens:
    """App-only Graph tokens for the bot's own app registration, cached until near their expiry."""
    return BotTokens(app_id, app_secret, token_url=token_url(login_url, tenant_id), scope=GRAPH_SCOPE)


def _retry_after(value: str | None) -> float:
    try:
        return max(float(value), 0.0) if value else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _graph_code(raw: bytes) -> str | None:
    """Graph's error code from a refusal's body (Graph's codes may hold underscores), never its message."""
    return error_code(raw, _CODE)


def refused(status: int, raw: bytes) -> GraphError:
    """The GraphError for a refusal that is not a 401, 429 or 503 (those are handled by `Graph.get`)."""
    graph_code = _graph_code(raw)
    if status == 403:
        return GraphError("forbidden", permanent=True, status=status, graph_code=graph_code)
    if status == 404:
        return GraphError("not_found", permanent=True, status=status, graph_code=graph_code)
    return GraphError(f"http_{status}", permanent=status < 500, status=status, graph_code=graph_code)


class Graph:
    """Microsoft Graph's REST API with an app-only token. `base_url` is Graph's root (a stand-in's in
    tests); `gate` holds every Graph call of this process after a 429 or 503 (Graph's own gate: a
    throttled Graph must not hold up the Bot Connector's messages, nor the reverse)."""

    def __init__(self, tokens: BotTokens, *, base_url: str = GRAPH_URL, timeout: float = CALL_TIMEOUT,
                 longest_wait: float = LONGEST_WAIT, attempts: int = ATTEMPTS,
                 sleep: Callable[[float], None] = time.sleep, gate: RateGate | None = None) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must be an http(s) URL")
        self.tokens = tokens
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.gate = gate or RateGate()
        self._origin = (parts.scheme, parts.netloc)
        self._timeout = timeout
        self._longest_wait = longest_wait
        self._attempts = attempts
        self._sleep = sleep

    def get(self, path_or_url: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One GET: a path under `base_url` ("v1.0/users/…"), or an absolute URL Graph gave (a
        nextLink), which must be on Graph's own origin. Raises GraphError."""
        url = self._url(path_or_url)
        unauthorised = False
        tries = 0
        while True:
            if not self.gate.wait(self._sleep, self._longest_wait):
                raise GraphError("throttled", permanent=False, retry_after=self.gate.remaining())
            try:
                token = self.tokens.token()
            except BotTokenError as failed:
                raise GraphError("token", permanent=failed.permanent) from None
            status, raw, retry = self._request(url, token, headers or {})
            if 200 <= status < 300:
                return self._json(raw)
            if status == 401 and not unauthorised:
                unauthorised = True
                self.tokens.forget()  # refused for its age, perhaps: once more with a new one
                continue
            if status == 401:
                raise GraphError("unauthorized", permanent=True, status=status, graph_code=_graph_code(raw))
            if status in (429, 503):
                wait = _retry_after(retry)
                self.gate.close_for(wait)
                tries += 1
                if tries < self._attempts and wait <= self._longest_wait:
                    continue  # the gate waits out the Retry-After before the next try
                code = "throttled" if status == 429 else f"http_{status}"
                raise GraphError(code, permanent=False, status=status, graph_code=_graph_code(raw), retry_after=wait)
            raise refused(status, raw)

    def pages(self, path: str, headers: Mapping[str, str] | None = None) -> Iterator[list[Any]]:
        """Each page's `value` of a collection, following `@odata.nextLink` to the last page."""
        url: str | None = path
        for _ in range(MAX_PAGES):
            if url is None:
                return
            page = self.get(url, headers)
            value = page.get("value")
            if not isinstance(value, list):
                raise GraphError("bad_answer", permanent=False)
            yield value
            following = page.get("@odata.nextLink")
            url = following if isinstance(following, str) and following else None
        if url is not None:
            raise GraphError("too_many_pages", permanent=True)

    # -- one request ---------------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if "://" not in path_or_url:
            return self.base_url + path_or_url.lstrip("/")
        parts = urllib.parse.urlsplit(path_or_url)
        if (parts.scheme, parts.netloc) != self._origin:
            raise GraphError("foreign_next_link", permanent=True)  # never send Graph's token elsewhere
        return path_or_url

    @staticmethod
    def _json(raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except ValueError:
            raise GraphError("bad_answer", permanent=False) from None
        if not isinstance(body, dict):
            raise GraphError("bad_answer", permanent=False)
        return body

    def _request(self, url: str, token: str, headers: Mapping[str, str]) -> tuple[int, bytes, str | None]:
        request = urllib.request.Request(url, method="GET", headers={  # noqa: S310 (http(s) checked)
            **headers, "Authorization": f"Bearer {token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310 (http(s) checked)
                raw = answer.read(MAX_ANSWER + 1)
                if len(raw) > MAX_ANSWER:
                    raise GraphError("answer_too_large", permanent=True)
                return answer.status, raw, None
        except urllib.error.HTTPError as refusal:
            return read_refusal(refusal, 65_536)
        except (OSError, http.client.HTTPException) as failed:
            reason = failed.reason if isinstance(failed, urllib.error.URLError) else failed
            code = "timeout" if isinstance(reason, TimeoutError) else "no_answer"
            raise GraphError(code, permanent=False) from None


# -- groups ------------------------------------------------------------------------------------------


class GraphDirectory:
    """bot.notify's Directory for Teams: a `teams-group:<id>` address → the `teams:<object id>` people
    in it, nested groups included, cached (bot.groups: how long, and on failure)."""

    def __init__(self, graph: Graph, *, ttl: float = GROUP_TTL, stale_limit: float = STALE_LIMIT,
                 failure_backoff: float = FAILURE_BACKOFF, clock: Callable[[], float] = time.monotonic) -> None:
        self.graph = graph
        self._cache = GroupCache("Graph", _log_refusal, logger, ttl=ttl, stale_limit=stale_limit,
                                 failure_backoff=failure_backoff, clock=clock)

    def group_members(self, group_id: str) -> frozenset[str]:
        """The people in an Entra group; empty for anything else, and for a group Graph will not list."""
        if not is_group(group_id) or surface_of(group_id) is not Surface.TEAMS:
            return frozenset()
        return self._cache.members(group_id, lambda: self._list(group_id))

    def forget(self) -> None:
        """Ask Graph again on the next question about any group."""
        self._cache.forget()

    def _list(self, group_id: str) -> frozenset[str]:
        object_id = group_id.removeprefix(GROUP_PREFIX)
        path = (f"v1.0/groups/{urllib.parse.quote(object_id, safe='')}/transitiveMembers/microsoft.graph.user"
                f"?$select=id&$top={PAGE_SIZE}&$count=true")
        people: set[str] = set()
        for page in self.graph.pages(path, {"ConsistencyLevel": "eventual"}):
            for item in page:
                member = item.get("id") if isinstance(item, dict) else None
                kind = item.get("@odata.type", "#microsoft.graph.user") if isinstance(item, dict) else None
                if isinstance(member, str) and _GUID.fullmatch(member) and kind == "#microsoft.graph.user":
                    address = PERSON_PREFIX + member
                    if is_person(address):
                        people.add(address)
        return frozenset(people)


def _log_refusal(group_id: str, failed: GraphError) -> None:
    code = failed.graph_code or "-"
    if failed.code == "forbidden":
        logger.error("Microsoft Graph refused to list the members of %s (403 %s): grant panelbot's app "
                     "registration the GroupMember.Read.All application permission (and Member.Read.Hidden "
                     "for a group with hidden membership), with admin consent; until then it holds nobody",
                     group_id, code)
    elif failed.code == "not_found":
        logger.error("the Entra group %s named in the policy does not exist in the tenant (404 %s): it holds "
                     "nobody; check its object id (Entra admin centre, Groups) and TEAMS_TENANT_ID", group_id, code)
    elif failed.code in ("unauthorized", "token"):
        logger.error("Microsoft Graph would not take panelbot's token (%s): check TEAMS_APP_ID, TEAMS_APP_PASSWORD "
                     "and TEAMS_TENANT_ID; %s holds nobody until then", failed.code, group_id)
    else:
        logger.error("Microsoft Graph refused to list the members of %s (%s %s): it holds nobody", group_id,
                     failed.code, code)


# -- names -------------------------------------------------------------------------------------------

NAME_TTL = 3600.0  # seconds a display name read from Graph is kept
MISS_TTL = 60.0  # seconds before asking Graph again about someone it gave no name for


class GraphUsers:
    """Display names from Graph (`GET /users/{id}?$select=displayName`), cached: a name for NAME_TTL,
    no name (unknown user, Graph down) for MISS_TTL. Without User.Read.All (403) Graph is not asked
    again for GROUP_TTL, and one line says which permission to grant."""

    def __init__(self, graph: Graph, *, ttl: float = NAME_TTL, miss_ttl: float = MISS_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.graph = graph
        self.ttl = ttl
        self.miss_ttl = miss_ttl
        self.clock = clock
        self._names: dict[str, tuple[float, str | None]] = {}  # address -> (good until, name)
        self._forbidden_until = 0.0
        self._lock = threading.Lock()

    def display_name(self, address: str) -> str | None:
        """The display name of a Teams person (`teams:<object id>`); None when Graph does not give one."""
        if not is_person(address) or surface_of(address) is not Surface.TEAMS:
            return None
        now = self.clock()
        with self._lock:
            cached = self._names.get(address)
            if cached is not None and now < cached[0]:
                return cached[1]
            if now < self._forbidden_until:
                return None
        name, keep_for = self._read(address, now)
        with self._lock:
            self._names[address] = (now + keep_for, name)
        return name

    def _read(self, address: str, now: float) -> tuple[str | None, float]:
        object_id = address.removeprefix(PERSON_PREFIX)
        try:
            user = self.graph.get(f"v1.0/users/{urllib.parse.quote(object_id, safe='')}?$select=displayName")
        except GraphError as failed:
            if failed.code == "forbidden":
                with self._lock:
                    self._forbidden_until = now + GROUP_TTL
                logger.error("Microsoft Graph refused to read a user's display name (403 %s): grant panelbot's "
                             "app registration the User.Read.All application permission, with admin consent; "
                             "until then Teams cards name only people who have written to panelbot",
                             failed.graph_code or "-")
            elif failed.code != "not_found":
                logger.warning("Microsoft Graph gave no display name just now (%s)", failed.code)
            return None, self.miss_ttl
        name = clean_name(user.get("displayName"))
        return name, self.ttl if name else self.miss_ttl
