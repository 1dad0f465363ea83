"""Monitoring visits through the services (seed 002): when each visit is due, planning, the chain of
steps after it, and bad input that changes nothing."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot.domain.visits import Step
from bot.refusals import Refusal
from bot.services.outbox import deliver_due
from bot.services.visits import (
    VisitRefused,
    add_placement,
    complete_step,
    find_provision,
    plan_visit,
    raise_concern,
    record_action_plan,
    save_provision,
    visit_done,
    visits_overview,
)
from store.models import Audit, Provision, Reminder, Visit, VisitStep
from tests.conftest import at_once

PCO, SQAO, CSW, IRO, SENO = "U0PCO0001", "U0SQAO0001", "U0CSW0001", "U0IRO0001", "U0SENO001"


@pytest.fixture
def officers(slack, policy):
    slack.groups[policy.members("placement_commissioning_officers")[0]] = [PCO]
    return slack


def provision(services, name="Oakwood House", kind="residential_home", rating=None, rated_on=None):
    view, due = save_provision(services, PCO, provision_id=None, name=name, provision_type=kind, rating=rating,
                               rated_on=rated_on, contact="Oakwood Care Ltd, 01234 567890")
    return view, due


def count(engine, model):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_a_residential_home_rated_good_gets_a_visit_within_14_days(services, officers):
    _, [due] = provision(services, rating="good", rated_on=date(2026, 11, 20))
    assert (due.kind, due.due_on) == ("rating", date(2026, 12, 4))


def test_an_inadequate_rating_asks_the_sqao_for_the_action_plan_then_the_visit_is_due_in_7_days(
        services, officers, slack):
    view, due = provision(services, rating="Inadequate", rated_on=date(2026, 11, 20))
    assert due == []
    deliver_due(services, services.now())
    [asked] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == SQAO]
    assert "action plan" in asked.args["text"].lower()
    assert record_action_plan(services, SQAO, view.id, received=False) is None
    visit = record_action_plan(services, SQAO, view.id, received=True)
    assert (visit.kind, visit.due_on) == ("action_plan", date(2026, 12, 1))


def test_an_sen_provision_rating_makes_no_rating_visit(services, officers):
    _, due = provision(services, kind="sen_provision", rating="good", rated_on=date(2026, 11, 20))
    assert due == []


def test_a_placement_makes_the_initial_visit_due_within_3_days_of_its_start(services, officers):
    view, _ = provision(services)
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                                starts_on=date(2026, 12, 24), social_worker=CSW, iro=IRO, sen_officer=SENO)
    assert (visit.kind, visit.due_on, visit.child_reference) == ("initial", date(2026, 12, 27), "7654321")


def test_a_council_counting_initial_visits_in_working_days_skips_christmas(services, officers, policy):
    services.policy = policy.model_copy(update={"visits": policy.visits.model_copy(
        update={"working_days": ("initial",)})})
    view, _ = provision(services)
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 12, 24), social_worker=None, iro=None, sen_officer=None)
    assert visit.due_on == date(2026, 12, 31)  # 25, 26, 27 and 28 December are not working days


def test_16_plus_supported_accommodation_has_its_own_rule(services, officers):
    view, _ = provision(services, name="Riverside Flats", kind="supported_16_plus")
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 11, 30), social_worker=None, iro=None, sen_officer=None)
    assert (visit.kind, visit.due_on) == ("supported_16_plus", date(2026, 12, 3))


def test_a_concern_makes_a_visit_due_in_10_days_and_a_second_one_joins_it(services, officers, engine):
    provision(services)
    visit, joined, _ = raise_concern(services, PCO, "oakwood house")
    assert (visit.kind, visit.due_on, joined) == ("concern", date(2026, 12, 4), False)
    again, joined, raised_on = raise_concern(services, PCO, "Oakwood House")
    assert (again.id, joined, raised_on) == (visit.id, True, date(2026, 11, 24))
    assert count(engine, Visit) == 1


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda s, p: raise_concern(s, PCO, "Nowhere Court"), Refusal.NO_SUCH_PROVISION),
        (lambda s, p: add_placement(s, PCO, provision_id=None, child_reference="7654321",
                                    starts_on=date(2026, 12, 1), social_worker=None, iro=None, sen_officer=None),
         Refusal.PROVISION_UNKNOWN),
        (lambda s, p: add_placement(s, PCO, provision_id=p, child_reference="7654321", starts_on=date(2025, 11, 1),
                                    social_worker=None, iro=None, sen_officer=None),
         Refusal.PLACEMENT_START_OUT_OF_RANGE),
        (lambda s, p: add_placement(s, PCO, provision_id=p, child_reference="7654321", starts_on=date(2028, 1, 1),
                                    social_worker=None, iro=None, sen_officer=None),
         Refusal.PLACEMENT_START_OUT_OF_RANGE),
        (lambda s, p: add_placement(s, PCO, provision_id=p, child_reference="Jane Doe", starts_on=date(2026, 12, 1),
                                    social_worker=None, iro=None, sen_officer=None), Refusal.CHILD_REFERENCE_SHAPE),
        (lambda s, p: save_provision(s, PCO, provision_id=p, name="Oakwood House", provision_type="residential_home",
                                     rating="Satisfactory", rated_on=date(2026, 11, 1), contact=None),
         Refusal.OFSTED_RATING_UNKNOWN),
        (lambda s, p: save_provision(s, "U0SOMEONE", provision_id=None, name="X", provision_type="sen_provision",
                                     rating=None, rated_on=None, contact=None), Refusal.VISIT_OFFICERS_ONLY),
    ],
    ids=["unknown-provision", "no-provision", "start-over-a-year-back", "start-far-ahead", "a-name-not-a-reference",
         "rating-outside-ofsteds-four", "not-an-officer"],
)
def test_bad_input_is_refused_and_changes_nothing(services, officers, engine, call, says):
    view, _ = provision(services)
    before = count(engine, Visit)
    with pytest.raises(VisitRefused) as refused:
        call(services, view.id)
    assert refused.value.code is says
    assert count(engine, Visit) == before


def test_a_new_provision_saved_four_times_at_once_is_saved_once_and_the_others_are_told_it_exists(
        services, officers, engine):
    answers = at_once(*[lambda: provision(services, rating="good", rated_on=date(2026, 11, 20))] * 4)
    refused = [answer for answer in answers if isinstance(answer, VisitRefused)]
    assert len(refused) == 3, answers  # never an IntegrityError: that reached the person as an incident
    assert {(answer.code, answer.field, answer.facts["name"]) for answer in refused} == {
        (Refusal.PROVISION_EXISTS, "name", "Oakwood House")}
    assert count(engine, Provision) == 1 and count(engine, Visit) == 1
    with engine.connect() as connection:
        assert connection.scalars(select(Audit.action)).all() == ["provision.saved"]


def test_names_that_differ_only_in_case_saved_at_once_are_one_provision(services, officers, engine):
    names = ["Oakwood House", "oakwood house", "OAKWOOD HOUSE ", "Oakwood house"]
    answers = at_once(*[lambda name=name: provision(services, name=name) for name in names])
    refused = [answer for answer in answers if isinstance(answer, VisitRefused)]
    assert len(refused) == 3 and {answer.code for answer in refused} == {Refusal.PROVISION_EXISTS}, answers
    assert count(engine, Provision) == 1


def test_a_provision_name_is_matched_as_typed_not_as_a_pattern(services, officers):
    provision(services)  # Oakwood House
    assert find_provision(services, "oakwood HOUSE") is not None
    for pattern in ("Oak_ood House", "Oak%", "%"):
        assert find_provision(services, pattern) is None


def test_planning_a_visit_schedules_the_confirmation_and_asks_for_feedback(services, officers, engine, slack):
    view, _ = provision(services)
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 12, 24), social_worker=CSW, iro=IRO, sen_officer=SENO)
    plan_visit(services, PCO, visit.id, date(2026, 12, 22), PCO)
    with engine.connect() as connection:
        [(kind, person, due)] = connection.execute(select(Reminder.kind, Reminder.person, Reminder.due_at)
                                                   .where(Reminder.state == "pending",
                                                          Reminder.kind != "visit_overdue")).all()
    assert (kind, person, due) == ("visit_confirm", PCO, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    deliver_due(services, services.now())
    asked = {c.args["channel"] for c in slack.calls_to("chat.postMessage")}
    assert {CSW, IRO, SENO} <= asked


def test_a_visit_date_before_the_placement_is_refused_for_a_concern_visit(services, officers):
    view, _ = provision(services)
    add_placement(services, PCO, provision_id=view.id, child_reference="7654321", starts_on=date(2026, 12, 24),
                  social_worker=None, iro=None, sen_officer=None)
    visit, _, _ = raise_concern(services, PCO, "Oakwood House")
    with pytest.raises(VisitRefused) as refused:
        plan_visit(services, PCO, visit.id, date(2026, 11, 1), PCO)
    assert refused.value.code is Refusal.VISIT_DATE_PAST


def test_each_step_after_the_visit_is_due_from_when_the_previous_one_actually_finished(
        services, officers, engine, clock):
    view, _ = provision(services)
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 11, 25), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, PCO, visit.id, date(2026, 11, 25), PCO)
    clock[0] = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    done = visit_done(services, PCO, visit.id)
    assert [(s.step, s.due_on) for s in done.steps] == [("report_to_sqao", date(2026, 12, 9))]
    clock[0] = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)  # two days late
    with pytest.raises(VisitRefused) as refused:
        complete_step(services, SQAO, visit.id, Step.REPORT_TO_SQAO)
    assert refused.value.code is Refusal.STEP_NOT_YOURS
    after = complete_step(services, PCO, visit.id, Step.REPORT_TO_SQAO)
    assert after.steps[-1].step == "sqao_returns" and after.steps[-1].due_on == date(2026, 12, 18)
    clock[0] = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # early
    after = complete_step(services, SQAO, visit.id, Step.SQAO_RETURNS)
    assert after.steps[-1].step == "actions_done" and after.steps[-1].due_on == date(2026, 12, 17)
    with engine.connect() as connection:
        annual = connection.scalar(select(Visit.due_on).where(Visit.kind == "annual"))
    assert annual == date(2027, 11, 25)


def test_a_rating_change_mid_chain_makes_its_own_visit_and_leaves_the_chain_alone(services, officers, clock):
    view, _ = provision(services)
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 11, 25), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, PCO, visit.id, date(2026, 11, 25), PCO)
    chain = visit_done(services, PCO, visit.id).steps
    _, [rating_visit] = save_provision(services, PCO, provision_id=view.id, name="Oakwood House",
                                       provision_type="residential_home", rating="outstanding",
                                       rated_on=date(2026, 11, 23), contact=None)
    assert (rating_visit.kind, rating_visit.due_on) == ("rating", date(2026, 12, 7))
    overview = visits_overview(services, PCO)
    assert [s.due_on for _, s in overview.steps] == [chain[0].due_on]


def test_the_sqao_sees_everything_with_the_share_done_on_time(services, officers, clock):
    view, _ = provision(services)
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 11, 25), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, PCO, visit.id, date(2026, 11, 26), PCO)
    clock[0] = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    visit_done(services, PCO, visit.id)
    overview = visits_overview(services, SQAO)
    assert overview.everything and overview.visits_on_time == 1.0
    assert [v.kind for v in overview.visits] == ["annual"]
    mine = visits_overview(services, "U0SOMEONE")
    assert not mine.everything and mine.steps == ()


def test_the_steps_are_reminded_through_the_reminders_engine(services, officers, engine, clock):
    view, _ = provision(services)
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 11, 25), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, PCO, visit.id, date(2026, 11, 25), PCO)
    visit_done(services, PCO, visit.id)
    with engine.connect() as connection:
        rows = connection.execute(select(Reminder.kind, Reminder.person, Reminder.due_at, Reminder.state)
                                  .where(Reminder.kind == "visit_step_due")).all()
        assert count(engine, VisitStep) == 1
    assert rows == [("visit_step_due", PCO, datetime(2026, 12, 8, 9, 0, tzinfo=UTC), "pending")]


def test_a_step_left_undone_is_escalated_to_the_sqao_and_withdrawn_when_done(services, officers, engine, clock):
    view, _ = provision(services)
    _, visit = add_placement(services, PCO, provision_id=view.id, child_reference="7654321",
                             starts_on=date(2026, 11, 25), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, PCO, visit.id, date(2026, 11, 25), PCO)
    visit_done(services, PCO, visit.id)  # the report to the SQAO is due Tuesday 8 December
    with engine.connect() as connection:
        [(person, due, late)] = connection.execute(select(Reminder.person, Reminder.due_at, Reminder.late_person)
                                                   .where(Reminder.kind == "visit_step_overdue")).all()
    assert (person, due, late) == (SQAO, datetime(2026, 12, 15, 9, 0, tzinfo=UTC), PCO)  # five working days on
    complete_step(services, PCO, visit.id, Step.REPORT_TO_SQAO)
    with engine.connect() as connection:
        states = dict(connection.execute(select(Reminder.kind, Reminder.state)
                                         .where(Reminder.kind.in_(["visit_step_due", "visit_step_overdue"]),
                                                Reminder.person == SQAO)).all())
    assert states == {"visit_step_overdue": "withdrawn", "visit_step_due": "pending"}
