"""Inbound Teams requests are served only with a Bot Connector token that meets every one of Microsoft's
requirements; each way a token can fall short is refused with its own code."""

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from handlers.teams.auth import InboundAuth, Refusal
from handlers.teams.standin import BOT_APP_ID, TeamsStandIn

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()
SECRET_TEXT = "Case about Jamie Smith, born 3 March 2015"  # what a person typed: never in a log


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def teams(clock):
    server = TeamsStandIn(clock=clock).start()
    yield server
    server.stop()


@pytest.fixture
def auth(teams, clock):
    return InboundAuth(BOT_APP_ID, metadata_url=teams.metadata_url, clock=clock)


@pytest.fixture
def activity(teams):
    priya = teams.add_user("Priya Shah")
    return teams.message_from(priya, SECRET_TEXT)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def refusal(auth, authorization, activity):
    verdict = auth.check(authorization, activity)
    assert not verdict.ok
    assert verdict.claims == {}
    return verdict.refusal


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_token_teams_signed_for_this_bot_and_this_activity_is_accepted(auth, teams, activity):
    verdict = auth.check(teams.sign_activity(activity)["Authorization"], activity)
    assert verdict.ok and verdict.status == 200
    assert verdict.claims["aud"] == BOT_APP_ID
    assert verdict.claims["serviceurl"] == teams.service_url


def test_a_request_without_a_token_or_with_another_scheme_is_unauthenticated(auth, teams, activity):
    token = teams.sign(teams.token_claims(activity))
    for header, code in [(None, Refusal.NO_TOKEN), ("", Refusal.NO_TOKEN), (f"Basic {token}", Refusal.NOT_BEARER),
                         (f"bearer {token}", Refusal.NOT_BEARER), ("Bearer", Refusal.NOT_BEARER),
                         (f"Bearer {token} {token}", Refusal.NOT_BEARER)]:
        verdict = auth.check(header, activity)
        assert (verdict.refusal, verdict.status) == (code, 401), header


def test_something_that_is_not_a_jwt_is_malformed(auth, activity):
    assert refusal(auth, "Bearer not-a-token", activity) is Refusal.MALFORMED
    assert refusal(auth, "Bearer a.b.c", activity) is Refusal.MALFORMED


def test_a_token_from_another_issuer_is_refused(auth, teams, activity):
    claims = {**teams.token_claims(activity), "iss": "https://sts.windows.net/some-tenant/"}
    verdict = auth.check(bearer(teams.sign(claims)), activity)
    assert (verdict.refusal, verdict.status) == (Refusal.WRONG_ISSUER, 403)


def test_a_token_for_another_bot_or_for_a_list_of_audiences_is_refused(auth, teams, activity):
    other_bot = {**teams.token_claims(activity), "aud": "11111111-2222-3333-4444-555555555555"}
    assert refusal(auth, bearer(teams.sign(other_bot)), activity) is Refusal.WRONG_AUDIENCE
    listed = {**teams.token_claims(activity), "aud": [BOT_APP_ID, "someone-else"]}
    assert refusal(auth, bearer(teams.sign(listed)), activity) is Refusal.WRONG_AUDIENCE
    api_form = {**teams.token_claims(activity), "aud": f"api://{BOT_APP_ID}"}
    assert refusal(auth, bearer(teams.sign(api_form)), activity) is Refusal.WRONG_AUDIENCE


def test_a_token_missing_its_expiry_issuer_or_audience_is_refused(auth, teams, activity):
    for claim in ("exp", "iss", "aud"):
        claims = {k: v for k, v in teams.token_claims(activity).items() if k != claim}
        assert refusal(auth, bearer(teams.sign(claims)), activity) is Refusal.MISSING_CLAIM, claim


def test_an_expired_token_is_refused_after_five_minutes_of_clock_skew(auth, teams, activity, clock):
    token = teams.sign_activity(activity)["Authorization"]
    expiry = teams.token_claims(activity)["exp"]
    clock.now = expiry + 299
    assert auth.check(token, activity).ok
    clock.now = expiry + 301
    assert refusal(auth, token, activity) is Refusal.EXPIRED


def test_a_token_not_yet_valid_is_refused_beyond_five_minutes_of_clock_skew(auth, teams, activity, clock):
    early = teams.sign_activity(activity, nbf=int(NOW) + 299)["Authorization"]
    too_early = teams.sign_activity(activity, nbf=int(NOW) + 301)["Authorization"]
    assert auth.check(early, activity).ok
    assert refusal(auth, too_early, activity) is Refusal.NOT_YET_VALID


def test_an_expiry_that_is_not_a_number_is_malformed(auth, teams, activity):
    assert refusal(auth, teams.sign_activity(activity, exp="tomorrow")["Authorization"], activity) is Refusal.MALFORMED


def test_a_token_signed_by_a_key_the_jwks_does_not_publish_is_refused(auth, teams, activity):
    claims = teams.token_claims(activity)
    assert refusal(auth, bearer(teams.sign(claims, key="stranger")), activity) is Refusal.UNKNOWN_KEY
    # The same stranger's key, claiming to be Microsoft's published key: the signature gives it away.
    forged = teams.sign(claims, key="stranger", kid=teams.keys["teams"].kid)
    assert refusal(auth, bearer(forged), activity) is Refusal.BAD_SIGNATURE


def test_a_token_without_a_key_id_is_refused(auth, teams, activity):
    token = jwt.encode(teams.token_claims(activity), teams.keys["teams"].private, algorithm="RS256")
    assert refusal(auth, bearer(token), activity) is Refusal.UNKNOWN_KEY


def test_alg_none_and_hs256_signed_with_the_public_key_are_refused(auth, teams, activity):
    claims = teams.token_claims(activity)
    kid = teams.keys["teams"].kid
    unsigned = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode()) + "." + \
        b64(json.dumps(claims).encode()) + "."
    assert refusal(auth, bearer(unsigned), activity) is Refusal.BAD_ALGORITHM

    public_pem = teams.keys["teams"].private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode()) + "." + \
        b64(json.dumps(claims).encode())
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert refusal(auth, bearer(signing_input + "." + b64(mac)), activity) is Refusal.BAD_ALGORITHM

    rs512 = teams.sign(claims, algorithm="RS512")
    assert refusal(auth, bearer(rs512), activity) is Refusal.BAD_ALGORITHM


def test_a_key_not_endorsed_for_msteams_cannot_vouch_for_a_teams_activity(auth, teams, activity):
    token = teams.sign_activity(activity, key="webchat")["Authorization"]
    assert refusal(auth, token, activity) is Refusal.KEY_NOT_ENDORSED


def test_only_teams_activities_are_served(auth, teams, activity):
    from_webchat = {**activity, "channelId": "webchat"}
    assert refusal(auth, teams.sign_activity(from_webchat, key="webchat")["Authorization"],
                   from_webchat) is Refusal.WRONG_CHANNEL
    assert refusal(auth, teams.sign_activity(activity)["Authorization"],
                   {**activity, "channelId": None}) is Refusal.WRONG_CHANNEL
    assert refusal(auth, teams.sign_activity(activity)["Authorization"], [activity]) is Refusal.WRONG_CHANNEL


def test_the_token_must_name_the_activitys_service_url(auth, teams, activity):
    elsewhere = teams.sign_activity(activity, serviceurl="https://attacker.example/")["Authorization"]
    assert refusal(auth, elsewhere, activity) is Refusal.SERVICE_URL_MISMATCH
    unnamed = teams.sign_activity(activity, serviceurl=None)["Authorization"]
    assert refusal(auth, unnamed, activity) is Refusal.SERVICE_URL_MISMATCH
    moved = {**activity, "serviceUrl": "https://attacker.example/"}
    assert refusal(auth, teams.sign_activity(activity)["Authorization"], moved) is Refusal.SERVICE_URL_MISMATCH
    without_slash = teams.sign_activity(activity, serviceurl=teams.service_url.rstrip("/"))["Authorization"]
    assert auth.check(without_slash, activity).ok


def test_a_tampered_payload_breaks_the_signature(auth, teams, activity):
    header, _, signature = teams.sign_activity(activity)["Authorization"].removeprefix("Bearer ").split(".")
    claims = {**teams.token_claims(activity), "serviceurl": "https://attacker.example/"}
    tampered = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    assert refusal(auth, bearer(tampered), {**activity, "serviceUrl": "https://attacker.example/"}) \
        is Refusal.BAD_SIGNATURE


def test_keys_are_fetched_once_and_kept(auth, teams, activity):
    for _ in range(3):
        assert auth.check(teams.sign_activity(activity)["Authorization"], activity).ok
    assert len(teams.calls_to("metadata")) == 1
    assert len(teams.calls_to("keys")) == 1


def test_a_rotated_key_is_fetched_once_when_it_first_signs(teams, activity, clock):
    auth = InboundAuth(BOT_APP_ID, metadata_url=teams.metadata_url, clock=clock, refetch_cooldown=0)
    old = teams.sign_activity(activity)["Authorization"]
    assert auth.check(old, activity).ok
    new_kid = teams.rotate_keys()
    rotated = teams.sign_activity(activity)["Authorization"]
    assert jwt.get_unverified_header(rotated.removeprefix("Bearer "))["kid"] == new_kid
    assert auth.check(rotated, activity).ok
    assert auth.check(rotated, activity).ok
    assert auth.check(old, activity).ok  # the old key stays published through the rollover
    assert len(teams.calls_to("keys")) == 2


def test_forged_key_ids_cannot_make_panelbot_refetch_keys_again_and_again(auth, teams, activity):
    assert auth.check(teams.sign_activity(activity)["Authorization"], activity).ok
    for n in range(5):
        forged = teams.sign(teams.token_claims(activity), key="stranger", kid=f"made-up-{n}")
        assert refusal(auth, bearer(forged), activity) is Refusal.UNKNOWN_KEY
    assert len(teams.calls_to("keys")) == 1  # within the cooldown after the first fetch: no refetch


def test_unreachable_metadata_or_keys_are_a_retryable_refusal(auth, teams, activity):
    token = teams.sign_activity(activity)["Authorization"]
    teams.fail_next("metadata", status=503)
    verdict = auth.check(token, activity)
    assert (verdict.refusal, verdict.status) == (Refusal.KEYS_UNAVAILABLE, 503)
    teams.fail_next("keys", status=500)
    assert refusal(auth, token, activity) is Refusal.KEYS_UNAVAILABLE
    assert auth.check(token, activity).ok


def test_the_metadata_url_must_be_http_and_the_app_id_given():
    with pytest.raises(ValueError, match="metadata_url"):
        InboundAuth(BOT_APP_ID, metadata_url="file:///etc/passwd")
    with pytest.raises(ValueError, match="app_id"):
        InboundAuth("", metadata_url="https://login.botframework.com/v1/.well-known/openidconfiguration")


def test_refusals_are_logged_by_code_never_with_the_token_or_what_was_typed(auth, teams, activity, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = [teams.sign_activity(activity, key="webchat")["Authorization"],
              teams.sign_activity(activity, serviceurl="https://attacker.example/")["Authorization"],
              bearer(teams.sign(teams.token_claims(activity), key="stranger")),
              teams.sign_activity(activity)["Authorization"]]
    for token in tokens:
        auth.check(token, activity)
    logged = caplog.text
    assert "key_not_endorsed" in logged and "service_url_mismatch" in logged
    assert SECRET_TEXT not in logged and "Priya" not in logged
    for token in tokens:
        assert token.removeprefix("Bearer ") not in logged
        assert token.removeprefix("Bearer ").split(".")[1] not in logged
