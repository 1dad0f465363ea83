"""Every Slack request is signature-checked; forged, stale and malformed ones are refused."""

import pytest

from handlers.slack.standin.requests import RequestSigner, SignedRequest
from tests.conftest import dispatch


def test_a_correctly_signed_request_is_answered(app, signer):
    assert dispatch(app, signer.command("U0PRIYA", "help")).status == 200


def test_a_request_signed_with_another_secret_is_refused(app):
    forged = RequestSigner("someone-elses-secret").command("U0PRIYA", "help")
    assert dispatch(app, forged).status == 401


def test_a_request_whose_body_was_changed_after_signing_is_refused(app, signer):
    signed = signer.command("U0PRIYA", "help")
    tampered = SignedRequest(signed.body.replace("U0PRIYA", "U0CHAIR"), signed.headers)
    assert dispatch(app, tampered).status == 401


def test_a_request_signed_more_than_five_minutes_ago_is_refused(app, signer):
    stale = signer.command("U0PRIYA", "help", timestamp=int(signer.clock()) - 301)
    assert dispatch(app, stale).status == 401


def test_a_request_signed_four_minutes_ago_is_still_answered(app, signer):
    recent = signer.command("U0PRIYA", "help", timestamp=int(signer.clock()) - 240)
    assert dispatch(app, recent).status == 200


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Slack-Request-Timestamp", "not-a-number"),
        ("X-Slack-Request-Timestamp", ""),
        ("X-Slack-Request-Timestamp", "1e9"),
        ("X-Slack-Signature", "v0=" + "é" * 64),
        ("X-Slack-Signature", "v1=abc"),
        ("X-Slack-Signature", ""),
    ],
    ids=["timestamp-words", "timestamp-empty", "timestamp-float", "signature-non-ascii", "signature-wrong-version",
         "signature-empty"],
)
def test_a_malformed_signature_header_gets_401_not_500(app, signer, header, value):
    signed = signer.command("U0PRIYA", "help")
    assert dispatch(app, SignedRequest(signed.body, {**signed.headers, header: value})).status == 401


@pytest.mark.parametrize("missing", ["X-Slack-Request-Timestamp", "X-Slack-Signature"])
def test_a_request_without_signature_headers_is_refused(app, signer, missing):
    signed = signer.command("U0PRIYA", "help")
    headers = {name: value for name, value in signed.headers.items() if name != missing}
    assert dispatch(app, SignedRequest(signed.body, headers)).status == 401


def test_an_ssl_check_is_not_a_way_around_the_signature(app):
    forged = RequestSigner("someone-elses-secret").sign("ssl_check=1&token=x&command=%2Fpanel&text=help")
    response = dispatch(app, forged)
    assert response.status in (200, 401)
    assert "/panel help" not in (response.body or "")
