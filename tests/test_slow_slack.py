"""No request waits on Slack: Slack calls after the ack run off the request and listener threads, and
the Web API client's timeout and retries are chosen on purpose."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.error import URLError

import pytest
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.addresses import Surface
from bot.later import Later
from handlers.slack.app import create_app
from handlers.slack.runtime import RetryIdempotentOnConnectionError, make_client
from handlers.slack.standin.requests import form_state
from messages.slack.submit import submit_modal
from tests.conftest import FORUM_ANSWERS, dispatch

SLOW = 3.0  # seconds the stand-in takes to answer the slow methods


def wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def threaded_app(settings, services, slack):
    """The app as `panelbot serve` runs it: Bolt's listener pool and panelbot's after-ack pools."""
    app = create_app(settings, services)
    slack.reset()
    yield app
    slack.delays.clear()
    app.after_ack.shutdown()


def test_requests_are_acked_at_once_while_slack_takes_3_seconds_for_fifteen_calls(threaded_app, signer, slack):
    slack.delays.update({"views.open": SLOW, "views.publish": SLOW, "chat.postMessage": SLOW})
    # 15 slow calls: fewer than the Slack pool's 16 threads, so every modal opens within its trigger's life
    # (a 17th would wait 3 s for a thread, and a modal is not opened after 2.5 s: its trigger has expired).
    slow_ones = [signer.command(f"U0P{n:04d}", "submit") for n in range(10)]
    slow_ones += [signer.event({"type": "app_home_opened", "user": f"U0H{n:04d}", "tab": "home"}, event_id=f"Ev{n}")
                  for n in range(5)]
    with ThreadPoolExecutor(len(slow_ones)) as pool:
        acks = list(pool.map(lambda signed: _timed(threaded_app, signed), slow_ones))
        help_acks = [_timed(threaded_app, signer.command("U0PRIYA", "help")) for _ in range(5)]
    assert all(status == 200 and seconds < 2.0 for status, seconds in acks), acks
    assert all(status == 200 and seconds < 2.0 for status, seconds in help_acks), help_acks
    # The modals still open and the Home tabs are still published, after the ack.
    assert wait_for(lambda: len(slack.calls_to("views.open")) == 10 and len(slack.calls_to("views.publish")) == 5)


def _timed(app, signed):
    started = time.monotonic()
    response = dispatch(app, signed)
    return response.status, time.monotonic() - started


def test_a_full_pool_drops_work_with_a_log_line_instead_of_queuing_without_limit():
    release = threading.Event()
    later = Later("test", workers=1, limit=2)
    try:
        assert later("first", release.wait) is True
        assert later("second", release.wait) is True
        assert later("third", release.wait) is False
    finally:
        release.set()
        later.shutdown()


def test_a_task_that_cannot_start_within_the_trigger_life_is_skipped():
    release, ran = threading.Event(), []
    later = Later("test", workers=1, limit=10)
    try:
        later("blocker", lambda: release.wait(5))
        later("views.open", lambda: ran.append(1), within=0.2)
        time.sleep(0.4)
        release.set()
    finally:
        later.shutdown()
    assert ran == []


def _request(method: str) -> HttpRequest:
    return HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={})


@pytest.mark.parametrize(("method", "retried"), [
    ("chat.postMessage", False), ("chat.postEphemeral", False), ("views.open", True),
    ("conversations.open", True), ("views.publish", True), ("chat.update", True), ("users.info", True),
])
def test_a_dropped_connection_is_retried_only_for_calls_that_cannot_double_a_message(method, retried):
    handler = RetryIdempotentOnConnectionError(max_retry_count=1)
    assert handler.can_retry(state=RetryState(), request=_request(method), error=ConnectionResetError()) is retried
    assert handler.can_retry(state=RetryState(), request=_request(method), error=URLError("reset")) is retried


def test_user_groups_are_read_during_a_request_with_a_short_timeout_and_no_retry(settings):
    from bot.runtime import build_services

    services = build_services(settings)
    client = services.directory.directory_of(Surface.SLACK).client
    assert (client.timeout, client.retry_handlers) == (2, [])
    services.engine.dispose()


def test_the_clients_have_their_timeouts_and_retry_handlers_set_in_one_place(settings):
    delivery, interactive = make_client(settings), make_client(settings, interactive=True)
    assert (delivery.timeout, interactive.timeout) == (10, 5)
    assert [type(h).__name__ for h in delivery.retry_handlers] == ["RetryIdempotentOnConnectionError"]
    assert [type(h).__name__ for h in interactive.retry_handlers] == ["RetryIdempotentOnConnectionError",
                                                                      "RateLimitErrorRetryHandler"]


def test_a_case_card_reaches_its_channel_while_every_dm_thread_is_busy(threaded_app, signer, slack, policy):
    """The card goes on the channel pool: other people's DMs waiting on a slow Slack do not hold it up."""
    release = threading.Event()
    busy = [threaded_app.after_ack.deliveries(f"busy {n}", release.wait) for n in range(8)]
    try:
        assert all(busy)
        view = {**submit_modal(policy), "id": "V0CARDFIRST"}
        response = dispatch(threaded_app, signer.view_submission("U0PRIYA", view, form_state(view, FORUM_ANSWERS)))
        assert response.status == 200
        cards = lambda: [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == "C0FORUM001"]  # noqa: E731
        assert wait_for(lambda: len(cards()) == 1, seconds=5)
        # The receipt to the submitter waits for a delivery thread: none has been posted yet.
        assert not [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == "U0PRIYA"]
    finally:
        release.set()
    assert wait_for(lambda: any(c.args.get("channel") == "U0PRIYA" for c in slack.calls_to("chat.postMessage")))


def test_on_sqlite_a_persons_change_goes_before_deliveries_waiting_for_the_write_lock():
    """Deliveries claim and mark each message in a change of their own; with many waiting, a decision
    form used to wait past the busy timeout behind them and was answered "nothing was saved"."""
    from store.db import _Writer

    writer, order = _Writer(), []
    assert writer.acquire(1, background=False)

    def wait(name, background):
        assert writer.acquire(5, background=background)
        order.append(name)
        writer.release()

    waiting = [threading.Thread(target=wait, args=(f"delivery {n}", True)) for n in range(3)]
    for thread in waiting:
        thread.start()
    time.sleep(0.1)  # the deliveries are in line first
    person = threading.Thread(target=wait, args=("decision form", False))
    person.start()
    time.sleep(0.1)
    writer.release()
    for thread in [*waiting, person]:
        thread.join()
    assert order[0] == "decision form" and sorted(order[1:]) == ["delivery 0", "delivery 1", "delivery 2"]
    # A background change still gets the lock when nobody is waiting, and gives up after its timeout.
    assert writer.acquire(1, background=True)
    assert not writer.acquire(0.1, background=True)
    writer.release()
