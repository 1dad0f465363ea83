"""The global error handler, the one-line request log, and what never reaches the logs."""

import io
import json
import logging
import re

import pytest

from bot.logs import configure_logging
from handlers.slack.standin.requests import RequestSigner
from tests.conftest import dispatch

CANARY = "Canary-Jane-Doe-1970-01-01-lives-at-7-Acacia-Avenue"


@pytest.fixture
def log_output():
    """What the production log handler writes, at DEBUG, while the test runs."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("DEBUG", "text", stream)
    yield stream
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])


@pytest.fixture
def broken_app(app):
    """The real app with one extra listener that fails, quoting what the person typed."""

    @app.command("/panel-broken")
    def broken(ack, command):
        raise RuntimeError(f"could not handle {command['text']}")

    return app


def test_a_failure_tells_the_person_a_plain_sentence_with_an_incident_id(broken_app, signer, slack, log_output):
    response = dispatch(broken_app, signer.command("U0PRIYA", CANARY, command="/panel-broken"))
    assert response.status == 200  # the sentence travels in the ack: never a 500
    assert slack.calls_to("response_url") == []
    sentence = json.loads(response.body)["text"]
    assert sentence.startswith("Sorry, panelbot hit a problem")
    incident = re.search(r"incident id: `([0-9a-f]{8})`", sentence).group(1)
    logged = log_output.getvalue()
    assert f"incident {incident}" in logged
    assert "Traceback" in logged
    assert "RuntimeError: [message withheld]" in logged
    assert CANARY not in logged


def test_every_request_writes_one_line_with_kind_id_outcome_and_milliseconds(app, signer, log_output):
    dispatch(app, signer.command("U0PRIYA", "help"))
    lines = [line for line in log_output.getvalue().splitlines() if "panelbot.request" in line]
    assert len(lines) == 1
    assert re.search(r"request kind=command id=/panel help outcome=200 ms=\d+\.\d", lines[0])


def test_a_refused_request_is_logged_without_its_contents(app, log_output):
    dispatch(app, RequestSigner("wrong-secret").command("U0PRIYA", CANARY))
    logged = log_output.getvalue()
    assert "request kind=refused id=- outcome=401" in logged
    assert CANARY not in logged


def test_canaries_in_commands_views_actions_and_events_never_reach_the_logs(app, signer, slack, log_output):
    app.logger.setLevel(logging.DEBUG)
    logging.getLogger("slack_sdk").setLevel(logging.DEBUG)
    dispatch(app, signer.command("U0PRIYA", f"{CANARY} more words"))
    dispatch(app, signer.command("U0PRIYA", CANARY, command="/unregistered"))
    view = {"callback_id": "not_ours", "private_metadata": CANARY, "blocks": []}
    dispatch(app, signer.view_submission("U0PRIYA", view, {"b": {"a": {"type": "plain_text_input", "value": CANARY}}}))
    dispatch(app, signer.block_action("U0PRIYA", "not_ours", value=CANARY))
    dispatch(app, signer.event({"type": "app_mention", "user": "U0PRIYA", "text": CANARY, "channel": "C1"}))
    dispatch(app, RequestSigner("wrong-secret").command("U0PRIYA", CANARY))
    logged = log_output.getvalue()
    assert logged.count("panelbot.request") == 6
    assert CANARY not in logged
    assert "Acacia" not in logged


def test_json_logs_carry_the_request_fields(app, signer):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        configure_logging("INFO", "json", stream)
        dispatch(app, signer.command("U0PRIYA", "help"))
    finally:
        root.handlers[:] = saved
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    request = next(entry for entry in entries if entry["logger"] == "panelbot.request")
    assert request["kind"] == "command"
    assert request["id"] == "/panel help"
    assert request["outcome"] == "200"
    assert isinstance(request["ms"], float)
