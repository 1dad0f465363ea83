"""A database that accepts connections and never answers: /healthz says 503 within a second, and a
person gets a plain sentence within Slack's 3 s instead of a lost ack."""

from __future__ import annotations

import json
import socket
import threading
import time
from wsgiref.util import setup_testing_defaults

import pytest

from bot.later import InlineExecutor
from bot.services import Services
from handlers.slack.app import create_app
from handlers.slack.standin.requests import form_state
from handlers.slack.web import SlackWsgi
from messages.slack.submit import submit_modal
from store.db import make_engine, postgresql_connect_args
from tests.conftest import FORUM_ANSWERS, SIGNING_SECRET, dispatch


@pytest.fixture
def hung_database():
    """A TCP listener on 127.0.0.1 that accepts every connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    engine = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{listener.getsockname()[1]}/hung")
    yield engine
    stop.set()
    engine.dispose()
    for sock in held:
        sock.close()
    listener.close()


def _bounded(call, seconds):
    """Run `call` on a thread; (its result, seconds taken), or (None, None) if it has not returned in time."""
    out: list = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    return (out[0], time.monotonic() - started) if out else (None, None)


def _health(wsgi):
    environ = {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    statuses = []
    body = b"".join(wsgi(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], json.loads(body)


def test_the_health_check_answers_503_within_a_second_when_the_database_hangs(app, policy, hung_database):
    wsgi = SlackWsgi(app, Services(engine=hung_database, policy=policy), SIGNING_SECRET)
    for _ in range(3):  # a load balancer keeps asking: each answer is as quick, no thread piles up
        answer, seconds = _bounded(lambda: _health(wsgi), 5)
        assert answer == ("503 Service Unavailable", {"ok": False, "database": "down"})
        assert seconds < 1.0


@pytest.fixture
def hung_app(settings, policy, hung_database, client, clock):
    from handlers.slack.notify import SlackDirectory

    # The team manager on the form holds the role (the stand-in's group), so the submission reaches the database.
    services = Services(engine=hung_database, policy=policy, directory=SlackDirectory(client), clock=lambda: clock[0])
    return create_app(settings, services, listener_executor=InlineExecutor())


def test_a_submission_gets_a_sentence_within_3_seconds_when_the_database_hangs(hung_app, signer, policy):
    view = {**submit_modal(policy), "id": "V0HUNG"}
    signed = signer.view_submission("U0PRIYA", view, form_state(view, FORUM_ANSWERS))
    response, seconds = _bounded(lambda: dispatch(hung_app, signed), 10)
    assert response is not None and seconds < 3.0
    body = json.loads(response.body)
    assert response.status == 200 and body["response_action"] == "errors"
    assert "nothing was saved" in next(iter(body["errors"].values()))


def test_a_slash_command_gets_a_sentence_within_3_seconds_when_the_database_hangs(hung_app, signer, slack):
    response, seconds = _bounded(lambda: dispatch(hung_app, signer.command("U0PRIYA", "mine")), 10)
    assert response is not None and seconds < 3.0
    assert response.status == 200
    assert json.loads(response.body)["text"].startswith("panelbot cannot reach its database just now")


def test_postgresql_sessions_carry_connect_statement_and_lock_timeouts():
    args = postgresql_connect_args()
    assert args["connect_timeout"] == 2
    assert "-c statement_timeout=5000" in args["options"] and "-c lock_timeout=2000" in args["options"]
    assert "statement_timeout" not in postgresql_connect_args(statement_timeout_ms=None)["options"]


def test_the_statement_timeout_is_in_force_on_postgresql(engine):
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 2500
        return
    with engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "5s"
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "2s"
