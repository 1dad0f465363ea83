"""Who sends what a change queued (bot.deliveries): the web process after its ack, or the worker woken
by the commit (PANELBOT_DELIVERY=worker), and each message once whoever sends it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor, Future
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from bot.deliveries import DeliveryLoop, due_cases
from bot.later import InlineExecutor, Later
from bot.notify import Notice
from bot.services.outbox import WAKE_CHANNEL, queue_notice
from bot.settings import load_settings
from handlers.slack.app import create_app
from handlers.slack.replies import after_ack, deliver
from store.models import Outbox
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEST_AUDIT_KEY
from tests.test_submit import FORUM_CASE, PRIYA, posts_to, submit


def wait_for(check: Any, limit: float = 5.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


@pytest.fixture
def worker_app(settings, services, slack):
    """The real app as `panelbot serve` runs it with PANELBOT_DELIVERY=worker: it sends nothing itself."""
    application = create_app(settings, services, listener_executor=InlineExecutor(), deliver_here=False)
    slack.reset()
    for body in services.policy.bodies.values():
        slack.add_channel(body.channel)
    return application


def test_with_the_worker_delivering_the_web_process_answers_the_form_and_posts_nothing(
        worker_app, signer, slack, policy, engine):
    answer = submit(worker_app, signer, policy, FORUM_CASE)
    assert answer["response_action"] == "update"
    assert slack.calls_to("chat.postMessage") == []
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Outbox).where(Outbox.state == "pending")) >= 2


def test_the_worker_sends_the_card_and_the_receipt_soon_after_the_commit(worker_app, signer, slack, policy, services):
    # Looking only once a minute: on PostgreSQL only the commit's notification can wake it in time;
    # SQLite has none, so there the loop looks twice a second.
    look = 60.0 if services.engine.dialect.name == "postgresql" else 0.5
    loop = DeliveryLoop(services, look_every=look).start()
    try:
        time.sleep(0.3)  # its first look (nothing due) is over: what follows is a wake-up
        started = time.monotonic()
        submit(worker_app, signer, policy, FORUM_CASE)
        forum = policy.bodies["forum"].channel
        assert wait_for(lambda: posts_to(slack, forum) and posts_to(slack, PRIYA), limit=3.0)
        assert time.monotonic() - started < 2.0
    finally:
        loop.stop()
    [card] = posts_to(slack, forum)
    assert "1234567" in card.args["text"]
    assert len(posts_to(slack, PRIYA)) == 1


def test_a_commit_that_queues_a_message_notifies_its_case_and_a_rollback_does_not(services, new_case):
    now = services.now()
    if services.engine.dialect.name != "postgresql":
        # SQLite has no notifications: the worker finds what is due by looking, and a rollback leaves nothing.
        with pytest.raises(RuntimeError), services.sessions.begin() as session:
            queue_notice(session, Notice.AGENDA, None, "C0FORUM001", now, key="agenda:rolled-back")
            raise RuntimeError("the change fails after queuing")
        assert due_cases(services, now) == []
        case_id = new_case()
        assert due_cases(services, now) == [case_id]
        return
    args, params = services.engine.dialect.create_connect_args(services.engine.url)
    with psycopg.connect(*args, **params, autocommit=True) as listener:
        listener.execute(f"LISTEN {WAKE_CHANNEL}")

        def heard() -> list[str]:
            return [note.payload for note in listener.notifies(timeout=0.5)]

        with services.sessions.begin() as session:  # nothing queued: nothing said
            session.scalar(select(func.count()).select_from(Outbox))
        assert heard() == []
        with pytest.raises(RuntimeError), services.sessions.begin() as session:
            queue_notice(session, Notice.AGENDA, None, "C0FORUM001", now, key="agenda:rolled-back")
            raise RuntimeError("the change fails after queuing")
        assert heard() == []
        with services.sessions.begin() as session:
            for n in range(3):
                queue_notice(session, Notice.AGENDA, None, "C0FORUM001", now, key=f"agenda:{n}")
        assert heard() == [""]  # once per transaction, naming no case
        case_id = new_case()
        assert heard() == [str(case_id)]  # the case's row id: never its reference or anything typed


class HeldExecutor(Executor):
    """Holds each task until `release()`: a delivery pass that is still running."""

    def __init__(self) -> None:
        self.held: list[Any] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.held.append(lambda: fn(*args, **kwargs))
        return Future()

    def release(self) -> int:
        ran = 0
        while self.held:
            self.held.pop(0)()
            ran += 1
        return ran


def test_a_case_is_sent_by_one_pass_at_a_time_and_a_wake_meanwhile_owes_one_more(services, new_case, slack):
    channel, rest = HeldExecutor(), HeldExecutor()
    loop = DeliveryLoop(services, channel=Later("c", 1, 100, channel), rest=Later("r", 1, 100, rest))
    case_id = new_case()
    assert due_cases(services, services.now()) == [case_id]
    assert loop.pass_once() == 1
    assert loop.pass_once() == 0  # woken again while the first pass is running: nothing started twice
    assert loop.pass_once() == 0
    assert channel.release() == 1  # the channel posts; then the rest is queued behind them
    assert rest.release() == 1  # the rest; then the one pass owed for the wakes meanwhile
    assert channel.release() == 1 and rest.release() == 1
    assert channel.held == [] and rest.held == []
    assert due_cases(services, services.now()) == []
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Outbox).where(Outbox.state != "sent")) == 0


def test_the_worker_and_a_web_process_sending_the_same_case_at_once_send_each_message_once(
        worker_app, app, signer, slack, policy, services):
    submit(worker_app, signer, policy, FORUM_CASE)  # queued, not sent
    loop = DeliveryLoop(services)
    with services.sessions() as session:
        case_id = session.scalar(select(Outbox.case_id).where(Outbox.case_id.is_not(None)))
    start = threading.Barrier(2)

    def web() -> None:
        start.wait()
        deliver(after_ack(app), services, case_id)

    def worker() -> None:
        start.wait()
        loop.pass_once()

    threads = [threading.Thread(target=web), threading.Thread(target=worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wait_for(lambda: due_cases(services, services.now()) == [])
    loop.stop()
    assert len(posts_to(slack, policy.bodies["forum"].channel)) == 1
    assert len(posts_to(slack, PRIYA)) == 1


@pytest.mark.parametrize(("url", "chosen", "worker"), [
    ("sqlite:///panelbot.db", None, False), ("postgresql://u@h/db", None, True),
    ("postgresql://u@h/db", "web", False), ("sqlite:///panelbot.db", "worker", True)])
def test_who_delivers_by_default_and_when_told(url, chosen, worker):
    settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                             database_url=url, panelbot_audit_key=TEST_AUDIT_KEY,
                             **({"panelbot_delivery": chosen} if chosen else {}))
    assert settings.worker_delivers is worker


def test_a_message_another_transaction_is_claiming_is_skipped_at_once_not_waited_for(services, new_case):
    from bot.services.outbox import _claim

    new_case()
    with services.sessions() as session:
        row_id, kind = session.execute(select(Outbox.id, Outbox.kind).order_by(Outbox.id)).first()
    if services.engine.dialect.name != "postgresql":  # one writer at a time: the claim is simply once
        assert _claim(services, row_id, kind, services.now(), {}) is not None
        assert _claim(services, row_id, kind, services.now(), {}) is None
        return
    with services.engine.connect() as other:
        other.execute(select(Outbox.id).where(Outbox.id == row_id).with_for_update())  # held, not committed
        started = time.monotonic()
        assert _claim(services, row_id, kind, services.now(), {}) is None
        assert time.monotonic() - started < 0.5  # the lock timeout is 2 s: it did not wait
        other.rollback()
    assert _claim(services, row_id, kind, services.now(), {}) is not None  # free again: claimed


def test_a_delivery_that_meets_a_busy_database_says_so_in_one_warning_and_leaves_its_messages(
        services, new_case, monkeypatch, caplog):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    import bot.deliveries

    case_id = new_case()

    def busy(*args: Any, **kwargs: Any) -> int:
        raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(bot.deliveries, "deliver_due", busy)
    inline = InlineExecutor()
    with caplog.at_level("WARNING"):
        assert bot.deliveries.send_soon(Later("c", 1, 10, inline), Later("r", 1, 10, inline), services, case_id)
    lines = [(record.levelname, record.getMessage()) for record in caplog.records if record.name.startswith("panelbot")]
    assert lines == [("WARNING", f"delivery for case id {case_id} left for later: the database was busy "
                                 "(OperationalError)")] * 2  # the channel posts' pass and the rest's
    assert not any(record.exc_info for record in caplog.records)
    assert due_cases(services, services.now()) == [case_id]


def test_the_loop_outlives_a_failing_wake_up_and_still_sends(services, new_case, slack, policy, caplog):
    class Failing:
        calls = 0

        def wait(self, timeout: float) -> set[int | None]:
            Failing.calls += 1
            if Failing.calls == 1:
                raise OSError("the socket went away")
            time.sleep(timeout)
            return set()

        def poke(self) -> None:
            pass

        def close(self) -> None:
            pass

    for body in policy.bodies.values():
        slack.add_channel(body.channel)
    loop = DeliveryLoop(services, look_every=0.1)
    loop._wake = Failing()  # type: ignore[assignment]
    loop.start()
    try:
        assert wait_for(lambda: Failing.calls >= 1)  # the wake-up has failed once
        new_case()
        assert wait_for(lambda: posts_to(slack, policy.bodies["forum"].channel), limit=5.0)
        assert loop._thread is not None and loop._thread.is_alive()
    finally:
        loop.stop()
    assert Failing.calls >= 2
    assert any("wake-up failed" in record.getMessage() for record in caplog.records)
