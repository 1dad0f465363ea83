"""Verify before parsing: every unsigned, stale or malformed request gets 401 and one log line that
carries none of its content, over real HTTP and through dispatch; a signed odd body gets 400, not 500."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest

from bot.logs import configure_logging
from handlers.slack.standin.requests import RequestSigner, SignedRequest
from tests.conftest import SIGNING_SECRET, dispatch
from tests.serving import panelbot_serve, request

CANARY = "Canary-Jane-Doe-1970-01-01-lives-at-7-Acacia-Avenue"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


# (name, body, content type): bodies that reached Bolt's code unsigned and got 500 or were logged.
HOSTILE = [
    ("list", "[]", JSON),
    ("null", "null", JSON),
    ("payload-list", "payload=[]", FORM),
    ("payload-null", "payload=null", FORM),
    ("typed-user-team", json.dumps({"type": "block_actions", "user": CANARY, "team": 5, "authorizations": "x"}), JSON),
    ("typed-ids", "payload=" + json.dumps({"team": {"id": 5}, "user": {"id": [CANARY]}, "authorizations": [1]}), FORM),
    ("nested-100000", _deep(100_000), JSON),
    ("invalid-json", '{"text": "' + CANARY, JSON),
    ("ssl-check-typed", json.dumps({"ssl_check": 1, "token": [CANARY], "command": {"text": CANARY}}), JSON),
    ("ssl-check-newlines", urlencode({"ssl_check": "1", "token": "x", "command": f"/panel\n{CANARY}\nhelp"}), FORM),
    ("command", urlencode({"command": "/panel", "text": CANARY, "user_id": "U0PRIYA"}), FORM),
    ("empty", "", FORM),
]


def _unsigned_headers(content_type: str, *, timestamp: str | None = None) -> dict[str, str]:
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp or str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64}


def _variants() -> list[tuple[str, str, dict[str, str]]]:
    """Each hostile body unsigned, with a malformed timestamp, stale-signed and with no headers at all."""
    stale = RequestSigner(SIGNING_SECRET)
    out = []
    for name, body, content_type in HOSTILE:
        out.append((f"{name}-unsigned", body, _unsigned_headers(content_type)))
        out.append((f"{name}-bad-timestamp", body, _unsigned_headers(content_type, timestamp=f"1e9 {CANARY}")))
        signed = stale.sign(body, timestamp=int(time.time()) - 600)
        out.append((f"{name}-stale", body, {**signed.headers, "Content-Type": content_type}))
        out.append((f"{name}-no-headers", body, {"Content-Type": content_type}))
    return out


VARIANTS = _variants()


@pytest.fixture(scope="module")
def served(standin, tmp_path_factory):
    with panelbot_serve(standin.api_url, tmp_path_factory.mktemp("ingress")) as running:
        yield running


@pytest.fixture
def log_output():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("DEBUG", "text", stream)
    yield stream
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])


def test_every_hostile_request_over_http_gets_401_and_one_log_line_without_its_content(served):
    failures = []
    for name, body, headers in VARIANTS:
        served.mark()
        status, answer = request(served.port, "POST", "/slack/events", body, headers)
        logged = [line for line in served.new_log(settle=0.05).splitlines() if line.strip()]
        if (status != 401 or len(logged) != 1 or "outcome=401" not in logged[0] or CANARY in answer
                or "Acacia" in "".join(logged) or "Traceback" in "".join(logged)):
            failures.append((name, status, logged))
    assert failures == []


def test_a_signed_slash_command_still_works_over_http_and_logs_only_our_ids(served):
    served.mark()
    signed = RequestSigner(SIGNING_SECRET).command("U0PRIYA", f"{CANARY} more")
    status, _ = request(served.port, "POST", "/slack/events", signed.body, signed.headers)
    logged = served.new_log()
    assert status == 200
    assert "request kind=command id=/panel ? outcome=200" in logged
    assert CANARY not in logged


@pytest.mark.parametrize(("raw", "content_type", "status"), [
    (b"[]", JSON, 400), (b"null", JSON, 400), (b"payload=[]", FORM, 400), (_deep(100_000).encode(), JSON, 400),
    (b'{"text": "', JSON, 400), (b"text=\xff\xfe", FORM, 401),
], ids=["list", "null", "payload-list", "nested", "invalid-json", "not-utf8-never-from-slack"])
def test_a_signed_body_that_is_not_a_slack_request_gets_400_over_http(served, raw, content_type, status):
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256).hexdigest()
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": f"v0={digest}"}
    assert request(served.port, "POST", "/slack/events", raw, headers)[0] == status


# Bodies Bolt's parser accepts, so they reach `dispatch` whoever sent them.
PARSABLE = [
    ("typed-type", json.dumps({"type": 5, "event": CANARY, "user": CANARY}), JSON),
    ("typed-actions", json.dumps({"type": "block_actions", "actions": CANARY, "user": {"id": 5}}), JSON),
    ("ssl-check-newlines", urlencode({"ssl_check": "1", "command": f"/panel\n{CANARY}\nhelp"}), FORM),
    ("ssl-check-typed", json.dumps({"ssl_check": 1, "token": [CANARY], "command": {"a": CANARY}}), JSON),
    ("view-typed", "payload=" + json.dumps({"type": "view_submission", "view": CANARY, "user": {"id": "U1"}}), FORM),
    ("command", urlencode({"command": "/panel", "text": f"help\n{CANARY}", "user_id": "U0PRIYA"}), FORM),
]


@pytest.mark.parametrize(("body", "content_type"), [(b, c) for _, b, c in PARSABLE], ids=[n for n, _, _ in PARSABLE])
def test_through_dispatch_an_unsigned_request_gets_401_and_one_clean_line(app, slack, log_output, body, content_type):
    app.logger.setLevel(logging.DEBUG)
    for headers in (_unsigned_headers(content_type), _unsigned_headers(content_type, timestamp="12\n34"), {}):
        log_output.seek(0)
        log_output.truncate()
        response = app.dispatch(BoltRequest(body=body, headers={**headers, "Content-Type": content_type}))
        assert response.status == 401
        lines = log_output.getvalue().splitlines()
        assert len(lines) == 1 and "request kind=refused id=- outcome=401" in lines[0]
        assert CANARY not in log_output.getvalue()
    assert slack.calls == []


WRONG_SHAPE = [case for case in PARSABLE if case[0] not in ("ssl-check-newlines", "command")]


@pytest.mark.parametrize(("body", "content_type"), [(b, c) for _, b, c in WRONG_SHAPE],
                         ids=[n for n, _, _ in WRONG_SHAPE])
def test_through_dispatch_a_signed_body_of_the_wrong_shape_gets_400_not_500(app, signer, log_output, body,
                                                                           content_type):
    signed = signer.sign(body)
    response = dispatch(app, SignedRequest(body, {**signed.headers, "Content-Type": content_type}))
    assert response.status == 400
    assert CANARY not in log_output.getvalue()


def test_after_verification_the_log_names_only_our_own_ids(app, signer, log_output):
    dispatch(app, signer.block_action("U0PRIYA", CANARY, value="1"))
    dispatch(app, signer.view_submission("U0PRIYA", {"callback_id": CANARY, "blocks": []}, {}))
    dispatch(app, signer.shortcut("U0PRIYA", CANARY))
    dispatch(app, signer.event({"type": CANARY, "user": "U0PRIYA"}))
    dispatch(app, signer.command("U0PRIYA", "help", command="/" + CANARY[:20]))
    logged = log_output.getvalue()
    assert logged.count("panelbot.request") == 5
    assert "Canary" not in logged
