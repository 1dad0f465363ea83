"""The schema, the audit trail and idempotency keys, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError, StatementError

from store import migrate
from store.audit import claim_delivery, pseudonym, record_audit
from store.db import make_sessions
from store.models import Audit, Base, Delivery, FollowUp, Review
from tests.conftest import PINNED_NOW, TEST_AUDIT_KEY, upgrade_as_owner


def test_the_migrations_build_exactly_the_schema_the_models_describe(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert migrate.is_current(engine)


def test_an_audit_row_keeps_who_for_whom_what_before_after_and_when(engine):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    with sessions.begin() as session:
        record_audit(session, at=PINNED_NOW, actor="U0CHAIR", on_behalf_of="U0TOMAS", action="case.decided",
                     subject_type="case", subject_id="ABC-123", before={"stage": "listed"},
                     after={"stage": "approved", "weekly": "412.00"})
    with sessions() as session:
        row = session.scalars(select(Audit)).one()
    assert (row.actor, row.on_behalf_of, row.action) == ("U0CHAIR", "U0TOMAS", "case.decided")
    assert row.subject_id == pseudonym(TEST_AUDIT_KEY.encode(), "ABC-123")  # never the reference itself
    assert row.before == {"stage": "listed"}
    assert row.after == {"stage": "approved", "weekly": "412.00"}
    assert row.at == PINNED_NOW
    assert row.at.tzinfo is not None


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_audit_trail_refuses_to_be_changed_or_deleted(engine, change):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    with sessions.begin() as session:
        record_audit(session, at=PINNED_NOW, actor="U0CHAIR", action="case.decided", subject_type="case",
                     subject_id="ABC-123")
    statement = update(Audit).values(action="case.forgotten") if change == "update" else delete(Audit)
    # The trigger refuses it; run as the app's restricted role, the missing privilege refuses it first.
    with pytest.raises(DBAPIError, match=r"append-only|permission denied"), sessions.begin() as session:
        session.execute(statement)
    with sessions() as session:
        assert session.scalars(select(Audit.action)).all() == ["case.decided"]


def test_timestamps_come_back_as_aware_utc_whatever_zone_they_went_in_with(engine):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    london_summer = timezone(timedelta(hours=1))
    with sessions.begin() as session:
        session.add(Delivery(key="k", at=datetime(2026, 7, 1, 10, 0, tzinfo=london_summer)))
    with sessions() as session:
        assert session.get(Delivery, "k").at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def test_a_naive_timestamp_is_refused(engine):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        session.add(Delivery(key="k", at=datetime(2026, 7, 1, 10, 0)))
        session.flush()


def test_an_idempotency_key_is_claimed_once_and_the_rest_of_the_transaction_survives(engine):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)
    with sessions.begin() as session:
        assert claim_delivery(session, "view:V1", PINNED_NOW) is True
    with sessions.begin() as session:
        assert claim_delivery(session, "view:V1", PINNED_NOW) is False
        record_audit(session, at=PINNED_NOW, actor="U0PRIYA", action="noted", subject_type="case", subject_id="A")
    with sessions() as session:
        assert session.scalars(select(Audit.action)).all() == ["noted"]


def test_twenty_concurrent_claims_of_one_key_give_exactly_one_winner(engine):
    sessions = make_sessions(engine, TEST_AUDIT_KEY)

    def claim(_: int) -> bool:
        with sessions.begin() as session:
            return claim_delivery(session, "action:double-click", PINNED_NOW)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(claim, range(20)))
    assert results.count(True) == 1


def test_the_schema_downgrades_to_nothing_with_data_in_it_and_upgrades_again(engine, migration_engine, new_case,
                                                                              services):
    from datetime import date

    from bot.services.visits import add_placement, plan_visit, save_provision

    everyone = frozenset({"U0PCO0001", "U0TOMAS"})
    services.directory = type("Everyone", (), {"group_members": lambda self, group: everyone})()
    new_case()
    view, _ = save_provision(services, "U0PCO0001", provision_id=None, name="Oakwood House",
                             provision_type="residential_home", rating=None, rated_on=None, contact=None)
    _, visit = add_placement(services, "U0PCO0001", provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 12, 1), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, "U0PCO0001", visit.id, date(2026, 12, 1), "U0PCO0001")  # a reminder about a visit
    # A review pointing at a follow-up, which 0007 rebuilds.
    with make_sessions(engine, TEST_AUDIT_KEY).begin() as session:
        follow_up = FollowUp(case_id=1, round=1, kind="review", due_on=date(2027, 1, 5), why="first review",
                             created_at=PINNED_NOW)
        session.add(follow_up)
        session.flush()
        session.add(Review(case_id=1, follow_up_id=follow_up.id, quality_of_life="improved", package="continues",
                           reviewed_by="U0PRIYA", reviewed_at=PINNED_NOW))
    migrate.downgrade(migration_engine, "0006")
    migrate.upgrade(migration_engine, audit_key=TEST_AUDIT_KEY)
    with make_sessions(engine, TEST_AUDIT_KEY)() as session:
        assert session.scalars(select(Review.follow_up_id)).all() == [follow_up.id]
    migrate.downgrade(migration_engine, "base")
    assert migrate.current_revision(migration_engine) is None
    migrate.upgrade(migration_engine)
    assert migrate.is_current(migration_engine)



def test_cases_routed_under_the_old_built_in_routes_keep_their_history_under_the_equivalent_bodies(
        engine, migration_engine, new_case, services, slack):
    """0009: the shipped policy's bodies carry the old routes' names, so a stored case's route is its body;
    a case waiting for endorsement gets the body that was implied (the forum for adults, the SEND panel for
    children) and stops holding its reference; delegated and urgent cases get the tier that decided them."""
    from sqlalchemy import text

    from bot.services.cases import case_by_id
    from store.models import Case

    slack.groups["S0OPSMGRS1"] = ["U0OLUOPS"]
    delegated = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    urgent = new_case(reference="4567890", urgent=["urgent"], urgent_reason="carer in hospital")
    migrate.downgrade(migration_engine, "0008")
    with migration_engine.begin() as connection:  # as the old code left an urgent decision waiting for endorsement
        connection.execute(text("UPDATE cases SET stage = 'awaiting_endorsement', is_open = :yes WHERE id = :id"),
                           {"yes": True, "id": urgent})
    upgrade_as_owner(migration_engine, audit_key=TEST_AUDIT_KEY)  # (tables made again are granted again)
    with make_sessions(engine, TEST_AUDIT_KEY)() as session:
        rows = {row.id: row for row in session.scalars(select(Case)).all()}
    assert (rows[delegated].route, rows[delegated].tier_role, rows[delegated].follow_on_body) == (
        "delegated", "team_managers", None)
    assert (rows[urgent].route, rows[urgent].tier_role, rows[urgent].follow_on_body, rows[urgent].is_open) == (
        "urgent", "operations_managers", "forum", False)
    view = case_by_id(services, urgent, "U0PRIYA").case
    assert (view.body_name, view.follow_on_name) == ("urgent decision out of panel", "Enhanced Peer Forum")

