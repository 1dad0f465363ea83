"""Who may call panelbot from Teams, and how panelbot proves itself when it calls Teams.

Inbound (`InboundAuth.check`): every `POST /api/messages` carries a JWT from the Bot Connector
service. It is checked as Microsoft's "Authentication with the Bot Connector API" requires: a
`Bearer` token, RS256 only, signed by a key listed in the JWKS that the OpenID metadata document
names (`jwks_uri`), that key endorsed for the activity's channel, issuer `https://api.botframework.com`,
audience exactly this bot's app id, inside its validity period give or take `clock_skew`, and its
`serviceurl` claim equal to the activity's `serviceUrl` (the URL panelbot will later send its own
bot token to, so a token minted for another service URL must not steer it). Only Teams
(`channelId` "msteams") is served. The check returns a `Verdict`: accepted, or one refusal code and
the HTTP status to answer with:

    no_token              401  no Authorization header
    not_bearer            401  a header that is not "Bearer <token>"
    malformed             403  not a JWT, or a claim of the wrong type
    bad_algorithm         403  any `alg` but RS256 (none, HS256, ...)
    unknown_key           403  a `kid` the JWKS does not list, even after fetching it again
    bad_signature         403  a listed key, but the signature does not verify (tampered, forged)
    missing_claim         403  no exp, iss or aud
    wrong_issuer          403
    wrong_audience        403  another bot's token (or an audience list)
    expired               403
    not_yet_valid         403  nbf still in the future
    key_not_endorsed      403  the signing key is not endorsed for the activity's channelId
    wrong_channel         403  an activity that is not from Teams
    service_url_mismatch  403  serviceurl claim missing or not the activity's serviceUrl
    keys_unavailable      503  the metadata or the JWKS could not be fetched: Teams retries later

Keys are PyJWT's `PyJWKClient` (the code both Microsoft SDKs wrap): the key set is cached for
`keys_lifetime`, and a `kid` it does not know makes it fetch the set once more, at most once per
`refetch_cooldown` so forged `kid`s cannot make panelbot hammer Microsoft. Nothing here logs the
token, its claims or the activity: refusals are logged by code only.

Outbound (`BotTokens.token`): a bot token for the connector by the OAuth 2.0 client-credentials
grant against `token_url` (multi-tenant bots: the botframework.com tenant; single-tenant bots: the
council's tenant id in its place), kept until `refresh_margin` seconds before it expires. One
caller fetches while the others wait, so a burst of sends makes one token request.

    PanelbotError
    └── BotTokenError      -- no bot token; `permanent` says whether retrying can help
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt

from bot.errors import PanelbotError

logger = logging.getLogger(__name__)

BOT_FRAMEWORK_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_TOKEN_URL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"  # noqa: S105 (a URL)
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
TEAMS_CHANNEL = "msteams"
ALGORITHM = "RS256"
SERVICE_URL_CLAIM = "serviceurl"  # the claim's name in Bot Framework tokens (both SDKs read this)

CLOCK_SKEW = 300  # seconds; "industry-standard clock-skew is 5 minutes" (Microsoft)
KEYS_LIFETIME = 24 * 3600  # seconds the key set is kept; Microsoft: "may be cached for long periods"
METADATA_LIFETIME = 24 * 3600  # seconds before the metadata document is read again
METADATA_RETRY = 300  # seconds before trying again when re-reading it failed (the known keys are kept)
REFETCH_COOLDOWN = 30.0  # seconds; at most one extra key-set fetch for unknown kids in this time
FETCH_TIMEOUT = 10.0  # seconds for one metadata, key-set or token request
REFRESH_MARGIN = 300  # seconds before its expiry that a bot token is replaced


class Refusal(StrEnum):
    """Why a request was refused (the table in this module's docstring gives each one's HTTP status)."""

    NO_TOKEN = "no_token"  # noqa: S105 (a refusal code)
    NOT_BEARER = "not_bearer"
    MALFORMED = "malformed"
    BAD_ALGORITHM = "bad_algorithm"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    MISSING_CLAIM = "missing_claim"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    KEY_NOT_ENDORSED = "key_not_endorsed"
    WRONG_CHANNEL = "wrong_channel"
    SERVICE_URL_MISMATCH = "service_url_mismatch"
    KEYS_UNAVAILABLE = "keys_unavailable"


_UNAUTHENTICATED = {Refusal.NO_TOKEN, Refusal.NOT_BEARER}


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: `refusal` is None when the request may be served."""

    refusal: Refusal | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)  # the token's claims, when accepted

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def status(self) -> int:
        """The HTTP status to answer a refused request with (200 when accepted)."""
        if self.refusal is None:
            return 200
        if self.refusal in _UNAUTHENTICATED:
            return 401
        if self.refusal is Refusal.KEYS_UNAVAILABLE:
            return 503
        return 403


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


class _EndorsedKeys(jwt.PyJWKClient):
    """PyJWKClient, also keeping each key's `endorsements` (a Bot Framework addition to JWK) by kid."""

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri, **options)
        self.endorsements: dict[str, frozenset[str]] = {}

    def fetch_data(self) -> Any:
        data = super().fetch_data()
        keys = data.get("keys") if isinstance(data, dict) else None
        self.endorsements = {
            key["kid"]: frozenset(e for e in key.get("endorsements") or () if isinstance(e, str))
            for key in keys or () if isinstance(key, dict) and isinstance(key.get("kid"), str)
        }
        return data


class InboundAuth:
    """Checks the Authorization header of a Teams request against the activity it came with.

    `metadata_url` is the OpenID metadata document (a stand-in's in tests); `clock` gives the time
    in seconds since the epoch against which exp and nbf are checked.
    """

    def __init__(self, app_id: str, *, metadata_url: str = BOT_FRAMEWORK_METADATA_URL,
                 issuer: str = BOT_FRAMEWORK_ISSUER, clock: Callable[[], float] = time.time,
                 clock_skew: float = CLOCK_SKEW, keys_lifetime: float = KEYS_LIFETIME,
                 refetch_cooldown: float = REFETCH_COOLDOWN, timeout: float = FETCH_TIMEOUT) -> None:
        if not app_id:
            raise ValueError("app_id is empty: the bot's Microsoft app id is the audience every token must name")
        _require_http_url(metadata_url, "metadata_url")
        self.app_id = app_id
        self.metadata_url = metadata_url
        self.issuer = issuer
        self._clock = clock
        self._clock_skew = clock_skew
        self._keys_lifetime = keys_lifetime
        self._refetch_cooldown = refetch_cooldown
        self._timeout = timeout
        self._lock = threading.Lock()
        self._keys: _EndorsedKeys | None = None
        self._metadata_due = 0.0  # time.monotonic() at which the metadata is read again

    def check(self, authorization: str | None, activity: Mapping[str, Any]) -> Verdict:
        """Whether the request with this Authorization header and this (parsed) activity is from Teams."""
        try:
            claims = self._verify(authorization, activity)
        except _Refused as refused:
            logger.warning("Teams request refused: %s", refused.refusal.value)
            return Verdict(refused.refusal)
        return Verdict(None, claims)

    def _verify(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]:
        if not authorization:
            raise _Refused(Refusal.NO_TOKEN)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme != "Bearer" or not token or " " in token:
            raise _Refused(Refusal.NOT_BEARER)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _Refused(Refusal.MALFORMED) from None
        if header.get("alg") != ALGORITHM:
            raise _Refused(Refusal.BAD_ALGORITHM)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _Refused(Refusal.UNKNOWN_KEY)

        keys = self._key_set()
        try:
            signing_key = keys.get_signing_key(kid)
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError) as failed:  # ValueError: not JSON
            logger.warning("Teams signing keys unavailable: %s", type(failed).__name__)
            raise _Refused(Refusal.KEYS_UNAVAILABLE) from None
        except jwt.PyJWKClientError:
            raise _Refused(Refusal.UNKNOWN_KEY) from None

        claims = self._decode(token, signing_key.key)
        self._check_times(claims)
        if not isinstance(activity, Mapping) or activity.get("channelId") != TEAMS_CHANNEL:
            raise _Refused(Refusal.WRONG_CHANNEL)
        if TEAMS_CHANNEL not in keys.endorsements.get(kid, frozenset()):
            raise _Refused(Refusal.KEY_NOT_ENDORSED)
        claimed, service_url = claims.get(SERVICE_URL_CLAIM), activity.get("serviceUrl")
        if not (isinstance(claimed, str) and isinstance(service_url, str) and claimed
                and claimed.rstrip("/") == service_url.rstrip("/")):
            raise _Refused(Refusal.SERVICE_URL_MISMATCH)
        return claims

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        # exp and nbf are checked against our own clock (see _check_times), so tests can pin it.
        options: Any = {"require": ["exp", "iss", "aud"], "verify_exp": False, "verify_nbf": False,
                        "verify_iat": False, "strict_aud": True}
        try:
            return jwt.decode(token, key, algorithms=[ALGORITHM], audience=self.app_id, issuer=self.issuer,
                              options=options)
        except jwt.InvalidSignatureError:
            raise _Refused(Refusal.BAD_SIGNATURE) from None
        except jwt.InvalidAlgorithmError:
            raise _Refused(Refusal.BAD_ALGORITHM) from None
        except jwt.MissingRequiredClaimError:
            raise _Refused(Refusal.MISSING_CLAIM) from None
        except jwt.InvalidIssuerError:
            raise _Refused(Refusal.WRONG_ISSUER) from None
        except jwt.InvalidAudienceError:
            raise _Refused(Refusal.WRONG_AUDIENCE) from None
        except jwt.InvalidTokenError:
            raise _Refused(Refusal.MALFORMED) from None

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        expires, not_before = claims["exp"], claims.get("nbf")
        if not _is_number(expires) or (not_before is not None and not _is_number(not_before)):
            raise _Refused(Refusal.MALFORMED)
        if now > expires + self._clock_skew:
            raise _Refused(Refusal.EXPIRED)
        if not_before is not None and now < not_before - self._clock_skew:
            raise _Refused(Refusal.NOT_YET_VALID)

    def _key_set(self) -> _EndorsedKeys:
        """The key set the metadata document names. The metadata is read again once a day; while it
        cannot be read, the key set already known is kept and the read is tried every few minutes."""
        with self._lock:
            if self._keys is not None and time.monotonic() < self._metadata_due:
                return self._keys
            try:
                jwks_uri = self._read_metadata()
            except (OSError, ValueError) as failed:
                logger.warning("Teams OpenID metadata unavailable: %s", type(failed).__name__)
                if self._keys is None:
                    raise _Refused(Refusal.KEYS_UNAVAILABLE) from None
                self._metadata_due = time.monotonic() + METADATA_RETRY
                return self._keys
            if self._keys is None or self._keys.uri != jwks_uri:
                self._keys = _EndorsedKeys(jwks_uri, cache_jwk_set=True, lifespan=self._keys_lifetime,
                                           timeout=self._timeout, cooldown_duration=self._refetch_cooldown)
            self._metadata_due = time.monotonic() + METADATA_LIFETIME
            return self._keys

    def _read_metadata(self) -> str:
        with urllib.request.urlopen(self.metadata_url, timeout=self._timeout) as answer:  # noqa: S310 (http(s) checked)
            metadata = json.load(answer)
        if not isinstance(metadata, dict):
            raise ValueError("the OpenID metadata is not a JSON object")
        jwks_uri, algorithms = metadata.get("jwks_uri"), metadata.get("id_token_signing_alg_values_supported")
        if not isinstance(jwks_uri, str) or not isinstance(algorithms, list) or ALGORITHM not in algorithms:
            raise ValueError("the OpenID metadata names no jwks_uri or does not sign with RS256")
        _require_http_url(jwks_uri, "jwks_uri")
        return jwks_uri


class BotTokenError(PanelbotError):
    """No bot token could be had. `permanent`: the app id or secret is wrong (retrying cannot help)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class _Cached:
    token: str
    renew_at: float  # on the `clock` of BotTokens


class BotTokens:
    """Bot tokens for the Bot Connector service, fetched by client credentials and cached.

    `clock` is monotonic seconds (tests pin it); `token_url` is Entra ID's token endpoint, or a
    stand-in's. The secret is sent to `token_url` only and never logged.
    """

    def __init__(self, app_id: str, app_secret: str, *, token_url: str = BOT_FRAMEWORK_TOKEN_URL,
                 scope: str = BOT_FRAMEWORK_SCOPE, clock: Callable[[], float] = time.monotonic,
                 refresh_margin: float = REFRESH_MARGIN, timeout: float = FETCH_TIMEOUT) -> None:
        if not app_id or not app_secret:
            raise ValueError("app_id and app_secret are both needed to get a bot token")
        _require_http_url(token_url, "token_url")
        self.app_id = app_id
        self.token_url = token_url
        self.scope = scope
        self._secret = app_secret
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._timeout = timeout
        self._lock = threading.Lock()
        self._cached: _Cached | None = None

    def token(self) -> str:
        """A bot token valid for at least a little longer; fetched only when the cached one is near expiry."""
        with self._lock:
            now = self._clock()
            if self._cached is not None and now < self._cached.renew_at:
                return self._cached.token
            token, lifetime = self._fetch()
            margin = min(self._refresh_margin, lifetime / 2)
            self._cached = _Cached(token, now + lifetime - margin)
            return token

    def forget(self) -> None:
        """Drop the cached token (the connector refused it with 401): the next call fetches a new one."""
        with self._lock:
            self._cached = None

    def _fetch(self) -> tuple[str, float]:
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": self.app_id,
                                       "client_secret": self._secret, "scope": self.scope}).encode()
        request = urllib.request.Request(self.token_url, data=form, method="POST",  # noqa: S310 (http(s) checked)
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310 (http(s) checked)
                body = json.load(answer)
        except urllib.error.HTTPError as refused:
            code = _oauth_error(refused)
            refused.close()
            permanent = refused.code in (400, 401) and code in _PERMANENT_OAUTH_ERRORS
            raise BotTokenError(f"the token endpoint refused the bot's credentials: HTTP {refused.code} {code}",
                                permanent=permanent) from None
        except (OSError, ValueError) as failed:
            raise BotTokenError(f"the token endpoint could not be reached: {type(failed).__name__}",
                                permanent=False) from None
        token, lifetime = (body.get("access_token"), body.get("expires_in")) if isinstance(body, dict) else (None, None)
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)
        if not isinstance(token, str) or not token or not _is_number(lifetime) or lifetime <= 0 \
                or str(body.get("token_type", "")).lower() != "bearer":
            raise BotTokenError("the token endpoint answered without a bearer token and its lifetime", permanent=False)
        return token, float(lifetime)


# OAuth errors that mean the app registration or secret is wrong (RFC 6749 §5.2).
_PERMANENT_OAUTH_ERRORS = {"invalid_client", "unauthorized_client", "invalid_scope", "unsupported_grant_type",
                           "invalid_request"}


def _oauth_error(refused: urllib.error.HTTPError) -> str:
    """The `error` code of an OAuth error answer (never its description, which can be long)."""
    try:
        body = json.loads(refused.read() or b"{}")
    except (OSError, ValueError):
        return "unknown_error"
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) and error.isascii() and error.replace("_", "").isalnum() else "unknown_error"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _require_http_url(url: str, name: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL")
