"""The database role panelbot runs as cannot tamper with the audit.

On PostgreSQL the tests act as the restricted role `panelbot db upgrade` grants: the suite's own role
when CI runs it as one (TEST_DATABASE_MIGRATION_URL set), otherwise a role made here with the same
grants and taken on with SET ROLE. SQLite has no roles (the file's permissions are the boundary);
there the triggers are what refuse a rewrite.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from store.audit import record_audit, verify_chain
from store.db import make_sessions
from store.grants import grant_app_role
from store.models import Base
from tests.conftest import PINNED_NOW, TEST_AUDIT_KEY, app_role

PROBE_ROLE = "panelbot_test_app_probe"


class Recorder:
    dialect = postgresql.dialect()

    def __init__(self) -> None:
        self.statements: list[str] = []

    def exec_driver_sql(self, statement: str) -> None:
        self.statements.append(statement)


def test_the_app_role_is_granted_only_insert_and_select_on_the_audit_and_owns_nothing():
    recorder = Recorder()
    grant_app_role(recorder, "panelbot_app")  # type: ignore[arg-type]
    grants = [s for s in recorder.statements if s.startswith("GRANT") and " ON " in s]
    assert "GRANT SELECT, INSERT ON audit TO panelbot_app" in grants
    assert "GRANT SELECT, UPDATE ON audit_chain TO panelbot_app" in grants
    for table in Base.metadata.sorted_tables:
        assert f"REVOKE ALL ON {table.name} FROM panelbot_app" in recorder.statements
        if table.name not in ("audit", "audit_chain"):
            assert f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table.name} TO panelbot_app" in grants
    assert not [s for s in recorder.statements if "OWNER" in s or "ALL PRIVILEGES" in s or "TRUNCATE" in s]


@contextmanager
def as_app_role(engine, migration_engine) -> Iterator[Connection]:
    """A transaction acting as the app's restricted role (rolled back at the end)."""
    if app_role():
        with engine.connect() as connection, connection.begin():
            yield connection
        return
    with migration_engine.begin() as owner:
        owner.execute(text(f"DO $$ BEGIN CREATE ROLE {PROBE_ROLE} NOLOGIN; "
                           "EXCEPTION WHEN duplicate_object THEN NULL; END $$"))
        grant_app_role(owner, PROBE_ROLE)
    with migration_engine.connect() as connection, connection.begin():
        connection.execute(text(f"SET LOCAL ROLE {PROBE_ROLE}"))
        yield connection


def _audited(engine) -> None:
    with make_sessions(engine, TEST_AUDIT_KEY).begin() as session:
        for n in range(3):
            record_audit(session, at=PINNED_NOW + timedelta(minutes=n), actor="U0CHAIR", action="case.decision",
                         subject_type="case", subject_id="1234567", after={"n": n})


TAMPERING = {
    "disable the trigger": "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
    "disable every trigger": "ALTER TABLE audit DISABLE TRIGGER ALL",
    "drop the trigger": "DROP TRIGGER audit_append_only ON audit",
    "truncate": "TRUNCATE audit",
    "alter a column": "ALTER TABLE audit ALTER COLUMN actor TYPE varchar(64)",
    "update a row": "UPDATE audit SET actor = 'U0MALLORY' WHERE id = 2",
    "delete a row": "DELETE FROM audit WHERE id = 2",
    "rewrite the chain head's table": "DELETE FROM audit_chain",
}


@pytest.mark.parametrize("attempt", TAMPERING)
def test_the_app_role_cannot_tamper_with_the_audit(engine, migration_engine, attempt):
    _audited(engine)
    sql = TAMPERING[attempt]
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match=r"must be owner|permission denied"), \
                as_app_role(engine, migration_engine) as connection:
            connection.execute(text(sql))
    elif sql.startswith(("UPDATE", "DELETE FROM audit ")):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(sql))
    with engine.connect() as connection:
        result = verify_chain(connection, TEST_AUDIT_KEY.encode())
    assert (result.ok, result.rows) == (True, 3)


def test_the_app_role_can_still_do_its_work_appending_to_the_audit(engine, migration_engine):
    _audited(engine)
    if engine.dialect.name == "postgresql":
        with as_app_role(engine, migration_engine) as connection:
            assert connection.execute(text("SELECT count(*) FROM audit")).scalar_one() == 3
            connection.execute(text("UPDATE audit_chain SET last_id = last_id WHERE id = 1"))
    _audited(engine)
    with engine.connect() as connection:
        assert verify_chain(connection, TEST_AUDIT_KEY.encode()).rows == 6
