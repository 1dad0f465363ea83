"""Visits and provisions are authorised in the services, not by hiding buttons: forged requests (a
valid signature, the wrong person, a guessed id) for every visit and provision action are refused
with a sentence and change nothing; `/panel visits` shows each person only what is theirs."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from bot.services.outbox import deliver_due
from bot.services.visits import add_placement, plan_visit, save_provision, visit_by_id, visit_done
from handlers.slack.standin.requests import form_state
from messages.slack.ids import Action, PlacementField, PlanVisitField, ProvisionField
from messages.slack.visits import placement_modal, plan_visit_modal, provision_modal
from store.models import Base
from tests.conftest import dispatch

PCO, SQAO = "U0PCO0001", "U0SQAO0001"
CSW, IRO, SENO = "U0CSW0001", "U0IRO0001", "U0SENO001"
STRANGER, OTHER_CSW, TEAM_MANAGER = "U0STRANGER", "U0CSW0002", "U0TOMAS"


@pytest.fixture
def visits(slack, policy, services):
    """Oakwood House (rated Good: that visit planned) with two placements: 7654321, naming its social
    worker, IRO and SEN officer, its initial visit due; 7654329, its initial visit done (a step open).
    Birch Court, rated Inadequate (an action plan asked for)."""
    slack.groups[policy.members("placement_commissioning_officers")[0]] = [PCO]
    slack.groups[policy.members("team_managers")[0]] = [TEAM_MANAGER]
    oakwood, [rating_visit] = save_provision(
        services, PCO, provision_id=None, name="Oakwood House", provision_type="residential_home", rating="good",
        rated_on=date(2026, 11, 20), contact=None)
    birch, _ = save_provision(services, PCO, provision_id=None, name="Birch Court", provision_type="residential_home",
                              rating="inadequate", rated_on=date(2026, 11, 20), contact=None)
    add_placement(services, PCO, provision_id=oakwood.id, child_reference="7654321", starts_on=date(2026, 11, 30),
                  social_worker=CSW, iro=IRO, sen_officer=SENO)
    _, initial = add_placement(services, PCO, provision_id=oakwood.id, child_reference="7654329",
                               starts_on=date(2026, 11, 24), social_worker=None, iro=None, sen_officer=None)
    plan_visit(services, PCO, initial.id, date(2026, 11, 24), PCO)
    visit_done(services, PCO, initial.id)
    plan_visit(services, PCO, rating_visit.id, date(2026, 11, 30), PCO)
    deliver_due(services, services.now())
    return {"oakwood": oakwood, "birch": birch, "initial": initial, "planned": rating_visit}


def everything_stored(engine):
    """Every row of every table: a refused request must leave all of it as it was."""
    with engine.connect() as connection:
        return {table.name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
                for table in Base.metadata.sorted_tables}


def submit(app, signer, user, view, answers):
    view = {**view, "id": "V0FORGED"}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    [sentence] = body["errors"].values()
    return sentence


def command(app, signer, user, text):
    response = dispatch(app, signer.command(user, text))
    assert response.status == 200
    return json.loads(response.body)["text"]


def button(app, signer, slack, user, action, value):
    response = dispatch(app, signer.block_action(user, action, value=value, channel="D0FORGED", message_ts="1"))
    assert response.status == 200
    return slack.calls_to("response_url")[-1].args["text"]


# Every visit and provision action, as a forged request: (name, who sends it, what it sends).
FORGERIES = {
    "open the provision form": lambda app, signer, slack, v, who: command(app, signer, who, "provision"),
    "open a provision to edit": lambda app, signer, slack, v, who: command(app, signer, who, "provision Oakwood House"),
    "add a provision": lambda app, signer, slack, v, who: submit(app, signer, who, provision_modal(None), {
        ProvisionField.NAME: "Forged House", ProvisionField.TYPE: "residential_home"}),
    "edit a provision by its id": lambda app, signer, slack, v, who: submit(
        app, signer, who, provision_modal(v["oakwood"]), {
            ProvisionField.NAME: "Renamed House", ProvisionField.TYPE: "ifa", ProvisionField.RATING: "inadequate",
            ProvisionField.RATED_ON: "2026-11-23"}),
    "open the placement form": lambda app, signer, slack, v, who: command(app, signer, who, "placement"),
    "add a placement": lambda app, signer, slack, v, who: submit(app, signer, who, placement_modal([v["oakwood"]]), {
        PlacementField.PROVISION: str(v["oakwood"].id), PlacementField.CHILD_REFERENCE: "7654322",
        PlacementField.STARTS_ON: "2026-12-01"}),
    "raise a concern": lambda app, signer, slack, v, who: command(app, signer, who, "concern Oakwood House"),
    "press Plan on a guessed visit id": lambda app, signer, slack, v, who: button(
        app, signer, slack, who, Action.PLAN_VISIT, str(v["planned"].id)),
    "submit a plan for a guessed visit id": lambda app, signer, slack, v, who: submit(
        app, signer, who, plan_visit_modal(v["planned"]),
        {PlanVisitField.DATE: "2026-12-03", PlanVisitField.VISITOR: who}),
    "press Visit done": lambda app, signer, slack, v, who: button(
        app, signer, slack, who, Action.VISIT_DONE, str(v["planned"].id)),
    "press Done on a step": lambda app, signer, slack, v, who: button(
        app, signer, slack, who, Action.STEP_DONE, f"{v['initial'].id}:report_to_sqao"),
    "record the action plan requested": lambda app, signer, slack, v, who: button(
        app, signer, slack, who, Action.ACTION_PLAN_REQUESTED, str(v["birch"].id)),
    "record the action plan received": lambda app, signer, slack, v, who: button(
        app, signer, slack, who, Action.ACTION_PLAN_RECEIVED, str(v["birch"].id)),
}
# The child's own social worker and a team manager hold no visits role; the PCO is not the SQAO.
NOT_ALLOWED = [STRANGER, CSW, TEAM_MANAGER]
SQAO_ONLY = ("record the action plan requested", "record the action plan received")


def forgeries():
    for name in FORGERIES:
        for who in NOT_ALLOWED:
            yield pytest.param(name, who, id=f"{name}-by-{who}")
        if name in SQAO_ONLY:
            yield pytest.param(name, PCO, id=f"{name}-by-the-PCO")


@pytest.mark.parametrize(("action", "who"), list(forgeries()))
def test_a_forged_visit_or_provision_request_is_refused_with_a_sentence_and_changes_nothing(
        app, signer, slack, engine, services, visits, action, who):
    before = everything_stored(engine)
    slack.reset()
    sentence = FORGERIES[action](app, signer, slack, visits, who)
    assert sentence.startswith("Only ") or sentence == "That step belongs to someone else."
    assert sentence.endswith(".") and "Traceback" not in sentence
    assert slack.calls_to("views.open") == []
    deliver_due(services, services.now())
    assert slack.calls_to("chat.postMessage") == []
    assert everything_stored(engine) == before


def test_the_visits_roles_may_do_what_strangers_may_not(app, signer, slack, visits):
    slack.reset()
    dispatch(app, signer.block_action(PCO, Action.PLAN_VISIT, value=str(visits["planned"].id), channel="D0PCO",
                                      message_ts="1"))
    dispatch(app, signer.command(SQAO, "placement"))
    assert [c.args["view"]["callback_id"] for c in slack.calls_to("views.open")] == ["plan_visit_form",
                                                                                      "placement_form"]


def visits_seen_by(app, signer, user):
    return json.dumps(json.loads(dispatch(app, signer.command(user, "visits")).body))


def test_visits_shows_each_person_only_the_placements_that_name_them(app, signer, slack, services, visits):
    for named in (CSW, IRO, SENO):
        seen = visits_seen_by(app, signer, named)
        assert "7654321" in seen, named  # the next visit for the placement that names them
        assert Action.PLAN_VISIT not in seen  # only the visits roles plan
    for other in (STRANGER, OTHER_CSW, TEAM_MANAGER):
        seen = visits_seen_by(app, signer, other)
        assert "Nothing due for you." in seen and "7654321" not in seen and "Oakwood" not in seen, other


def test_the_pco_and_the_sqao_see_every_visit_and_step(app, signer, visits):
    for officer in (PCO, SQAO):
        seen = visits_seen_by(app, signer, officer)
        assert "Oakwood House" in seen and "7654321" in seen and "report_to_sqao" in seen
        assert "Visits on time" in seen


def test_the_visitor_sees_their_planned_visit_and_their_step(app, signer, slack, services, visits, policy):
    visitor = "U0VISITOR1"
    plan_visit(services, PCO, visits["planned"].id, date(2026, 11, 30), visitor)
    seen = visits_seen_by(app, signer, visitor)
    assert Action.VISIT_DONE in seen and str(visit_by_id(services, visits["planned"].id).id) in seen


@pytest.mark.parametrize(("action", "value"), [
    (Action.PLAN_VISIT, "abc"), (Action.PLAN_VISIT, "99999999999999999999"), (Action.VISIT_DONE, "1;DROP"),
    (Action.VISIT_DONE, "99999999999999999999"), (Action.STEP_DONE, "1:no_such_step"), (Action.STEP_DONE, ""),
    (Action.ACTION_PLAN_RECEIVED, "-1"), (Action.ACTION_PLAN_REQUESTED, "99999999999999999999"),
], ids=str)
def test_a_button_with_a_forged_value_gets_a_sentence_not_an_error(app, signer, slack, engine, visits, action, value):
    before = everything_stored(engine)
    sentence = button(app, signer, slack, PCO, action, value)
    assert sentence in ("That visit is no longer in panelbot.", "That button no longer works.",
                        "Only a senior QA officer records the Ofsted action plan.")
    assert everything_stored(engine) == before


@pytest.mark.parametrize("metadata", ["abc", "99999999999999999999", "1.5"])
def test_a_form_with_forged_metadata_gets_a_sentence_not_an_error(app, signer, engine, visits, metadata):
    before = everything_stored(engine)
    for view, answers in (
        (provision_modal(visits["oakwood"]), {ProvisionField.NAME: "Oakwood House", ProvisionField.TYPE: "ifa"}),
        (plan_visit_modal(visits["planned"]), {PlanVisitField.DATE: "2026-12-03", PlanVisitField.VISITOR: PCO}),
    ):
        assert submit(app, signer, PCO, {**view, "private_metadata": metadata}, answers) == (
            "This form is out of date or was not made by panelbot: close it and open it again.")
    assert everything_stored(engine) == before


def test_a_placement_for_a_forged_provision_id_is_refused_under_the_provision(app, signer, engine, visits):
    before = everything_stored(engine)
    for forged in ("99999999999999999999", "0", "abc"):
        sentence = submit(app, signer, PCO, placement_modal([visits["oakwood"]]), {
            PlacementField.PROVISION: forged, PlacementField.CHILD_REFERENCE: "7654322",
            PlacementField.STARTS_ON: "2026-12-01"})
        assert sentence.startswith("Choose a provision panelbot knows")
    assert everything_stored(engine) == before
