"""Engines and sessions, with timeouts so that a database that stops answering cannot hold a request.

Slack waits 3 s for an ack. A database that accepts connections and then never answers used to hold
`/healthz` and submissions for ever. Every wait now has a bound:

- PostgreSQL: `connect_timeout` (libpq's and psycopg's minimum, 2 s) for a new connection;
  `statement_timeout` and `lock_timeout` on the server for each statement (`options=-c …`);
  `idle_in_transaction_session_timeout` so a stuck process cannot hold locks; `pool_timeout` for a
  free pooled connection; TCP keepalives so a dead peer is noticed. A server that keeps the TCP
  connection but stops answering a statement already sent is not bounded by any of these: `/healthz`
  bounds its own wait (bot.web) and reports it.
- SQLite: the busy timeout, how long a writer waits for another process's write lock (and, within a
  process, for the others' changes: `Sessions`).

`panelbot db upgrade` runs migrations without the statement timeout (`statement_timeout_ms=None`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, create_engine, event, func, select, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.dml import UpdateBase

CONNECT_TIMEOUT_S = 2  # the least libpq and psycopg allow
STATEMENT_TIMEOUT_MS = 5_000  # the app's statements take milliseconds; the worker's sweeps about one second
LOCK_TIMEOUT_MS = 2_000  # a request waiting for a row lock gives up while the ack can still carry a sentence
IDLE_IN_TRANSACTION_MS = 60_000
POOL_TIMEOUT_S = 2  # waiting for a free pooled connection
# Connections kept (and at most added on top) per process: the web process has 16 request threads (each
# runs its listener) and 24 delivery threads (handlers.slack.app) that may each hold one at once;
# SQLAlchemy's default (5 + 10) made deliveries time out waiting for a connection with 50 people at
# once (bench_slow_slack.py).
POOL_SIZE, POOL_OVERFLOW = 16, 24
SQLITE_BUSY_TIMEOUT_MS = 2_500  # within Slack's 3 s: a writer waits this long for another's lock


def postgresql_connect_args(statement_timeout_ms: int | None = STATEMENT_TIMEOUT_MS) -> dict[str, Any]:
    """psycopg connection arguments: the connect timeout, keepalives and the per-session server timeouts."""
    options = [f"-c lock_timeout={LOCK_TIMEOUT_MS}", f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"]
    if statement_timeout_ms is not None:
        options.insert(0, f"-c statement_timeout={statement_timeout_ms}")
    return {"connect_timeout": CONNECT_TIMEOUT_S, "options": " ".join(options), "keepalives": 1,
            "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


def make_engine(url: str, *, statement_timeout_ms: int | None = STATEMENT_TIMEOUT_MS) -> Engine:
    """An engine for `url` that never writes SQL parameters (personal data) into errors or logs.

    `statement_timeout_ms=None` leaves PostgreSQL statements unbounded (schema migrations only).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_timeout=POOL_TIMEOUT_S,
                         pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                         connect_args=postgresql_connect_args(statement_timeout_ms))


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web and worker processes read while one writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


# True while the process works for nobody who is waiting (deliveries after the ack: bot.later): such a
# change on SQLite lets every waiting change of a person go first.
BACKGROUND: ContextVar[bool] = ContextVar("background_writes", default=False)


class _Writer:
    """The process's one SQLite writer at a time; a person's change goes before background changes waiting."""

    def __init__(self) -> None:
        self._free = threading.Condition()
        self._held = False
        self._urgent = 0  # people's changes waiting

    def acquire(self, timeout: float, *, background: bool) -> bool:
        deadline = time.monotonic() + timeout
        with self._free:
            if not background:
                self._urgent += 1
            try:
                while self._held or (background and self._urgent):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._free.wait(remaining)
                self._held = True
                return True
            finally:
                if not background:
                    self._urgent -= 1

    def release(self) -> None:
        with self._free:
            self._held = False
            self._free.notify_all()


class Sessions(sessionmaker[Session]):
    """`sessions()` for a read, `sessions.begin()` for a change (one transaction, committed at the end).

    On SQLite a change starts with BEGIN IMMEDIATE, after the process's other changes: the database has
    one write lock, and a transaction that reads and then writes (every change does) is refused at once,
    without waiting, when another wrote in between; and fifty threads polling the lock in SQLite's busy
    handler let some wait past the busy timeout while others went by. Changes in one process therefore
    queue on a lock of their own (at most the busy timeout, then "database is locked", as SQLite says),
    and the busy timeout is left to settle the web process against the worker. A person's change goes
    before the deliveries' (`BACKGROUND`): each message is claimed and marked in a change of its own, and
    with fifty cases' messages in line, decision forms waited past the busy timeout behind them.
    """

    def __init__(self, engine: Engine, **kwargs: Any) -> None:
        super().__init__(engine, **kwargs)
        self._writer = _Writer() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def begin(self) -> Iterator[Session]:
        if self._writer is None:
            with super().begin() as session:
                yield session
            return
        if not self._writer.acquire(SQLITE_BUSY_TIMEOUT_MS / 1000, background=BACKGROUND.get()):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        try:
            with self() as session, session.begin():
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                yield session
        finally:
            self._writer.release()


def make_sessions(engine: Engine, audit_key: str | None = None) -> Sessions:
    """Sessions for `engine`; with `audit_key` (PANELBOT_AUDIT_KEY) they can write audit rows."""
    return Sessions(engine, expire_on_commit=False, info={"audit_key": audit_key} if audit_key else None)


def database_answers(engine: Engine) -> bool:
    """True when a trivial query succeeds within the pool's normal limits."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def lock_until_commit(session: Session, name: str) -> None:
    """Hold the lock called `name` until the session's transaction ends: a second transaction asking for
    it waits for the first to commit (at most LOCK_TIMEOUT_MS), then reads what the first wrote. For a
    check-then-insert that no row lock or unique index can decide (there may be no row yet to lock).

    PostgreSQL: a transaction-level advisory lock on a 64-bit hash of `name` (two names sharing a hash
    only wait for each other). SQLite: nothing to do, its changes already go one at a time (`Sessions`)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(key)))


def insert_once(session: Session, model: type[Any], key: str, values: dict[str, Any]) -> bool:
    """Insert one row unless a row with the same unique `key` column exists (or is being inserted by a
    transaction that commits first): `INSERT … ON CONFLICT (key) DO NOTHING`, one statement on both
    backends, with no look-up before it and no savepoint around it. True when this call inserted it.
    The statement is built once per table and given `values` as parameters: building an ORM insert
    with values for every message cost more than the round trip."""
    return cast(CursorResult[Any], session.execute(_insert_once(session, model, key), values)).rowcount == 1


def insert_all_once(session: Session, model: type[Any], key: str, rows: list[dict[str, Any]]) -> None:
    """`insert_once` for several rows in one execution (psycopg sends them in one pipeline): each row
    is skipped if a row with its key exists."""
    if rows:
        session.execute(_insert_once(session, model, key), rows)


def _insert_once(session: Session, model: type[Any], key: str) -> Any:
    dialect = session.get_bind().dialect.name
    statement = _INSERT_ONCE.get((dialect, model, key))
    if statement is None:
        from sqlalchemy.dialects import postgresql, sqlite

        table = model.__table__
        statement = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)) \
            .on_conflict_do_nothing(index_elements=[key])
        _INSERT_ONCE[(dialect, model, key)] = statement
    return statement


_INSERT_ONCE: dict[tuple[str, type[Any], str], Any] = {}


def rows_matched(session: Session, statement: UpdateBase) -> int:
    """Run an UPDATE or DELETE in the session's transaction and return how many rows it matched: for a
    conditional claim (`UPDATE … WHERE <old value>`), 1 means this caller won and 0 that another got there first."""
    # A DML statement's result is always a CursorResult; Session.execute is typed as returning any Result.
    return cast(CursorResult[Any], session.execute(statement)).rowcount
