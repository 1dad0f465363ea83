"""The tamper-evident audit: every row chained to the one before by a keyed hash, on SQLite and
PostgreSQL. Tampering is done as the tables' owner would (triggers out of the way) and must be named."""

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.cli import main
from store import migrate
from store.audit import AuditKeyMissing, fingerprint, pseudonym, record_audit, verify_chain
from store.db import make_sessions
from store.models import Audit
from tests.conftest import PINNED_NOW, TEST_AUDIT_KEY, upgrade_as_owner

KEY = TEST_AUDIT_KEY.encode()


def write(engine, count, *, start=0, subject="1234567"):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    for n in range(start, start + count):
        with sessions.begin() as session:
            record_audit(session, at=PINNED_NOW + timedelta(minutes=n), actor="U0CHAIR", action="case.decision",
                         subject_type="case", subject_id=subject, before={"stage": "booked"},
                         after={"stage": "approved", "n": n})


def check(engine):
    with engine.connect() as connection:
        return verify_chain(connection, KEY)


@contextmanager
def as_owner_without_triggers(migration_engine):
    """What the tables' owner could do: take the append-only triggers off, change rows, put them back."""
    with migration_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            yield connection
            connection.execute(text("ALTER TABLE audit ENABLE TRIGGER audit_append_only"))
        else:
            connection.execute(text("DROP TRIGGER audit_no_update"))
            connection.execute(text("DROP TRIGGER audit_no_delete"))
            yield connection
            for verb in ("UPDATE", "DELETE"):
                connection.execute(text(f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                                        "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"))


def test_a_whole_chain_verifies_and_says_how_many_rows(engine):
    write(engine, 5)
    result = check(engine)
    assert result.ok, result.problem
    assert result.rows == 5


def test_an_empty_audit_verifies(engine):
    assert check(engine).ok


def test_the_audit_holds_the_references_pseudonym_never_the_reference(engine):
    write(engine, 1, subject="7654321")
    with engine.connect() as connection:
        stored = connection.scalar(select(Audit.subject_id))
    assert stored == pseudonym(KEY, "7654321")
    assert "7654321" not in stored


def test_an_edited_row_is_named(engine, migration_engine):
    write(engine, 5)
    with as_owner_without_triggers(migration_engine) as owner:
        owner.execute(text("UPDATE audit SET actor = 'U0MALLORY' WHERE id = 3"))
    result = check(engine)
    assert (result.ok, result.broken_at, result.rows) == (False, 3, 2)
    assert "row 3 does not match its hash" in result.problem


def test_a_deleted_row_is_named_by_the_row_after_it(engine, migration_engine):
    write(engine, 5)
    with as_owner_without_triggers(migration_engine) as owner:
        owner.execute(text("DELETE FROM audit WHERE id = 2"))
    result = check(engine)
    assert result.broken_at == 3
    assert "row 3 does not follow row 1: a row between them was deleted" in result.problem


def test_a_deleted_last_row_is_caught_by_the_chain_head(engine, migration_engine):
    write(engine, 3)
    with as_owner_without_triggers(migration_engine) as owner:
        owner.execute(text("DELETE FROM audit WHERE id = 3"))
    result = check(engine)
    assert not result.ok
    assert "the chain head says the last row is 3 but the chain ends at 2" in result.problem


def test_a_row_inserted_without_the_key_is_named(engine, migration_engine):
    write(engine, 3)
    with as_owner_without_triggers(migration_engine) as owner:
        row = owner.execute(select(Audit.__table__).where(Audit.id == 3)).one()._asdict()
        owner.execute(text("DELETE FROM audit WHERE id = 3"))
        forged = {**row, "id": 3, "actor": "U0MALLORY", "row_hash": "f" * 64}
        owner.execute(Audit.__table__.insert().values(**forged))
        owner.execute(Audit.__table__.insert().values(**{**row, "id": 4}))
    result = check(engine)
    assert result.broken_at == 3
    assert "inserted without the key" in result.problem


def test_reordered_rows_are_named(engine, migration_engine):
    write(engine, 4)
    with as_owner_without_triggers(migration_engine) as owner:
        rows = {r.id: r._asdict() for r in owner.execute(select(Audit.__table__).where(Audit.id.in_([2, 3])))}
        owner.execute(text("DELETE FROM audit WHERE id IN (2, 3)"))
        owner.execute(Audit.__table__.insert().values(**{**rows[3], "id": 2}))
        owner.execute(Audit.__table__.insert().values(**{**rows[2], "id": 3}))
    result = check(engine)
    assert result.broken_at == 2
    assert not result.ok


def test_verifying_with_another_key_fails_at_the_first_row(engine):
    write(engine, 2)
    with engine.connect() as connection:
        result = verify_chain(connection, b"another key entirely, 32 chars long")
    assert result.broken_at == 1


def test_twenty_concurrent_writers_make_one_unbroken_chain(engine):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)

    def append(n: int) -> None:
        with sessions.begin() as session:
            record_audit(session, at=PINNED_NOW, actor="U0PRIYA", action="noted", subject_type="case",
                         subject_id=f"R{n}", after={"n": n})

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(append, range(20)))
    result = check(engine)
    assert result.ok, result.problem
    assert result.rows == 20
    with engine.connect() as connection:
        assert connection.scalars(select(Audit.id).order_by(Audit.id)).all() == list(range(1, 21))


def test_a_rolled_back_change_leaves_no_gap_in_the_chain(engine):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    write(engine, 1)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        record_audit(session, at=PINNED_NOW, actor="U0PRIYA", action="noted", subject_type="case", subject_id="A")
        raise RuntimeError("the change failed")
    write(engine, 1, start=1)
    result = check(engine)
    assert (result.ok, result.rows) == (True, 2)


def test_nothing_is_audited_without_the_key(engine):
    with pytest.raises(AuditKeyMissing, match="PANELBOT_AUDIT_KEY"), make_sessions(engine).begin() as session:
        record_audit(session, at=PINNED_NOW, actor="U0PRIYA", action="noted", subject_type="case", subject_id="A")


def test_the_migration_seals_existing_rows_in_id_order_and_pseudonymises_them(engine, migration_engine):
    migrate.downgrade(migration_engine, "0008")
    with migration_engine.begin() as connection:
        sqlite = connection.dialect.name == "sqlite"
        old_rows = [("case", "1234567", "case.submitted", '{"route": "forum"}'),
                    ("visit", "4", "visit.planned", '{"on": "2026-12-01"}'),
                    ("provision", "2", "placement.added", '{"placement": 1, "child": "7654321"}'),
                    ("provision", "2", "provision.saved", '{"name": "Oakwood House", "rating": "good"}'),
                    ("case", "2345678", "case.submitted", '{"route": "forum"}')]
        for n, (subject_type, subject_id, action, after) in enumerate(old_rows):
            connection.execute(text(
                "INSERT INTO audit (id, at, actor, action, subject_type, subject_id, after) "
                "VALUES (:id, :at, 'U0PRIYA', :action, :type, :subject, :after)"),
                {"id": n + 1, "at": PINNED_NOW.replace(tzinfo=None) if sqlite else PINNED_NOW, "action": action,
                 "type": subject_type, "subject": subject_id, "after": after})
    with pytest.raises(AuditKeyMissing, match="seals the 5 existing audit rows"):
        migrate.upgrade(migration_engine)
    upgrade_as_owner(migration_engine, audit_key=TEST_AUDIT_KEY)
    result = check(engine)
    assert (result.ok, result.rows) == (True, 5), result.problem
    with engine.connect() as connection:
        rows = connection.execute(select(Audit.subject_id, Audit.after).order_by(Audit.id)).all()
    assert [subject for subject, _ in rows] == [pseudonym(KEY, "1234567"), "4", "2", "2", pseudonym(KEY, "2345678")]
    assert rows[2].after == {"placement": 1, "child": pseudonym(KEY, "7654321")}
    assert rows[3].after == {"name": fingerprint(KEY, "Oakwood House"), "rating": "good"}
    write(engine, 1, start=5)  # new rows carry on from the sealed ones
    assert check(engine).rows == 6


def test_audit_verify_prints_the_row_count_when_whole(engine, database_url, monkeypatch, capsys):
    write(engine, 3)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PANELBOT_AUDIT_KEY", TEST_AUDIT_KEY)
    assert main(["audit", "verify"]) == 0
    assert "audit chain verified: 3 rows" in capsys.readouterr().out


def test_audit_verify_names_the_changed_row_and_exits_non_zero(engine, migration_engine, database_url,
                                                               monkeypatch, capsys):
    write(engine, 3)
    with as_owner_without_triggers(migration_engine) as owner:
        owner.execute(text("UPDATE audit SET after = NULL WHERE id = 2"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PANELBOT_AUDIT_KEY", TEST_AUDIT_KEY)
    assert main(["audit", "verify"]) == 1
    assert "row 2 does not match its hash" in capsys.readouterr().err


def test_audit_verify_without_the_key_names_the_setting(database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("PANELBOT_AUDIT_KEY", raising=False)
    assert main(["audit", "verify"]) == 2
    assert "PANELBOT_AUDIT_KEY" in capsys.readouterr().err


def test_the_chain_head_is_one_row(engine):
    write(engine, 2)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(text("audit_chain"))) == 1


@pytest.mark.parametrize("command", [["worker", "--once"], ["serve"], ["run"]])
def test_the_app_will_not_start_without_the_audit_key_and_says_so_in_one_line(tmp_path, command):
    from tests.test_settings_and_cli import run_panelbot

    result = run_panelbot(*command, env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s" * 32,
                                         "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "http://127.0.0.1:9/api/",
                                         "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("panelbot: missing setting(s): PANELBOT_AUDIT_KEY (a random secret of at least 32")


def test_a_short_audit_key_is_refused_by_name(tmp_path):
    from tests.test_settings_and_cli import run_panelbot

    result = run_panelbot("worker", "--once", env={"PANELBOT_AUDIT_KEY": "short",
                                                   "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert result.returncode == 2
    assert result.stderr.startswith("panelbot: PANELBOT_AUDIT_KEY is shorter than 32 characters")


def test_a_bulk_load_is_chained_like_single_appends(engine):
    from store.audit import append_audit_rows

    write(engine, 1)
    with engine.begin() as connection:
        append_audit_rows(connection, KEY, [
            {"at": PINNED_NOW, "actor": "U0PRIYA", "action": "case.submitted", "subject_type": "case",
             "subject_id": f"R{n}", "after": {"n": n}} for n in range(5)])
    write(engine, 1, start=1)
    result = check(engine)
    assert (result.ok, result.rows) == (True, 7), result.problem


def test_rows_appended_while_verify_walks_are_left_for_the_next_run(engine, monkeypatch):
    import store.audit as audit

    write(engine, 2)
    with engine.connect() as connection:
        then = connection.execute(select(text("last_id, last_hash")).select_from(text("audit_chain"))).one()
    write(engine, 2, start=2)  # appended after verify read the head
    heads = iter([then])
    real = audit._head
    monkeypatch.setattr(audit, "_head", lambda connection: next(heads, None) or real(connection))
    result = check(engine)
    assert (result.ok, result.rows) == (True, 2), result.problem


def test_a_row_added_past_the_chain_head_is_named(engine, migration_engine):
    write(engine, 2)
    with as_owner_without_triggers(migration_engine) as owner:
        row = owner.execute(select(Audit.__table__).where(Audit.id == 2)).one()._asdict()
        owner.execute(Audit.__table__.insert().values(**{**row, "id": 3, "actor": "U0MALLORY"}))
    result = check(engine)
    assert result.broken_at == 3
    assert "row 3 comes after the chain head" in result.problem


def test_db_upgrade_over_existing_audit_rows_without_the_key_says_so_in_one_line(tmp_path):
    from store.db import make_engine
    from tests.test_settings_and_cli import run_panelbot

    url = f"sqlite:///{tmp_path}/old.db"
    old = make_engine(url)
    migrate.upgrade(old, "0008")
    with old.begin() as connection:
        connection.execute(text("INSERT INTO audit (at, actor, action, subject_type, subject_id) "
                                "VALUES ('2026-11-24 10:00:00', 'U0PRIYA', 'case.submitted', 'case', '1234567')"))
    old.dispose()
    refused = run_panelbot("db", "upgrade", env={"DATABASE_URL": url})
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("panelbot: PANELBOT_AUDIT_KEY is not set: this migration seals the 1 existing audit rows")
    sealed = run_panelbot("db", "upgrade", env={"DATABASE_URL": url, "PANELBOT_AUDIT_KEY": TEST_AUDIT_KEY})
    assert sealed.returncode == 0, sealed.stderr
    verified = run_panelbot("audit", "verify", env={"DATABASE_URL": url, "PANELBOT_AUDIT_KEY": TEST_AUDIT_KEY})
    assert "audit chain verified: 1 rows" in verified.stdout


def test_audit_verify_against_an_unreachable_database_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("PANELBOT_AUDIT_KEY", TEST_AUDIT_KEY)
    assert main(["audit", "verify"]) == 2
    assert capsys.readouterr().err.startswith("panelbot: DATABASE_URL: cannot connect to")


def test_rows_join_the_chain_at_the_commit_not_at_a_savepoint_and_a_rollback_appends_none(engine):
    """The chain head is taken as the transaction commits: queuing a message (a savepoint) before then
    must not take it, or fifty changes at once wait in line for each other's whole transaction."""
    from store.models import AuditChain

    write(engine, 1)
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    with sessions.begin() as session:
        record_audit(session, at=PINNED_NOW, actor="U0CHAIR", action="case.decision", subject_type="case",
                     subject_id="1234567")
        with session.begin_nested():  # as queue_notice and remind do
            pass
        assert session.scalar(select(AuditChain.last_id)) == 1  # not linked yet: the head is not held
    assert check(engine).rows == 2 and check(engine).ok
    with pytest.raises(RuntimeError), sessions.begin() as session:
        record_audit(session, at=PINNED_NOW, actor="U0CHAIR", action="case.decision", subject_type="case",
                     subject_id="1234567")
        raise RuntimeError("the change fails")
    with sessions.begin() as session:  # the failed change's row is not carried into the next
        pass
    assert check(engine).rows == 2 and check(engine).ok
