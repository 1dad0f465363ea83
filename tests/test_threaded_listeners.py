"""In production a listener runs in the request's thread and its ack is answered when it returns."""

import json
import threading

from handlers.slack.app import create_app
from tests.conftest import dispatch


def test_a_failure_after_the_ack_reaches_the_person_in_the_answer(settings, services, slack, signer):
    app = create_app(settings, services)  # no executor given: as `panelbot serve` runs it

    @app.command("/panel-late-failure")
    def late_failure(ack):
        ack()
        raise RuntimeError("after the ack")

    response = dispatch(app, signer.command("U0PRIYA", "", command="/panel-late-failure"))
    assert response.status == 200
    assert "incident id" in json.loads(response.body)["text"]
    assert not slack.calls_to("response_url")  # one answer, not an empty ack and then a second message


def test_the_ack_is_answered_from_the_request_thread_without_waiting_for_a_poll(settings, services, slack, signer):
    app = create_app(settings, services)
    ran_in = []

    @app.command("/panel-where")
    def where(ack):
        ran_in.append(threading.current_thread())
        ack(text="here")

    response = dispatch(app, signer.command("U0PRIYA", "", command="/panel-where"))
    assert response.body == "here"
    assert ran_in == [threading.current_thread()]
