"""In production Bolt acks first and finishes listeners on its thread pool; the same app works so."""

import time

from handlers.slack.app import create_app
from tests.conftest import dispatch


def wait_for(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_failure_after_the_ack_still_reaches_the_person_on_the_thread_pool(settings, services, slack, signer):
    app = create_app(settings, services)  # Bolt's own thread pool, as `panelbot serve` runs it

    @app.command("/panel-late-failure")
    def late_failure(ack):
        ack()
        raise RuntimeError("after the ack")

    response = dispatch(app, signer.command("U0PRIYA", "", command="/panel-late-failure"))
    assert response.status == 200
    assert wait_for(lambda: slack.calls_to("response_url"))
    assert "incident id" in slack.calls_to("response_url")[0].args["text"]
