"""Schema migrations, run from Python (`panelbot db upgrade`) rather than an alembic.ini."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "store:migrations")
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for Alembic. On SQLite, foreign keys are off while it runs:
    batch mode rebuilds a table by copying it, and a table other rows point at cannot be dropped
    with them on (the rebuilt table keeps every key, so nothing is left dangling)."""
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine, revision: str = "head", *, audit_key: str | None = None) -> None:
    """Upgrade the schema. `audit_key` (PANELBOT_AUDIT_KEY) seals existing audit rows when 0010 runs."""
    _refuse_unsealable(engine, audit_key)
    config = _config()
    config.attributes["audit_key"] = audit_key
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _refuse_unsealable(engine: Engine, audit_key: str | None) -> None:
    """Before any migration runs: 0010 seals the audit rows already there with the key, so without it an
    upgrade that would pass 0010 is refused whole, not left half-done (SQLite's batch rebuilds of the
    migrations before it are not all undone by a rollback)."""
    if audit_key:
        return
    current = current_revision(engine)
    if current is None or current >= "0010":
        return
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*) FROM audit")).scalar_one()
    if rows:
        from store.audit import AuditKeyMissing

        raise AuditKeyMissing(
            f"PANELBOT_AUDIT_KEY is not set: this migration seals the {rows} existing audit rows with it. "
            "Set it (the same key panelbot will run with) and run `panelbot db upgrade` again.")


def downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
