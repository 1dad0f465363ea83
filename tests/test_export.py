"""Subject access: `panelbot export REFERENCE` writes everything held about a case reference, and the
schema is walked to prove no table that can refer to a case is left out."""

import json
import stat
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Table, select

from bot.cli import main
from bot.services.export import TITLES, collect, export_reference
from bot.services.visits import add_placement, complete_step, plan_visit, save_provision, visit_done
from store.audit import pseudonym, verify_chain
from store.models import (
    Audit,
    Base,
    CaseCard,
    Decision,
    FollowUp,
    ForumBooking,
    MessageDeletion,
    Reminder,
    Review,
    SpotCheck,
)
from tests.conftest import PINNED_NOW, TEST_AUDIT_KEY

KEY = TEST_AUDIT_KEY.encode()
PERSON, SOMEONE_ELSE = "1234567", "7654321"
OFFICER = "U0PCO0001"
# What makes a row about a person: these tables, and everything that points at them.
ROOTS = {"cases": "reference", "placement": "child_reference"}


class Everyone:
    def group_members(self, group):
        return frozenset({OFFICER, "U0TOMAS"})


def tables_that_can_refer_to_a_case() -> set[str]:
    """From the schema alone: tables with a reference column, the audit (its subject), and every table
    with a foreign key, directly or through others, to one of those."""
    found = {table.name for table in Base.metadata.sorted_tables
             if any("reference" in column.name for column in table.columns)} | {"audit"}
    while True:
        more = {table.name for table in Base.metadata.sorted_tables
                if any(key.column.table.name in found - {"audit"} for key in table.foreign_keys)}
        if more <= found:
            return found
        found |= more


def rows_about(session, reference: str) -> dict[str, set[int]]:
    """Ids of the rows about `reference`, table by table, found by following every foreign key."""
    ids: dict[str, set[int]] = {}
    for table in Base.metadata.sorted_tables:  # parents before children
        if table.name in ROOTS:
            column = table.c[ROOTS[table.name]]
            ids[table.name] = set(session.scalars(select(table.c.id).where(column.in_(
                [reference, pseudonym(KEY, reference)]))))
            continue
        pointing = [(key.parent, ids.get(key.column.table.name, set())) for key in table.foreign_keys
                    if key.column.table.name in tables_that_can_refer_to_a_case()]
        if pointing:
            found: set[int] = set()
            for column, parents in pointing:
                found |= set(session.scalars(select(table.c.id).where(column.in_(parents))))
            ids[table.name] = found
    audit: Table = Audit.__table__
    ids["audit"] = set(session.scalars(select(audit.c.id).where(
        (audit.c.subject_id == pseudonym(KEY, reference))
        | ((audit.c.subject_type == "placement") & audit.c.subject_id.in_([str(i) for i in ids["placement"]]))
        | ((audit.c.subject_type == "visit") & audit.c.subject_id.in_([str(i) for i in ids["visit"]])))))
    return ids


@pytest.fixture
def held(services, new_case):
    """Everything panelbot can hold about a person, and the same for someone else."""
    services.directory = Everyone()
    for n, reference in enumerate((PERSON, SOMEONE_ELSE)):
        case_id = new_case(reference=reference)
        slot = PINNED_NOW + timedelta(hours=n)
        with services.sessions.begin() as session:
            decision = Decision(case_id=case_id, round=1, kind="decision", outcome="approved", reason="typed reason",
                                amended_weekly=Decimal("400"), conditions="typed conditions", stage_after="approved",
                                decided_by="U0CHAIR", decided_at=PINNED_NOW)
            booking = ForumBooking(case_id=case_id, starts_at=slot, ends_at=slot + timedelta(minutes=30),
                                   day=date(2026, 11, 24), booked_by="U0PRIYA", booked_at=PINNED_NOW)
            follow_up = FollowUp(case_id=case_id, round=1, kind="review", due_on=date(2027, 5, 24),
                                 why="first review", created_at=PINNED_NOW)
            session.add_all([decision, booking, follow_up])
            session.flush()
            session.add(Review(case_id=case_id, follow_up_id=follow_up.id, quality_of_life="improved",
                               package="continues", notes="typed notes", reviewed_by="U0PRIYA", reviewed_at=PINNED_NOW))
            session.add(Reminder(key=f"review:{case_id}", person="U0PRIYA", case_id=case_id, kind="review_due",
                                 why="due", due_at=PINNED_NOW, state="pending", attempts=0, created_at=PINNED_NOW))
            session.add(MessageDeletion(case_id=case_id, channel="C0FORUM001", ts=f"{case_id}.0001", state="pending",
                                        attempts=0, created_at=PINNED_NOW))
            session.add(CaseCard(case_id=case_id, channel="C0FORUM001", ts=f"{case_id}.0002", posted_at=PINNED_NOW))
            session.add(SpotCheck(case_id=case_id, decision_id=decision.id, round=1, draw=Decimal("3.5"),
                                  threshold=Decimal("10"), why=["random"], state="open", drawn_at=PINNED_NOW))
        provision, _ = save_provision(services, OFFICER, provision_id=None, name=f"Home {reference}",
                                      provision_type="residential_home", rating=None, rated_on=None, contact=None)
        _, visit = add_placement(services, OFFICER, provision_id=provision.id, child_reference=reference,
                                 starts_on=date(2026, 12, 1), social_worker="U0PRIYA", iro=None, sen_officer=None)
        plan_visit(services, OFFICER, visit.id, date(2026, 12, 1), OFFICER)
        visit_done(services, OFFICER, visit.id)
        complete_step(services, OFFICER, visit.id, "report_to_sqao")


def test_the_export_covers_every_table_that_can_refer_to_a_case(services, held):
    assert tables_that_can_refer_to_a_case() <= set(TITLES), "a table that can refer to a case is not exported"
    with services.sessions() as session:
        exported = {name: {row.id for row in rows} for name, rows in collect(session, PERSON).items()}
        expected = rows_about(session, PERSON)
        elsewhere = rows_about(session, SOMEONE_ELSE)
    for table in tables_that_can_refer_to_a_case():
        assert expected[table], f"the test holds nothing in {table}: add a row about the person there"
        assert exported[table] == expected[table], table
        assert not exported[table] & elsewhere[table], f"someone else's {table} rows were exported"


def test_the_schema_walk_finds_a_table_added_later_that_points_at_a_case():
    from sqlalchemy import Column, ForeignKey, Integer, MetaData

    assert {"cases", "placement", "visit", "visit_step", "decision", "reminder", "review", "outbox",
            "forum_booking", "follow_up", "message_deletion", "audit"} <= tables_that_can_refer_to_a_case()
    scratch = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(scratch)
    Table("case_note", scratch, Column("id", Integer, primary_key=True), Column("case_id", ForeignKey("cases.id")))
    pointing = {t.name for t in scratch.sorted_tables
                if any(k.column.table.name in tables_that_can_refer_to_a_case() - {"audit"} for k in t.foreign_keys)}
    assert "case_note" in pointing and "case_note" not in TITLES  # the coverage test above would fail


def test_an_export_is_audited_with_who_and_when_and_the_chain_still_verifies(services, held, engine):
    export = export_reference(services, PERSON, "U0DPO")
    with services.sessions() as session:
        last = session.scalars(select(Audit).order_by(Audit.id.desc())).first()
    assert (last.action, last.actor, last.at, last.subject_id) == ("subject.exported", "U0DPO", PINNED_NOW,
                                                                   pseudonym(KEY, PERSON))
    assert last.after["rows"]["cases"] == 1
    assert len(export.tables["audit"]) >= 5
    with engine.connect() as connection:
        assert verify_chain(connection, KEY).ok


def test_the_text_summary_reads_as_sentences_and_keeps_what_was_typed(services, held):
    text = export_reference(services, PERSON, "U0DPO").as_text()
    assert text.startswith(f"Everything panelbot holds about case reference {PERSON}\n")
    assert "Decisions: 1" in text
    assert "reason: typed reason" in text
    assert "Monitoring visits: 1" in text  # the placement's initial visit (the annual one is the provision's)
    assert "row hash" not in text  # the chain's hashes are in the JSON, not the summary
    assert SOMEONE_ELSE not in text


def test_an_unknown_reference_exports_nothing_and_says_so(services):
    export = export_reference(services, "9999999", "U0DPO")
    assert all(rows == [] for rows in export.tables.values())
    assert "panelbot holds nothing about this reference." in export.as_text()


def test_panelbot_export_writes_json_and_text_readable_only_by_its_owner(held, database_url, tmp_path,
                                                                         monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PANELBOT_AUDIT_KEY", TEST_AUDIT_KEY)
    assert main(["export", PERSON, "--out", str(tmp_path / "sar"), "--by", "U0DPO"]) == 0
    assert f"rows about {PERSON}" in capsys.readouterr().out
    [json_file] = (tmp_path / "sar").glob("*.json")
    [text_file] = (tmp_path / "sar").glob("*.txt")
    document = json.loads(json_file.read_text())
    assert document["reference"] == PERSON and document["exported_by"] == "U0DPO"
    assert [row["reference"] for row in document["tables"]["cases"]] == [PERSON]
    assert "Everything panelbot holds" in text_file.read_text()
    for path in (json_file, text_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
