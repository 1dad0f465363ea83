"""`panelbot serve` over real HTTP: the Slack endpoint, the health check, and refusals."""

import json
import os
import subprocess
import sys
import time
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest

from bot.services import Services
from handlers.slack.standin.requests import RequestSigner
from handlers.slack.web import SlackWsgi
from store.db import make_engine
from tests.conftest import SIGNING_SECRET, TEST_AUDIT_KEY
from tests.serving import free_port, request, wait_until_healthy


@pytest.fixture(scope="module")
def server(standin, tmp_path_factory):
    """`panelbot serve` in its own process, pointed at the Slack stand-in and a fresh SQLite file."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SLACK_BOT_TOKEN="xoxb-http-test", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=standin.api_url,
               DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('serve')}/serve.db", PORT=str(port),
               PANELBOT_AUDIT_KEY=TEST_AUDIT_KEY)
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not wait_until_healthy(port, process):
        process.kill()
        output = process.communicate()[0]
        pytest.fail("panelbot serve did not start:\n" + output)
    yield port
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def test_serve_answers_a_signed_slash_command_over_http(server):
    signed = RequestSigner(SIGNING_SECRET).command("U0PRIYA", "help")
    status, body = request(server, "POST", "/slack/events", signed.body, signed.headers)
    assert status == 200
    assert "/panel help" in json.loads(body)["text"]


def test_serve_refuses_a_forged_request_over_http(server):
    forged = RequestSigner("not-the-secret").command("U0PRIYA", "help")
    assert request(server, "POST", "/slack/events", forged.body, forged.headers)[0] == 401


def test_serve_refuses_an_unsigned_garbled_body_with_401(server):
    body = urlencode({"payload": "{not json"})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(int(time.time())),
               "X-Slack-Signature": "v0=" + "0" * 64}
    assert request(server, "POST", "/slack/events", body, headers)[0] == 401


def test_serve_health_check_reports_the_database(server):
    status, body = request(server, "GET", "/healthz")
    assert (status, json.loads(body)) == (200, {"ok": True, "database": "up"})


def test_serve_answers_404_elsewhere_and_405_to_a_get_on_the_slack_endpoint(server):
    assert request(server, "GET", "/")[0] == 404
    assert request(server, "GET", "/slack/events")[0] == 405


def test_the_health_check_is_503_when_the_database_does_not_answer(app, policy):
    app_policy = policy
    dead = Services(engine=make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none"), policy=app_policy)
    environ = {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    statuses = []
    body = b"".join(SlackWsgi(app, dead, SIGNING_SECRET)(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["503 Service Unavailable"]
    assert json.loads(body) == {"ok": False, "database": "down"}
