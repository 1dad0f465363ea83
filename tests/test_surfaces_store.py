"""0014: ids of any surface fit (a Teams person or channel id is far longer than a Slack one), the data
and the audit chain come through the migration untouched, and Teams conversation addresses are kept
where the app's role may write them."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.domain.reminders import ReminderKind
from bot.services.reminders import remind
from store import migrate
from store.audit import record_audit, verify_chain
from store.db import make_sessions
from store.models import Audit, Case, CaseCard, Cover, Outbox, Reminder, TeamsAddress
from tests.conftest import PINNED_NOW, TEST_AUDIT_KEY, upgrade_as_owner
from tests.test_app_role import as_app_role

# A Teams person ("teams:" + an Entra object id) and channel, and ids as long as a column now allows.
TEAMS_PERSON = "teams:6f1c2e0a-3b4d-4c5e-8f9a-0b1c2d3e4f50"
TEAMS_CHANNEL = "teams:19:4a1b2c3d4e5f60718293a4b5c6d7e8f9@thread.tacv2"
LONGEST = "teams:" + "x" * 249
KEPT = ("cases", "outbox", "reminder", "audit")


# Columns a later migration moved elsewhere (0015: a case's card went to case_cards).
MOVED = {"card_channel", "card_ts"}


def rows(engine: Engine, table: str) -> list[dict]:
    with engine.connect() as connection:
        return [{k: v for k, v in row._mapping.items() if k not in MOVED}
                for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))]  # noqa: S608


def verified(engine: Engine):
    with engine.connect() as connection:
        return verify_chain(connection, TEST_AUDIT_KEY.encode())


def audit_file(engine: Engine) -> int | None:
    """PostgreSQL's file for the audit table: a new one would mean the table was rewritten."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT relfilenode FROM pg_class WHERE relname = 'audit'")).scalar_one()


@pytest.fixture
def stored(engine, new_case, services):
    """A case (with its outbox rows and audit row), a reminder, and two more audit rows."""
    case_id = new_case()
    with services.sessions.begin() as session:
        remind(session, kind=ReminderKind.DECISION_WAITING, case_id=case_id, person="U0TOMAS",
               due_at=PINNED_NOW + timedelta(days=2), why="waiting on a decision", now=PINNED_NOW)
        for n in range(2):
            record_audit(session, at=PINNED_NOW + timedelta(minutes=n), actor="U0CHAIR", on_behalf_of="U0TOMAS",
                         action="case.noted", subject_type="case", subject_id="1234567", after={"n": n})
    return case_id


def test_upgrading_from_0013_keeps_every_row_and_the_audit_chain_verifies(engine, migration_engine, stored):
    migrate.downgrade(migration_engine, "0013")
    before = {table: rows(migration_engine, table) for table in KEPT}
    assert all(before.values()) and len(before["audit"]) == 3
    file_before = audit_file(migration_engine)

    upgrade_as_owner(migration_engine, audit_key=TEST_AUDIT_KEY)

    assert migrate.is_current(migration_engine)
    assert {table: rows(engine, table) for table in KEPT} == before
    assert audit_file(migration_engine) == file_before  # PostgreSQL altered the audit in place
    check = verified(engine)
    assert (check.ok, check.rows, check.problem) == (True, 3, None)


def test_the_audit_stays_append_only_after_the_upgrade(engine, migration_engine, stored):
    migrate.downgrade(migration_engine, "0013")
    upgrade_as_owner(migration_engine, audit_key=TEST_AUDIT_KEY)
    with pytest.raises(DBAPIError, match=r"append-only|permission denied"), engine.begin() as connection:
        connection.execute(update(Audit).values(actor="U0MALLORY"))
    assert verified(engine).ok


def test_a_255_character_id_round_trips_in_the_columns_that_hold_ids(engine, services, stored):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    with sessions.begin() as session:
        session.execute(update(Case).where(Case.id == stored).values(
            submitter=LONGEST, team_manager=TEAMS_PERSON, attendee=LONGEST))
        session.add(CaseCard(case_id=stored, channel=LONGEST, ts=LONGEST, posted_at=PINNED_NOW))
        session.execute(update(Reminder).values(person=LONGEST, late_person=LONGEST, sent_channel=TEAMS_CHANNEL,
                                                sent_ts=LONGEST))
        session.execute(update(Outbox).values(recipient=LONGEST, sent_channel=LONGEST, sent_ts=LONGEST))
        session.add(Cover(absent=LONGEST, colleague=TEAMS_PERSON, first_day=PINNED_NOW.date(),
                          last_day=PINNED_NOW.date(), created_by=LONGEST, created_at=PINNED_NOW))
        record_audit(session, at=PINNED_NOW, actor=LONGEST, on_behalf_of=TEAMS_PERSON, action="case.noted",
                     subject_type="person", subject_id=LONGEST)
    with sessions() as session:
        case = session.get(Case, stored)
        card = session.scalars(select(CaseCard).where(CaseCard.case_id == stored)).one()
        assert (case.submitter, case.team_manager, case.attendee, card.channel, card.ts) == (
            LONGEST, TEAMS_PERSON, LONGEST, LONGEST, LONGEST)
        reminder = session.scalars(select(Reminder)).one()
        assert (reminder.person, reminder.late_person, reminder.sent_channel, reminder.sent_ts) == (
            LONGEST, LONGEST, TEAMS_CHANNEL, LONGEST)
        assert {(row.recipient, row.sent_channel, row.sent_ts) for row in session.scalars(select(Outbox))} == {
            (LONGEST, LONGEST, LONGEST)}
        assert session.scalars(select(Cover.absent)).one() == LONGEST
        last = session.scalars(select(Audit).order_by(Audit.id.desc())).first()
        assert (last.actor, last.on_behalf_of) == (LONGEST, TEAMS_PERSON)
    assert verified(engine).ok


def test_downgrading_to_0013_keeps_slack_ids_and_upgrading_again_restores_the_addresses_table(
        engine, migration_engine, stored):
    before = {table: rows(engine, table) for table in KEPT}
    migrate.downgrade(migration_engine, "0013")
    assert migrate.current_revision(migration_engine) == "0013"
    assert "teams_addresses" not in inspect(migration_engine).get_table_names()
    assert {table: rows(migration_engine, table) for table in KEPT} == before
    upgrade_as_owner(migration_engine, audit_key=TEST_AUDIT_KEY)
    assert verified(engine).ok


def test_downgrading_is_refused_while_a_teams_id_is_stored(engine, migration_engine, stored):
    with make_sessions(engine, TEST_AUDIT_KEY).begin() as session:
        session.execute(update(Reminder).values(person=TEAMS_PERSON))
    with pytest.raises(RuntimeError, match=r"reminder\.person holds a value of 42 characters"):
        migrate.downgrade(migration_engine, "0013")
    assert migrate.is_current(migration_engine)
    with make_sessions(engine, TEST_AUDIT_KEY)() as session:
        assert session.scalars(select(Reminder.person)).all() == [TEAMS_PERSON]


def address(**overrides: object) -> dict:
    return {"address": TEAMS_PERSON, "kind": "person", "user_id": "29:1AbCdEfGhIjKlMnOpQrStUvWxYz",
            "conversation_id": "a:1" + "Q" * 120, "service_url": "https://smba.trafficmanager.net/uk/",
            "tenant_id": "0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d", "updated_at": PINNED_NOW, **overrides}


def test_the_app_role_can_record_and_update_a_teams_address(engine, migration_engine):
    table = TeamsAddress.__table__
    postgresql = engine.dialect.name == "postgresql"  # SQLite has no roles
    with as_app_role(engine, migration_engine) if postgresql else engine.begin() as connection:
        connection.execute(insert(table).values(address(address=LONGEST)))
        connection.execute(insert(table).values(address(address=TEAMS_CHANNEL, kind="channel", user_id=None,
                                                        conversation_id="19:4a1b@thread.tacv2")))
        connection.execute(update(table).where(table.c.address == LONGEST).values(
            service_url="https://smba.trafficmanager.net/emea/", updated_at=PINNED_NOW + timedelta(hours=1)))
        found = connection.execute(select(table.c.address, table.c.kind, table.c.service_url, table.c.updated_at)
                                   .order_by(table.c.id)).all()
    assert found == [(LONGEST, "person", "https://smba.trafficmanager.net/emea/", PINNED_NOW + timedelta(hours=1)),
                     (TEAMS_CHANNEL, "channel", "https://smba.trafficmanager.net/uk/", PINNED_NOW)]


@pytest.mark.parametrize("second", [address(), address(address=TEAMS_CHANNEL, kind="team")], ids=["again", "kind"])
def test_an_address_is_kept_once_and_is_a_person_or_a_channel(engine, second):
    table = TeamsAddress.__table__
    with engine.begin() as connection:
        connection.execute(insert(table).values(address()))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(table).values(second))
