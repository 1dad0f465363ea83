"""Sending what a change queued, soon after it commits: from the web process, or from the worker woken
by the database.

A change writes the messages it owes into the outbox in its own transaction (bot.services.outbox).
Who sends them soon after the commit is a deployment's choice (`PANELBOT_DELIVERY`):

- `web`: the process that made the change sends them on two bounded pools after its ack
  (`send_soon`): the case's channel posts first, then its DMs and Home tabs. One process, nothing
  else to run; SQLite's default, where a second process writing would wait for the file's one lock.
- `worker`: the web process only acknowledges, and the worker sends (`DeliveryLoop`). Every
  transaction that queues a message also sends PostgreSQL a `NOTIFY` naming the case's row id
  (delivered at its commit, never for a rollback); the worker `LISTEN`s, and sends that case's due
  messages on the same two pools. It also looks for every case with messages due every few
  seconds, so a notification missed while its connection was being opened again costs seconds,
  not the minute to the next tick. PostgreSQL's default: with fifty people at once
  and Slack answering in 300 ms, the sending took about two thirds of the web process's time, and
  the acks waited for it (bench/bench_slow_slack.py).

Either way every row is claimed before it is sent, so a web process and a worker sending the same
case at once send each message once, and what is not sent stays for the worker's next tick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from bot.later import Later
from bot.notify import Notice
from bot.services import Services
from bot.services.outbox import CHANNEL_POSTS, PENDING, WAKE_CHANNEL, deliver_due
from store.db import postgresql_connect_args
from store.models import Outbox

logger = logging.getLogger("panelbot.deliveries")

LOOK_EVERY_PG = 5.0  # seconds between looks when no notification comes (PostgreSQL)
LOOK_EVERY_SQLITE = 0.5  # SQLite has no notifications: the worker looks this often
DUE_CASES = 500  # cases looked at in one pass; the rest at the next
# The worker's pools: the channel posts of 50 cases at 300 ms a call are out within a second; the
# DMs, Home tabs and calendar files after them (sized as the web process's, handlers.slack.app).
CHANNEL_THREADS, CHANNEL_QUEUE = 16, 1024
REST_THREADS, REST_QUEUE = 8, 1024


def send_soon(channel: Later, rest: Later, services: Services, case_id: int | None = None, *,
              caseless: bool = False, then: Callable[[], None] | None = None) -> bool:
    """Send what is due for `case_id` (or for no case, with `caseless`; or everything) off the caller's
    thread: the channel posts on `channel`, then (queued once they are sent, behind other changes'
    channel posts) the rest on `rest`. A case card therefore never waits behind other people's DMs.
    `then()` runs when both are done, or at once if nothing could be queued. False: nothing queued."""

    def finish() -> None:
        if then is not None:
            then()

    def rest_of() -> None:
        try:
            _pass(services, case_id, caseless, None)
        finally:
            finish()

    def channel_posts() -> None:
        try:
            _pass(services, case_id, caseless, CHANNEL_POSTS)
        finally:
            if not rest("deliver", rest_of):
                finish()

    if channel("deliver to channel", channel_posts):
        return True
    if rest("deliver", rest_of):
        return True
    finish()
    return False


def _pass(services: Services, case_id: int | None, caseless: bool, kinds: frozenset[Notice] | None) -> None:
    try:
        deliver_due(services, services.now(), case_id=case_id, caseless=caseless, kinds=kinds)
    except OperationalError as exc:
        # SQLite's one writer was busy with people's changes past the busy timeout (they go first), or
        # the database did not answer: nothing is lost, the rows wait for the next pass or tick.
        logger.warning("delivery for case id %s left for later: the database %s (%s)", case_id,
                       "was busy" if "locked" in str(exc.orig) else "did not answer", type(exc.orig).__name__)


def due_cases(services: Services, now: datetime, limit: int = DUE_CASES) -> list[int | None]:
    """The cases with messages due now (None: messages about no case), oldest first."""
    with services.sessions() as session:
        found = session.execute(
            select(Outbox.case_id).where(Outbox.state == PENDING, Outbox.not_before <= now)
            .group_by(Outbox.case_id).order_by(func.min(Outbox.id)).limit(limit)).all()
    return [case_id for (case_id,) in found]


class DeliveryLoop:
    """The worker's sender, for `PANELBOT_DELIVERY=worker`: woken by a change's commit (PostgreSQL) or
    every `look_every` seconds, it sends each case's due messages on two bounded pools, channel posts
    first. A case is sent by one pass at a time; a wake for a case being sent runs one more pass after."""

    def __init__(self, services: Services, *, look_every: float | None = None,
                 channel: Later | None = None, rest: Later | None = None) -> None:
        self.services = services
        postgres = services.engine.dialect.name == "postgresql"
        self.look_every = look_every if look_every is not None else (LOOK_EVERY_PG if postgres else LOOK_EVERY_SQLITE)
        self._wake = PostgresWake(services.engine) if postgres else None
        self._channel = channel or Later("worker-channel", CHANNEL_THREADS, CHANNEL_QUEUE)
        self._rest = rest or Later("worker-deliveries", REST_THREADS, REST_QUEUE)
        self._lock = threading.Lock()
        self._running: dict[int | None, bool] = {}  # case id → another pass is owed after this one
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DeliveryLoop:
        self._thread = threading.Thread(target=self._loop, name="delivery-loop", daemon=True)
        self._thread.start()
        logger.info("delivering from the worker: woken by %s, looking every %.1f s",
                    "PostgreSQL notifications" if self._wake else "nothing (SQLite)", self.look_every)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._wake is not None:
            self._wake.poke()  # a notification ends the loop's wait at once
        if self._thread is not None:
            self._thread.join(timeout=10)
        for pool in (self._channel, self._rest):
            pool.shutdown(wait=True)

    def pass_once(self) -> int:
        """Start sending every case with messages due; returns how many cases were started."""
        started = 0
        for case_id in due_cases(self.services, self.services.now()):
            started += self._start(case_id)
        return started

    def _loop(self) -> None:
        look_at = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= look_at:  # every case with messages due
                try:
                    self.pass_once()
                except Exception:
                    logger.exception("delivery pass failed; the next look tries again")
                look_at = time.monotonic() + self.look_every
            wait = max(0.0, look_at - time.monotonic())
            if self._wake is None:
                self._stop.wait(wait)
                continue
            try:
                for case_id in self._wake.wait(wait):  # the cases whose changes just committed
                    if not self._stop.is_set():
                        self._start(case_id)
            except Exception:  # whatever it was, the loop goes on: it looks again at the next turn
                logger.exception("delivery wake-up failed; looking again in %.0f s", self.look_every)
                self._stop.wait(self.look_every)
        if self._wake is not None:
            self._wake.close()

    def _start(self, case_id: int | None) -> bool:
        with self._lock:
            if case_id in self._running:
                self._running[case_id] = True
                return False
            self._running[case_id] = False
        return send_soon(self._channel, self._rest, self.services, case_id, caseless=case_id is None,
                         then=lambda: self._done(case_id))

    def _done(self, case_id: int | None) -> None:
        with self._lock:
            again = self._running.pop(case_id, False)
        if again and not self._stop.is_set():
            self._start(case_id)


class PostgresWake:
    """A connection of its own that LISTENs on `WAKE_CHANNEL`. `wait(t)` returns at the first
    notification or after `t` seconds; a lost connection is opened again at the next wait."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        args, params = engine.dialect.create_connect_args(engine.url)
        self._args = args
        self._params = {**params, **postgresql_connect_args(None), "autocommit": True}
        self._connection: Any = None

    def _connect(self) -> Any:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(*self._args, **self._params)
            self._connection.execute(f"LISTEN {WAKE_CHANNEL}")
        return self._connection

    def wait(self, timeout: float) -> set[int | None]:
        """The case ids (None: messages about no case) notified at the first notification and with it;
        nothing after `timeout` seconds without one."""
        import psycopg

        started = time.monotonic()
        try:
            connection = self._connect()
            heard = [note.payload for note in connection.notifies(timeout=timeout, stop_after=1)]
            if heard:  # and the others already here
                heard += [note.payload for note in connection.notifies(timeout=0.001)]
            return {int(payload) if payload.isdigit() else None for payload in heard}
        except psycopg.Error as exc:
            logger.warning("delivery wake-ups: the database connection failed (%s); looking every %.0f s "
                           "until it is back", type(exc).__name__, timeout)
            self.close()
            time.sleep(max(0.0, timeout - (time.monotonic() - started)))
            return set()

    def poke(self) -> None:
        """Notify the channel (every listener wakes once and sends what is due about no case)."""
        try:
            with self._engine.begin() as connection:
                connection.execute(select(func.pg_notify(WAKE_CHANNEL, "")))
        except Exception:  # the database is down: the wait ends at its timeout instead
            logger.debug("could not notify the delivery loop", exc_info=True)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # closing a broken connection
                logger.debug("closing the wake-up connection failed", exc_info=True)

