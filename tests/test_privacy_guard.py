"""The personal-data guard through the real app: a case reference, a child's reference or a provision
name holding an NHS number, a date, a postcode, a phone number or an e-mail address is refused
under its field, with a sentence that does not repeat it, and nothing is stored."""

import json

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.services.visits import provisions, save_provision
from handlers.slack.standin.requests import form_state
from messages.slack.ids import PlacementField, ProvisionField
from messages.slack.submit import submit_modal
from messages.slack.visits import placement_modal, provision_modal
from store.models import Audit, Case, Outbox, Placement, Provision
from tests.conftest import FORUM_ANSWERS, dispatch

PRIYA, PCO = "U0PRIYA", "U0PCO0001"
NHS_NUMBER = "943 476 5919"  # a valid NHS number (the NHS's own test range)


@pytest.fixture
def officers(slack, policy):
    slack.groups[policy.members("placement_commissioning_officers")[0]] = [PCO]


def submit(app, signer, user, view, answers, view_id="V0GUARD"):
    view = {**view, "id": view_id}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def count(engine, *models):
    with engine.connect() as connection:
        return [connection.scalar(select(func.count()).select_from(model)) for model in models]


@pytest.mark.parametrize(("reference", "kind"), [
    ("9434765919", "an NHS number"), (NHS_NUMBER, "an NHS number"), ("03/04/2012", "a date"),
    ("SW1A 1AA", "a postcode"), ("07700 900123", "a phone number"), ("jane@example.org", "an e-mail address"),
])
def test_a_case_reference_holding_personal_data_is_refused_inline_and_nothing_is_stored(
        app, signer, slack, engine, policy, reference, kind):
    answer = submit(app, signer, PRIYA, submit_modal(policy), {**FORUM_ANSWERS, "reference": reference})
    assert answer["response_action"] == "errors"
    sentence = answer["errors"]["reference"]
    assert sentence.startswith(f"That looks like it holds {kind}. Use the case-system ID, like 1234567")
    assert reference not in json.dumps(answer)
    assert count(engine, Case, Audit, Outbox) == [0, 0, 0]
    assert slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(("name", "kind"), [
    ("Oakwood House, SW1A 1AA", "a postcode"), ("Oakwood House 07700 900123", "a phone number"),
    ("manager@oakwood.example", "an e-mail address"), ("Jane's placement from 3 March 2026", "a date"),
])
def test_a_provision_name_holding_personal_data_is_refused_under_the_name_and_nothing_is_stored(
        app, signer, engine, officers, name, kind):
    answers = {ProvisionField.NAME: name, ProvisionField.TYPE: "residential_home"}
    answer = submit(app, signer, PCO, provision_modal(None), answers)
    assert answer["response_action"] == "errors"
    assert answer["errors"][ProvisionField.NAME].startswith(f"That looks like it holds {kind}. Give only the")
    assert name not in json.dumps(answer)
    assert count(engine, Provision, Audit) == [0, 0]


def test_a_childs_reference_that_is_an_nhs_number_is_refused_and_no_placement_is_stored(
        app, signer, services, engine, officers):
    save_provision(services, PCO, provision_id=None, name="Oakwood House", provision_type="residential_home",
                   rating=None, rated_on=None, contact=None)
    [oakwood] = provisions(services)
    answers = {PlacementField.PROVISION: str(oakwood.id), PlacementField.CHILD_REFERENCE: NHS_NUMBER,
               PlacementField.STARTS_ON: "2026-12-01"}
    answer = submit(app, signer, PCO, placement_modal([oakwood]), answers)
    assert answer["errors"][PlacementField.CHILD_REFERENCE].startswith("That looks like it holds an NHS number.")
    assert count(engine, Placement, Audit) == [0, 1]  # the provision's own audit row only


def test_policy_check_warns_that_the_shipped_pattern_accepts_an_nhs_number(capsys):
    assert main(["policy", "check"]) == 0
    warnings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "accepts a valid NHS number" in warnings[0]


def test_policy_check_warns_about_a_pattern_that_accepts_letters(tmp_path, capsys):
    from pathlib import Path

    from bot.policy import default_policy_path

    text = Path(default_policy_path()).read_text()
    lettered = text.replace("pattern = '[0-9]{5,10}'", "pattern = '[A-Za-z0-9]{5,9}'")
    assert lettered != text
    path = tmp_path / "policy.toml"
    path.write_text(lettered)
    assert main(["policy", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: the case reference pattern accepts letters" in out
    assert "accepts a valid NHS number" not in out
