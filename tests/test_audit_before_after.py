"""Every change to visits and provisions is audited with what it was before and what it became, and
the typed name of a provision only as a keyed fingerprint."""

from datetime import date

from sqlalchemy import select

from bot.services.visits import add_placement, plan_visit, save_provision
from store.audit import fingerprint
from store.models import Audit
from tests.conftest import TEST_AUDIT_KEY

OFFICER = "U0PCO0001"
KEY = TEST_AUDIT_KEY.encode()


class Officers:
    def group_members(self, group):
        return frozenset({OFFICER, "U0PCO0002"})


def last_audit(engine, action):
    with engine.connect() as connection:
        return connection.execute(select(Audit).where(Audit.action == action).order_by(Audit.id.desc())).first()


def test_a_replanned_visit_keeps_the_plan_it_replaced(services, engine):
    services.directory = Officers()
    provision, _ = save_provision(services, OFFICER, provision_id=None, name="Oakwood House",
                                  provision_type="residential_home", rating=None, rated_on=None, contact=None)
    _, visit = add_placement(services, OFFICER, provision_id=provision.id, child_reference="7654321",
                             starts_on=date(2026, 12, 1), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, OFFICER, visit.id, date(2026, 12, 1), OFFICER)
    plan_visit(services, OFFICER, visit.id, date(2026, 12, 2), "U0PCO0002")
    row = last_audit(engine, "visit.replanned")
    assert (row.before["planned_on"], row.before["visitor"]) == ("2026-12-01", OFFICER)
    assert (row.after["planned_on"], row.after["visitor"]) == ("2026-12-02", "U0PCO0002")
    placed = last_audit(engine, "placement.added")
    assert (placed.subject_type, placed.subject_id) == ("placement", "1")
    assert "7654321" not in str(placed.before) + str(placed.after)


def test_a_provision_edit_keeps_every_old_value_and_never_the_typed_name(services, engine):
    services.directory = Officers()
    provision, _ = save_provision(services, OFFICER, provision_id=None, name="Oakwood House",
                                  provision_type="residential_home", rating="good", rated_on=date(2026, 11, 20),
                                  contact="Ms Example, manager")
    save_provision(services, OFFICER, provision_id=provision.id, name="Oakwood House (North)",
                   provision_type="residential_home", rating="requires_improvement", rated_on=date(2026, 11, 23),
                   contact=None)
    row = last_audit(engine, "provision.saved")
    assert row.before == {"name": fingerprint(KEY, "Oakwood House"), "type": "residential_home", "rating": "good",
                          "rated_on": "2026-11-20", "contact": fingerprint(KEY, "Ms Example, manager"),
                          "rating_visit": row.before["rating_visit"]}
    assert row.before["rating_visit"]["kind"] == "rating"
    assert row.after["name"] == fingerprint(KEY, "Oakwood House (North)")
    assert (row.after["rating"], row.after["contact"]) == ("requires_improvement", None)
    assert "Oakwood" not in str(row.before) + str(row.after) and "Example" not in str(row.before)


def test_a_senior_qa_officer_recording_the_visit_for_the_visitor_acts_on_their_behalf(services, engine, policy):
    from bot.services.visits import complete_step, visit_done

    sqao = policy.members("senior_qa_officers")[0]
    services.directory = Officers()
    provision, _ = save_provision(services, OFFICER, provision_id=None, name="Oakwood House",
                                  provision_type="residential_home", rating=None, rated_on=None, contact=None)
    _, visit = add_placement(services, OFFICER, provision_id=provision.id, child_reference="7654321",
                             starts_on=date(2026, 11, 24), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, OFFICER, visit.id, date(2026, 11, 24), OFFICER)
    visit_done(services, sqao, visit.id)
    done = last_audit(engine, "visit.done")
    assert (done.actor, done.on_behalf_of) == (sqao, OFFICER)
    complete_step(services, OFFICER, visit.id, "report_to_sqao")
    step = last_audit(engine, "visit.step_done")
    assert (step.actor, step.on_behalf_of) == (OFFICER, None)
