"""Engines and sessions."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    """An engine for `url` that never writes SQL parameters (personal data) into errors or logs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets the web and worker processes read while one writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessions(engine: Engine, audit_key: str | None = None) -> sessionmaker[Session]:
    """Sessions for `engine`; with `audit_key` (PANELBOT_AUDIT_KEY) they can write audit rows."""
    return sessionmaker(engine, expire_on_commit=False, info={"audit_key": audit_key} if audit_key else None)


def database_answers(engine: Engine) -> bool:
    """True when a trivial query succeeds within the pool's normal limits."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
