"""Monitoring visits in Teams, over real HTTP against the Teams stand-in (the Teams counterpart of
tests/test_visits_slack.py and tests/test_visits_authorisation.py): a placement commissioning officer
adds a provision and a placement and raises a concern by typing to panelbot, the forms refuse wrong
answers beside the field, plans the visit from "visits", records it done and the step after it; the
senior QA officer records Ofsted's action plan. Every press changes things once; people without the
role are refused with the services' sentence and nothing changes; a channel sees nothing of it."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.visits import SQAO as SQAO_ROLE
from bot.services.outbox import deliver_due
from bot.services.visits import (
    PCO_ROLE,
    add_placement,
    plan_visit,
    provisions,
    save_provision,
    visit_done,
    visits_overview,
)
from messages.teams.ids import Command, PlacementInput, PlanVisitInput, ProvisionInput, Verb
from messages.teams.render import render_text
from store.models import Audit, Base, Placement, Provision
from tests.teams.test_bot_harness import (
    ANNA,
    PRIYA,
    TOMAS,
    Teams,
    button,
    buttons,
    cards_in,
    everyone_installed,
    teams,
    teams_policy,
)

FIXTURES = (everyone_installed, teams)  # pytest finds these fixtures by their names in this module

# The visits roles, held by two more people on Teams (their Entra object ids).
OFFICERS = {"Lee Morgan": "00000000-0000-0000-0000-000000000006", "Jo Evans": "00000000-0000-0000-0000-000000000007"}
PCO, SQAO = (f"teams:{oid}" for oid in OFFICERS.values())
# Priya is the child's social worker; Tomás, a team manager, and Anna hold no visits role.
STRANGERS = (PRIYA, TOMAS, ANNA)


@pytest.fixture
def policy(default_policy):
    base = teams_policy(default_policy)
    return base.model_copy(update={"roles": {**base.roles, PCO_ROLE: (PCO,), SQAO_ROLE: (SQAO,)}})


@pytest.fixture
def officers(everyone_installed: Teams) -> Teams:
    """The PCO and the SQAO on Teams too: in the forum's team (so their e-mail can be looked up) and with
    panelbot in their personal scope."""
    teams = everyone_installed
    for name, object_id in OFFICERS.items():
        user = teams.standin.add_user(name)
        teams.standin.users[user]["aadObjectId"] = object_id
        teams.users[f"teams:{object_id}"] = user
        teams.standin.channels[teams.forum_channel].members.append(user)
        teams.send(teams.installed(f"teams:{object_id}"))
    return teams


def email(teams: Teams, who: str) -> str:
    return teams.standin.users[teams.users[who]]["email"]


def typed(teams: Teams, who: str, text: str) -> dict[str, Any]:
    """What panelbot answered `who` in their chat after they typed `text` there."""
    teams.send(teams.message(who, text))
    return teams.chat(who)[-1]


def said(answer: dict[str, Any]) -> str:
    """The sentence a press was answered with (the card pressed stays as it was)."""
    assert answer["type"] == "application/vnd.microsoft.activity.message", answer
    return answer["value"]


def everything_stored(teams: Teams) -> dict[str, list[tuple]]:
    """Every row of every table but the Teams addresses panelbot keeps from each activity."""
    with teams.services.engine.connect() as connection:
        return {table.name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
                for table in Base.metadata.sorted_tables if table.name != "teams_addresses"}


def audits(teams: Teams, action: str) -> int:
    with teams.services.sessions() as session:
        return len(session.scalars(select(Audit.id).where(Audit.action == action)).all())


OAKWOOD = {ProvisionInput.NAME: "Oakwood House", ProvisionInput.TYPE: "residential_home"}


def add_oakwood(teams: Teams, **answers: str) -> dict[str, Any]:
    form = typed(teams, PCO, "provision")
    return teams.send(teams.press(PCO, button(form, "Save"), {**OAKWOOD, **answers}))


# --- Provisions ------------------------------------------------------------------------------------------


def test_a_pco_adds_a_provision_rated_good_and_is_told_when_its_visit_is_due(officers):
    teams = officers
    form = typed(teams, PCO, "provision")
    assert render_text(form).startswith("== Add a provision ==")
    answer = cards_in(teams.send(teams.press(PCO, button(form, "Save"), {
        **OAKWOOD, ProvisionInput.RATING: "good", ProvisionInput.RATED_ON: "2026-11-20"})))
    shown = render_text(answer)
    assert "Provision saved" in shown and "Oakwood House is saved: Residential home, rated Good" in shown
    assert "due by Friday 4 December 2026" in shown
    assert [p.name for p in provisions(teams.services)] == ["Oakwood House"]


def test_a_rating_outside_ofsteds_four_is_refused_beside_the_field_and_nothing_is_saved(officers):
    teams = officers
    before = everything_stored(teams)
    refused = render_text(cards_in(add_oakwood(teams, **{ProvisionInput.RATING: "satisfactory",
                                                           ProvisionInput.RATED_ON: "2026-11-20"})))
    assert "[Name: Oakwood House]" in refused  # what was typed is kept
    beside_rating = refused.split("[Ofsted rating")[1].splitlines()[2]
    assert beside_rating.startswith("⚠ Ofsted's judgements are Outstanding, Good, Requires improvement or Inadequate")
    assert everything_stored(teams) == before


def test_a_provision_edited_is_saved_once_however_often_save_is_pressed(officers):
    teams = officers
    add_oakwood(teams)
    form = typed(teams, PCO, "provision oakwood house")
    assert render_text(form).startswith("== Edit a provision ==") and "[Name: Oakwood House]" in render_text(form)
    changed = {**OAKWOOD, ProvisionInput.CONTACT: "office@oakwood.example"}
    first = cards_in(teams.send(teams.press(PCO, button(form, "Save"), changed)))
    stored = everything_stored(teams)
    second = cards_in(teams.send(teams.press(PCO, button(form, "Save"), changed)))  # a double click
    assert render_text(first) == render_text(second) and "Oakwood House is saved" in render_text(second)
    assert everything_stored(teams) == stored
    assert audits(teams, "provision.saved") == 2  # added, then edited: once


def test_an_unknown_provision_to_edit_gets_a_sentence(officers):
    shown = render_text(typed(officers, PCO, "provision Nowhere Court"))
    assert "panelbot knows no provision called \u201cNowhere Court\u201d. Type \u201cprovision\u201d to add one." \
        in shown


# --- Placements and concerns -----------------------------------------------------------------------------


def test_a_placement_with_a_name_for_a_reference_is_refused_inline_then_recorded_once(officers):
    teams = officers
    add_oakwood(teams)
    form = typed(teams, PCO, "placement")
    oakwood = next(b for b in form["body"] if b.get("id") == PlacementInput.PROVISION)["choices"][0]["value"]
    answers = {PlacementInput.PROVISION: oakwood, PlacementInput.CHILD_REFERENCE: "Jane Doe",
               PlacementInput.STARTS_ON: "2026-12-01", PlacementInput.SOCIAL_WORKER: email(teams, PRIYA)}
    before = everything_stored(teams)
    refused = cards_in(teams.send(teams.press(PCO, button(form, "Save"), answers)))
    beside = render_text(refused).split("[Child's case reference")[1].splitlines()
    assert beside[2].startswith("⚠ ") and "never their name" in beside[2]
    assert everything_stored(teams) == before

    answers[PlacementInput.CHILD_REFERENCE] = "7654321"
    recorded = render_text(cards_in(teams.send(teams.press(PCO, button(refused, "Save"), answers))))
    assert "Placement recorded: case 7654321 at Oakwood House. Initial visit due by" in recorded
    stored = everything_stored(teams)
    again = render_text(cards_in(teams.send(teams.press(PCO, button(refused, "Save"), answers))))
    assert again == recorded and everything_stored(teams) == stored  # a double press: one placement
    with teams.services.sessions() as session:
        [placement] = session.scalars(select(Placement)).all()
    assert placement.social_worker == PRIYA  # looked up by work e-mail in the team's roster
    assert audits(teams, "placement.added") == 1


def test_a_colleague_panelbot_cannot_find_is_refused_beside_the_field(officers):
    teams = officers
    add_oakwood(teams)
    form = typed(teams, PCO, "placement")
    oakwood = next(b for b in form["body"] if b.get("id") == PlacementInput.PROVISION)["choices"][0]["value"]
    refused = render_text(cards_in(teams.send(teams.press(PCO, button(form, "Save"), {
        PlacementInput.PROVISION: oakwood, PlacementInput.CHILD_REFERENCE: "7654321",
        PlacementInput.STARTS_ON: "2026-12-01", PlacementInput.IRO: "nobody@council.example"}))))
    assert "⚠ No one in the teams panelbot is in has that work e-mail address" in \
        refused.split("[Independent reviewing officer (IRO)")[1]
    assert audits(teams, "placement.added") == 0


def test_a_concern_then_a_second_one_joins_it(officers):
    teams = officers
    add_oakwood(teams)
    first = render_text(typed(teams, PCO, "concern Oakwood House"))
    assert "Concern recorded for Oakwood House: a visit is due by Friday 4 December 2026." in first
    second = render_text(typed(teams, PCO, "concern oakwood house"))
    assert "There is already an open concern for Oakwood House (raised Tuesday 24 November 2026)" in second
    assert "panelbot knows no provision called 'Nowhere Court'." in render_text(typed(teams, PCO,
                                                                                    "concern Nowhere Court"))
    assert "Type \u201cconcern <provision name>\u201d" in render_text(typed(teams, PCO, "concern"))


# --- Planning and doing a visit, and the steps after it -------------------------------------------------


@pytest.fixture
def placed(officers: Teams) -> Teams:
    """Oakwood House with the placement of case 7654321 (Priya its social worker), its initial visit due."""
    teams = officers
    services = teams.services
    oakwood, _ = save_provision(services, PCO, provision_id=None, name="Oakwood House",
                                provision_type="residential_home", rating=None, rated_on=None, contact=None)
    add_placement(services, PCO, provision_id=oakwood.id, child_reference="7654321", starts_on=date(2026, 11, 24),
                  social_worker=PRIYA, iro=None, sen_officer=None)
    return teams


def test_a_pco_plans_the_visit_from_visits_records_it_done_and_the_step_after_it(placed, caplog):
    teams = placed
    caplog.set_level(logging.DEBUG)
    listed = typed(teams, PCO, "visits")
    assert "Initial visit, due by Friday 27 November 2026" in render_text(listed)
    form = cards_in(teams.send(teams.press(PCO, button(listed, "Plan"))))
    assert render_text(form).startswith("== Plan a visit ==")
    assert [choice["value"] for choice in next(b for b in form["body"] if b.get("id") == "visitor")["choices"]] \
        == [PCO]  # the placement commissioning officers on Teams

    past = render_text(cards_in(teams.send(teams.press(PCO, button(form, "Plan"), {
        PlanVisitInput.DATE: "2026-11-20", PlanVisitInput.VISITOR: PCO}))))
    assert "⚠ The visit date is in the past." in past.split("[Date of the visit")[1]
    assert audits(teams, "visit.planned") == 0

    plan = {PlanVisitInput.DATE: "2026-11-25", PlanVisitInput.VISITOR: PCO}
    planned = cards_in(teams.send(teams.press(PCO, button(form, "Plan"), plan)))
    assert render_text(planned).splitlines()[1] == \
        "✓ The visit to Oakwood House is planned for Wednesday 25 November 2026 with Lee Morgan."
    assert cards_in(teams.send(teams.press(PCO, button(form, "Plan"), plan))) == planned  # pressed twice
    assert audits(teams, "visit.planned") == 1 and audits(teams, "visit.replanned") == 0
    # The child's social worker is asked for feedback, in her personal chat.
    assert "Please send your feedback about the placement of case 7654321 to Lee Morgan" in \
        render_text(teams.chat(PRIYA)[-1])

    done = cards_in(teams.send(teams.press(PCO, button(planned, "Visit done"))))
    assert render_text(done).splitlines()[1] == (
        "✓ Recorded: the visit to Oakwood House took place on Tuesday 24 November 2026. Next: Completed form "
        "sent to the Senior QA Officer, due Tuesday 8 December 2026 (14 calendar days from Tuesday 24 November "
        "2026).")
    assert said(teams.send(teams.press(PCO, button(planned, "Visit done")))) == "That visit is no longer open."
    assert audits(teams, "visit.done") == 1

    # The step comes to the visitor with Done; the SQAO may not do it for them.
    step = teams.chat(PCO)[-1]
    assert "Next for the monitoring visit to Oakwood House" in render_text(step)
    assert said(teams.send(teams.press(SQAO, button(step, "Done")))) == "That step belongs to someone else."
    recorded = cards_in(teams.send(teams.press(PCO, button(step, "Done"))))
    assert render_text(recorded).splitlines()[1].startswith(
        "✓ Recorded: Completed form sent to the Senior QA Officer for the visit to Oakwood House. Next: Form "
        "returned by the Senior QA Officer with any actions, due")
    assert said(teams.send(teams.press(PCO, button(step, "Done")))) == "That step is not open."
    assert audits(teams, "visit.step_done") == 1
    # Now the step is the SQAO's: it is on their "visits", with the shares done on time.
    sqao = render_text(typed(teams, SQAO, "visits"))
    assert "Form returned by the Senior QA Officer with any actions" in sqao and "Visits on time" in sqao

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("7654321", "Oakwood", "Lee Morgan", "Priya"):
        assert secret not in logged, secret


def test_cancel_on_the_plan_form_changes_nothing(placed):
    teams = placed
    form = cards_in(teams.send(teams.press(PCO, button(typed(teams, PCO, "visits"), "Plan"))))
    before = everything_stored(teams)
    closed = cards_in(teams.send(teams.press(PCO, button(form, "Cancel"))))
    assert render_text(closed) == "== panelbot ==\nClosed: nothing was changed."
    assert everything_stored(teams) == before


def test_the_visitor_records_their_visit_and_those_a_placement_names_see_it(placed):
    teams = placed
    [visit] = visits_overview(teams.services, PCO).visits
    plan_visit(teams.services, PCO, visit.id, date(2026, 11, 24), ANNA)  # Anna visits (she holds no role)
    anna = typed(teams, ANNA, "visits")
    assert [b["title"] for b in buttons(anna)] == ["Visit done"]  # only the visits roles plan
    assert "7654321" in render_text(typed(teams, PRIYA, "visits"))  # the placement names Priya
    assert render_text(typed(teams, TOMAS, "visits")).endswith("Nothing due for you.")
    assert said(teams.send(teams.press(PRIYA, button(anna, "Visit done")))) == \
        "Only the visitor or a senior QA officer can record the visit."
    done = render_text(cards_in(teams.send(teams.press(ANNA, button(anna, "Visit done")))))
    assert "✓ Recorded: the visit to Oakwood House took place on Tuesday 24 November 2026." in done
    assert "Completed form sent to the Senior QA Officer" in done  # now Anna's step, on her list


# --- Ofsted's action plan ---------------------------------------------------------------------------------


def test_the_sqao_records_the_action_plan_requested_then_received_once_each(officers):
    teams = officers
    add_oakwood(teams, **{ProvisionInput.NAME: "Birch Court", ProvisionInput.RATING: "inadequate",
                          ProvisionInput.RATED_ON: "2026-11-20"})
    ask = teams.chat(SQAO)[-1]
    assert "Please request Ofsted's action plan for Birch Court" in render_text(ask)
    requested, received = button(ask, "Requested"), button(ask, "Received")
    assert said(teams.send(teams.press(PCO, requested))) == "Only a senior QA officer records the Ofsted action plan."

    assert said(teams.send(teams.press(SQAO, requested))).startswith("Recorded: the action plan is requested.")
    stored = everything_stored(teams)
    teams.send(teams.press(SQAO, requested))
    assert everything_stored(teams) == stored

    answer = said(teams.send(teams.press(SQAO, received)))
    assert answer == ("Recorded: the action plan for Birch Court is received; the visit after it is due by "
                      "Tuesday 1 December 2026.")
    stored = everything_stored(teams)
    assert said(teams.send(teams.press(SQAO, received))) == answer  # a double press: nothing more written
    teams.send(teams.press(SQAO, requested))
    assert everything_stored(teams) == stored
    assert audits(teams, "action_plan.requested") == 1 and audits(teams, "action_plan.received") == 1


# --- Permissions: the services', whatever the card ---------------------------------------------------------


@pytest.fixture
def visits(officers: Teams) -> dict[str, Any]:
    """As tests/test_visits_authorisation.py: Oakwood House (Good: that visit planned) with a placement
    whose initial visit is done (a step open), and Birch Court (Inadequate: an action plan asked for)."""
    teams = officers
    services = teams.services
    oakwood, [rating_visit] = save_provision(
        services, PCO, provision_id=None, name="Oakwood House", provision_type="residential_home", rating="good",
        rated_on=date(2026, 11, 20), contact=None)
    birch, _ = save_provision(services, PCO, provision_id=None, name="Birch Court", provision_type="residential_home",
                              rating="inadequate", rated_on=date(2026, 11, 20), contact=None)
    _, initial = add_placement(services, PCO, provision_id=oakwood.id, child_reference="7654329",
                               starts_on=date(2026, 11, 24), social_worker=PRIYA, iro=None, sen_officer=None)
    plan_visit(services, PCO, initial.id, date(2026, 11, 24), PCO)
    visit_done(services, PCO, initial.id)
    plan_visit(services, PCO, rating_visit.id, date(2026, 11, 30), PCO)
    deliver_due(services, services.now())
    return {"oakwood": oakwood, "birch": birch, "initial": initial, "planned": rating_visit}


def press(verb: str, **data: Any) -> dict[str, Any]:
    return {"type": "Action.Execute", "verb": verb, "data": data}


# Every visit and provision action as someone without the role would send it (a forged press, or a card
# forwarded to them): (name, what is sent).
FORGERIES = {
    "open the provision form": lambda teams, v, who: typed(teams, who, "provision"),
    "open a provision to edit": lambda teams, v, who: typed(teams, who, "provision Oakwood House"),
    "add a provision": lambda teams, v, who: teams.send(teams.press(who, press(
        "provision.save"), {ProvisionInput.NAME: "Forged House", ProvisionInput.TYPE: "residential_home"})),
    "edit a provision by its id": lambda teams, v, who: teams.send(teams.press(who, press(
        "provision.save", provision_id=v["oakwood"].id), {ProvisionInput.NAME: "Renamed House",
                                                          ProvisionInput.TYPE: "ifa"})),
    "open the placement form": lambda teams, v, who: typed(teams, who, "placement"),
    "add a placement": lambda teams, v, who: teams.send(teams.press(who, press("placement.save"), {
        PlacementInput.PROVISION: str(v["oakwood"].id), PlacementInput.CHILD_REFERENCE: "7654322",
        PlacementInput.STARTS_ON: "2026-12-01"})),
    "raise a concern": lambda teams, v, who: typed(teams, who, "concern Oakwood House"),
    "press Plan": lambda teams, v, who: teams.send(teams.press(who, press("visit.plan", visit=v["planned"].id))),
    "submit a plan": lambda teams, v, who: teams.send(teams.press(who, press("visit.plan.save", visit=v[
        "planned"].id), {PlanVisitInput.DATE: "2026-12-03", PlanVisitInput.VISITOR: who})),
    "press Visit done": lambda teams, v, who: teams.send(teams.press(who, press("visit.done",
                                                                                 visit=v["planned"].id))),
    "press Done on a step": lambda teams, v, who: teams.send(teams.press(who, press(
        "visit.step.done", visit=v["initial"].id, step="report_to_sqao"))),
    "record the action plan requested": lambda teams, v, who: teams.send(teams.press(who, press(
        "provision.action_plan.requested", provision_id=v["birch"].id))),
    "record the action plan received": lambda teams, v, who: teams.send(teams.press(who, press(
        "provision.action_plan.received", provision_id=v["birch"].id))),
}
SQAO_ONLY = ("record the action plan requested", "record the action plan received")


def forgeries():
    for name in FORGERIES:
        for who in (PRIYA, TOMAS):
            yield pytest.param(name, who, id=f"{name}-by-{'the-social-worker' if who == PRIYA else 'a-manager'}")
        if name in SQAO_ONLY:
            yield pytest.param(name, PCO, id=f"{name}-by-the-PCO")


@pytest.mark.parametrize(("action", "who"), list(forgeries()))
def test_someone_without_the_role_is_refused_with_a_sentence_and_nothing_changes(visits, officers, action, who):
    teams = officers
    before = everything_stored(teams)
    answer = FORGERIES[action](teams, visits, who)
    sentence = render_text(answer).split("\n")[-1] if answer.get("type") == "AdaptiveCard" else said(answer)
    assert sentence.startswith("Only ") or sentence == "That step belongs to someone else.", sentence
    assert "Traceback" not in sentence and sentence.endswith(".")
    deliver_due(teams.services, teams.services.now())
    assert everything_stored(teams) == before


@pytest.mark.parametrize("data", [{"visit": "abc"}, {"visit": 10**20}, {"visit": True}, {}])
@pytest.mark.parametrize("verb", ["visit.plan", "visit.done", "visit.step.done"])
def test_a_button_with_a_forged_value_gets_a_sentence_not_an_error(visits, officers, verb, data):
    teams = officers
    before = everything_stored(teams)
    assert said(teams.send(teams.press(PCO, press(verb, **data)))) == "That button is out of date: open the case again."
    step = press("visit.step.done", visit=visits["initial"].id, step="no_such_step")
    assert said(teams.send(teams.press(PCO, step))) == "That button is out of date: open the case again."
    assert everything_stored(teams) == before


def at_once(teams: Teams, who: str, button: dict[str, Any], inputs: dict[str, Any] | None = None,
            times: int = 4) -> list[Any]:
    """The button pressed `times` times at once (a double click, a retried delivery racing the first):
    the bot's answers, each from its own thread, as the web server's threads would call it."""
    activities = [Teams.bot_activity(teams.press(who, button, inputs)) for _ in range(times)]
    start = threading.Barrier(times)

    def one(activity: Any) -> Any:
        start.wait()
        return teams.bot.handle(activity).body

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(one, activities))


def test_each_visits_button_pressed_four_times_at_once_records_once(visits, officers):
    teams = officers
    oakwood, planned, initial, birch = visits["oakwood"], visits["planned"], visits["initial"], visits["birch"]
    [due] = [visit for visit in visits_overview(teams.services, PCO).visits if visit.state == "due"
             and visit.provision == "Oakwood House"]
    presses = {
        "visit.planned": (PCO, press("visit.plan.save", visit=due.id),
                          {PlanVisitInput.DATE: "2026-12-10", PlanVisitInput.VISITOR: PCO}),
        "visit.done": (PCO, press("visit.done", visit=planned.id), None),
        "visit.step_done": (PCO, press("visit.step.done", visit=initial.id, step="report_to_sqao"), None),
        "action_plan.received": (SQAO, press("provision.action_plan.received", provision_id=birch.id), None),
        "placement.added": (PCO, press("placement.save"), {
            PlacementInput.PROVISION: str(oakwood.id), PlacementInput.CHILD_REFERENCE: "7654322",
            PlacementInput.STARTS_ON: "2026-12-01"}),
    }
    for action, (who, pressed, inputs) in presses.items():
        before = audits(teams, action)
        answers = at_once(teams, who, pressed, inputs)
        assert audits(teams, action) == before + 1, action
        assert all(answer["statusCode"] == 200 for answer in answers), answers
        assert not [a for a in answers if "Sorry" in json.dumps(a) or "cannot reach" in json.dumps(a)], answers


# --- Privacy ----------------------------------------------------------------------------------------------


def test_visits_commands_typed_in_a_channel_are_answered_only_in_the_persons_own_chat(visits, officers):
    teams = officers
    for text in ("visits", "provision", "placement", "concern Oakwood House"):
        teams.send(teams.message(PCO, text, channel=teams.forum_channel))
    channel = teams.standin.posted_in(teams.forum_channel)
    assert [a.get("text") for a in channel] == ["I have answered you in your chat with panelbot."] * 4
    assert not [a for a in channel if a.get("attachments")]
    posted = json.dumps(channel)
    assert "7654329" not in posted and "Oakwood" not in posted
    mine = render_text(teams.chat(PCO)[-4])  # the visits card, in the PCO's own chat
    assert mine.startswith("== Monitoring visits ==") and "Oakwood House" in mine
    with teams.services.sessions() as session:
        assert session.scalars(select(Provision.name).order_by(Provision.name)).all() == ["Birch Court",
                                                                                           "Oakwood House"]


def test_a_visits_button_pressed_in_a_channel_is_answered_in_the_persons_own_chat(visits, officers):
    teams = officers
    forwarded = press("visit.done", visit=visits["planned"].id)  # a card forwarded to a channel, say
    answer = teams.send(teams.press(PCO, forwarded, channel=teams.forum_channel))
    assert said(answer) == "I have answered you in your chat with panelbot."
    assert "✓ Recorded: the visit to Oakwood House took place" in render_text(teams.chat(PCO)[-1])
    assert teams.standin.posted_in(teams.forum_channel) == []
    assert audits(teams, "visit.done") == 2  # the fixture's, and this one


def test_every_verb_and_command_in_ids_is_answered_by_the_teams_bot(teams):
    assert set(teams.bot.verbs) == set(Verb)
    assert set(teams.bot.commands) == set(Command)
