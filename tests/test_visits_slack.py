"""Monitoring visits through the real app: the forms, the commands, the buttons, and refusals."""

import json

import pytest

from handlers.slack.standin.requests import form_state
from messages.slack.ids import Action, Callback, PlacementField, PlanVisitField, ProvisionField
from messages.slack.visits import placement_modal, plan_visit_modal, provision_modal
from tests.conftest import dispatch

PCO, SQAO, CSW, IRO = "U0PCO0001", "U0SQAO0001", "U0CSW0001", "U0IRO0001"


@pytest.fixture
def officers(slack, policy):
    slack.groups[policy.members("placement_commissioning_officers")[0]] = [PCO]


def submit(app, signer, user, view, answers, view_id="V0VISIT"):
    view = {**view, "id": view_id}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def add_oakwood(app, signer, **extra):
    answers = {ProvisionField.NAME: "Oakwood House", ProvisionField.TYPE: "residential_home", **extra}
    return submit(app, signer, PCO, provision_modal(None), answers)


def test_adding_a_provision_rated_good_says_when_its_visit_is_due(app, signer, slack, officers):
    dispatch(app, signer.command(PCO, "provision"))
    assert slack.calls_to("views.open")[-1].args["view"]["callback_id"] == Callback.PROVISION_FORM
    answer = add_oakwood(app, signer, **{ProvisionField.RATING: "good", ProvisionField.RATED_ON: "2026-11-20"})
    assert answer["response_action"] == "update"
    assert "Friday 4 December 2026" in json.dumps(answer["view"])


def test_a_rating_outside_ofsteds_four_is_an_inline_error(app, signer, officers):
    answer = add_oakwood(app, signer, **{ProvisionField.RATING: "satisfactory", ProvisionField.RATED_ON: "2026-11-20"})
    assert answer["response_action"] == "errors" and ProvisionField.RATING in answer["errors"]


def test_a_placement_with_a_name_instead_of_a_reference_is_refused_inline(app, signer, services, officers):
    add_oakwood(app, signer)
    from bot.services.visits import provisions

    form = placement_modal(provisions(services))
    answers = {PlacementField.PROVISION: str(provisions(services)[0].id), PlacementField.CHILD_REFERENCE: "Jane Doe",
               PlacementField.STARTS_ON: "2026-12-01"}
    answer = submit(app, signer, PCO, form, answers)
    assert "never their name" in answer["errors"][PlacementField.CHILD_REFERENCE]
    answers[PlacementField.CHILD_REFERENCE] = "7654321"
    answer = submit(app, signer, PCO, form, answers, view_id="V0AGAIN")
    assert answer["response_action"] == "update" and "7654321" in json.dumps(answer["view"])


def test_a_concern_then_a_second_one_joins_it(app, signer, officers):
    add_oakwood(app, signer)
    first = json.loads(dispatch(app, signer.command(PCO, "concern Oakwood House")).body)["text"]
    second = json.loads(dispatch(app, signer.command(PCO, "concern Oakwood House")).body)["text"]
    assert "Friday 4 December 2026" in first
    assert "already an open concern" in second


def test_a_concern_about_an_unknown_provision_is_refused(app, signer, officers):
    answer = json.loads(dispatch(app, signer.command(PCO, "concern Nowhere Court")).body)
    assert "no provision called" in answer["text"]


def test_planning_and_doing_a_visit_and_a_step_done_by_someone_else(app, signer, slack, services, officers):
    add_oakwood(app, signer)
    from bot.services.visits import add_placement, provisions, visit_by_id

    _, visit = add_placement(services, PCO, provision_id=provisions(services)[0].id, child_reference="7654321",
                             starts_on=__import__("datetime").date(2026, 11, 24), social_worker=CSW, iro=IRO,
                             sen_officer=None)
    listed = json.dumps(json.loads(dispatch(app, signer.command(PCO, "visits")).body))
    assert Action.PLAN_VISIT in listed
    dispatch(app, signer.block_action(PCO, Action.PLAN_VISIT, value=str(visit.id), channel="D0PCO", message_ts="1"))
    form = plan_visit_modal(visit_by_id(services, visit.id))
    answer = submit(app, signer, PCO, form, {PlanVisitField.DATE: "2026-11-24", PlanVisitField.VISITOR: PCO})
    assert answer["response_action"] == "update"
    assert {CSW, IRO} <= {c.args["channel"] for c in slack.calls_to("chat.postMessage")}
    dispatch(app, signer.block_action(PCO, Action.VISIT_DONE, value=str(visit.id), channel="D0PCO", message_ts="1"))
    dispatch(app, signer.block_action(SQAO, Action.STEP_DONE, value=f"{visit.id}:report_to_sqao", channel="D0SQ",
                                      message_ts="1"))
    replies = [c.args["text"] for c in slack.calls_to("response_url")]
    assert replies[-2].startswith("Recorded: the visit to Oakwood House took place today")
    assert replies[-1] == "That step belongs to someone else."
    sqao_view = json.dumps(json.loads(dispatch(app, signer.command(SQAO, "visits")).body))
    assert f'"value": "{visit.id}:report_to_sqao"' in sqao_view  # the SQAO sees the visitor's open step
    assert "Visits on time" in sqao_view
    assert "(14 calendar days from Tuesday 24 November 2026)" in sqao_view  # the seed's "within two weeks"
