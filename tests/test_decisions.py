"""Deciding a case end to end: who may, exactly once, and what a decision sets going."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot import worker
from bot.services.booking import book_slot
from bot.services.outbox import deliver_due
from bot.services.views import chair_of
from handlers.slack.standin.requests import form_state
from messages.slack.decisions import decision_modal
from messages.slack.ids import DecisionField, decide_action
from store.models import Audit, Case, CaseCard, Decision, FollowUp
from tests.conftest import dispatch

PRIYA, ANNA, TOMAS, STRANGER = "U0PRIYA", "U0ANNAAP", "U0TOMAS", "U0STRANGER"
TODAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # Tuesday; the pinned clock is 10:00


@pytest.fixture
def team(slack, policy):
    """Slack user groups as the default policy names them: Tomás is a team manager, Olu an operations manager."""
    slack.groups[policy.members("team_managers")[0]] = [TOMAS]
    slack.groups[policy.members("operations_managers")[0]] = ["U0OLUOPS"]
    return slack


@pytest.fixture
def forum_case(new_case, services):
    """A forum case booked for today at noon; returns (case id, the day's chair)."""
    case_id = new_case()
    book_slot(services, case_id, TODAY_NOON, PRIYA)
    deliver_due(services, services.now())
    _, chairs = chair_of(services, services.policy.bodies["forum"], date(2026, 11, 24))
    return case_id, chairs[0]


def round_of(engine, case_id):
    with engine.connect() as connection:
        return connection.scalar(select(Case.round).where(Case.id == case_id))


def click(app, signer, user, case_id, outcome, round_=1):
    return dispatch(app, signer.block_action(user, decide_action(outcome), value=f"{case_id}:{round_}",
                                             channel="C0FORUM001", message_ts="1800000001.000100"))


def submit_decision(app, signer, services, user, case_id, outcome, answers, *, round_=1, view_id="V0DECIDE"):
    from bot.services.cases import case_by_id

    case = case_by_id(services, case_id, PRIYA).case
    view = {**decision_modal(case, outcome), "id": view_id}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def stage(engine, case_id):
    with engine.connect() as connection:
        return connection.scalar(select(Case.stage).where(Case.id == case_id))


def dms_to(slack, user):
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == user]


def test_the_chair_of_the_day_approves_in_the_thread_and_the_worker_hears_at_once(
        app, signer, slack, services, engine, forum_case):
    case_id, chair = forum_case
    slack.reset()
    click(app, signer, chair, case_id, "approved")
    assert slack.calls_to("views.open")
    assert submit_decision(app, signer, services, chair, case_id, "approved",
                           {DecisionField.REASON: "Community options explored; within the forum's view."}) == {}
    assert stage(engine, case_id) == "approved"
    [updated] = slack.calls_to("chat.update")
    card = json.dumps(updated.args)
    assert "Approved" in card and "decide_" not in card  # outcome shown, buttons gone
    [reply] = [c for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    with engine.connect() as connection:
        assert reply.args["thread_ts"] == connection.scalar(select(CaseCard.ts))
        assert connection.scalar(select(Audit.action).order_by(Audit.id.desc())) == "case.decision"
        [review] = connection.execute(select(FollowUp.kind, FollowUp.due_on)).all()
    assert "Community options explored" not in json.dumps(reply.args)  # the reason never goes to the channel
    assert "/panel case 1234567" in json.dumps(reply.args)  # but where to read it does
    assert review == ("review", date(2027, 1, 5))  # six weeks on
    for person in (PRIYA, ANNA):
        assert "Support planning may start" in json.dumps(dms_to(slack, person)[-1].args)
        assert "Community options explored" in json.dumps(dms_to(slack, person)[-1].args)


def test_someone_else_clicking_is_told_who_may_decide_and_nothing_changes(app, signer, slack, engine, forum_case):
    case_id, _ = forum_case
    slack.reset()
    click(app, signer, STRANGER, case_id, "approved")
    assert slack.calls_to("views.open") == []
    [reply] = slack.calls_to("response_url")
    assert "Only the chair of the Enhanced Peer Forum on Tuesday 24 November" in reply.args["text"]
    assert stage(engine, case_id) == "booked"


def test_a_forged_decision_form_from_someone_else_is_refused_in_the_service(
        app, signer, services, engine, forum_case):
    case_id, _ = forum_case
    answer = submit_decision(app, signer, services, STRANGER, case_id, "approved", {DecisionField.REASON: "x"})
    assert answer["response_action"] == "errors"
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Decision)) == 0


def test_nobody_decides_a_case_they_submitted(app, signer, services, engine, new_case):
    _, chairs = chair_of(services, services.policy.bodies["forum"], date(2026, 11, 24))
    case_id = new_case(submitter=chairs[0])
    book_slot(services, case_id, TODAY_NOON, chairs[0])
    answer = submit_decision(app, signer, services, chairs[0], case_id, "approved", {DecisionField.REASON: "x"})
    assert "You submitted this case" in answer["errors"][DecisionField.REASON]


def test_a_reason_is_required(app, signer, services, forum_case):
    case_id, chair = forum_case
    answer = submit_decision(app, signer, services, chair, case_id, "declined", {})
    assert answer["errors"] == {DecisionField.REASON: "A reason is required for every decision."}


def test_two_chairs_deciding_at_once_record_one_decision_and_the_others_are_told_who(
        app, signer, services, engine, slack, policy, forum_case):
    case_id, _ = forum_case
    role, _ = chair_of(services, services.policy.bodies["forum"], date(2026, 11, 24))
    deciders = [f"U0CHAIR{n:02d}" for n in range(20)]
    group = "S0CHAIRS01"
    slack.groups[group] = deciders
    services.policy = policy.model_copy(update={"roles": {**policy.roles, role: (group,)}})

    def attempt(n):
        return submit_decision(app, signer, services, deciders[n], case_id, "approved",
                               {DecisionField.REASON: f"reason {n}"}, view_id=f"V{n}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(attempt, range(20)))
    with engine.connect() as connection:
        [winner] = connection.scalars(select(Decision.decided_by)).all()
    losers = [a for a in answers if a]
    assert len(losers) == 19
    assert all("already decided" in a["errors"][DecisionField.REASON] and f"<@{winner}>" in
               a["errors"][DecisionField.REASON] for a in losers)


def test_a_late_click_after_the_decision_is_told_who_decided(app, signer, slack, services, forum_case):
    case_id, chair = forum_case
    submit_decision(app, signer, services, chair, case_id, "approved", {DecisionField.REASON: "ok"})
    slack.reset()
    click(app, signer, chair, case_id, "declined")
    [reply] = slack.calls_to("response_url")
    assert "already decided" in reply.args["text"]
    assert slack.calls_to("views.open") == []


def test_a_deferred_case_is_resubmitted_as_the_same_case_and_keeps_its_history(
        app, signer, slack, services, engine, new_case, forum_case):
    case_id, chair = forum_case
    submit_decision(app, signer, services, chair, case_id, "deferred",
                    {DecisionField.REASON: "Needs OT view", DecisionField.INFO_NEEDED: "An OT assessment"})
    assert stage(engine, case_id) == "deferred"
    assert "Resubmit" in json.dumps(dms_to(slack, PRIYA)[-1].args)
    again = new_case(evidence=["occupational therapy", "health"])
    assert again == case_id
    assert (stage(engine, case_id), round_of(engine, case_id)) == ("awaiting_booking", 2)
    with engine.connect() as connection:
        assert connection.execute(select(Decision.round, Decision.outcome)).all() == [(1, "deferred")]


def test_the_team_manager_signs_off_from_the_dm_and_the_outcome_goes_in_the_delegated_thread(
        app, signer, slack, services, engine, policy, team, new_case):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    deliver_due(services, services.now())
    [notice] = dms_to(slack, TOMAS)
    assert decide_action("approved") in json.dumps(notice.args)
    submit_decision(app, signer, services, TOMAS, case_id, "approved", {DecisionField.REASON: "Within RAS"})
    assert stage(engine, case_id) == "approved"
    [reply] = [c for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert reply.args["channel"] == policy.bodies["delegated"].channel


def test_a_team_manager_cannot_approve_beyond_delegated_limits(app, signer, services, engine, team, new_case):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    answer = submit_decision(app, signer, services, TOMAS, case_id, "approved_with_changes",
                             {DecisionField.REASON: "More hours", DecisionField.AMENDED_WEEKLY: "420",
                              DecisionField.CONDITIONS: "Review in 4 weeks"})
    assert "beyond what delegated sign-off can agree" in answer["errors"][DecisionField.REASON]
    assert "(£420.00/wk is over the £350.00 threshold)" in answer["errors"][DecisionField.REASON]
    assert stage(engine, case_id) == "awaiting_sign_off"


def test_amending_above_the_ras_says_it_is_over_the_ras(app, signer, services, engine, team, new_case):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    answer = submit_decision(app, signer, services, TOMAS, case_id, "approved_with_changes",
                             {DecisionField.REASON: "More hours", DecisionField.AMENDED_WEEKLY: "320",
                              DecisionField.CONDITIONS: "Review in 4 weeks"})
    assert "(£320.00/wk is over the RAS indicative budget of £300.00/wk)" in answer["errors"][DecisionField.REASON]
    assert stage(engine, case_id) == "awaiting_sign_off"


def test_an_increase_approved_with_changes_below_its_current_cost_is_recorded(
        app, signer, services, engine, team, new_case):
    case_id = new_case(reference="2345678", request_type="increase", current_weekly="240", proposed_weekly="280",
                       ras_weekly="300")
    answer = submit_decision(app, signer, services, TOMAS, case_id, "approved_with_changes",
                             {DecisionField.REASON: "Less is needed", DecisionField.AMENDED_WEEKLY: "230",
                              DecisionField.CONDITIONS: "Review in 4 weeks"})
    assert answer == {}
    assert stage(engine, case_id) == "approved_with_changes"


def test_only_a_team_manager_signs_off_and_any_of_them_may(app, signer, services, slack, engine, team, new_case):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    answer = submit_decision(app, signer, services, STRANGER, case_id, "approved", {DecisionField.REASON: "x"})
    assert "Only team managers can decide this case at £280.00/wk" in answer["errors"][DecisionField.REASON]
    slack.groups["S0TEAMMGRS"] = [TOMAS, "U0OTHERTM"]
    services.directory = type(services.directory)(services.directory.client)  # forget the cached group
    submit_decision(app, signer, services, "U0OTHERTM", case_id, "approved", {DecisionField.REASON: "Covering"})
    assert stage(engine, case_id) == "approved"


def test_an_urgent_decision_goes_to_the_next_panel_for_endorsement(
        app, signer, slack, services, engine, team, new_case):
    case_id = new_case(reference="4567890", urgent=["urgent"], urgent_reason="carer in hospital")
    refused = submit_decision(app, signer, services, STRANGER, case_id, "approved", {DecisionField.REASON: "x"})
    assert "operations managers" in refused["errors"][DecisionField.REASON]
    submit_decision(app, signer, services, "U0OLUOPS", case_id, "approved", {DecisionField.REASON: "Cannot wait"})
    assert stage(engine, case_id) == "awaiting_endorsement"
    assert "endorsement" in json.dumps(dms_to(slack, PRIYA)[-1].args)
    _, chairs = chair_of(services, services.policy.bodies["forum"], date(2026, 11, 24))
    submit_decision(app, signer, services, chairs[0], case_id, "endorsed", {DecisionField.REASON: "Agreed"},
                    view_id="V0ENDORSE")
    assert stage(engine, case_id) == "endorsed"


def test_an_urgent_decision_not_endorsed_owes_no_review(app, signer, slack, services, engine, team, new_case):
    from store.models import Reminder

    case_id = new_case(reference="4567890", urgent=["urgent"], urgent_reason="carer in hospital")
    submit_decision(app, signer, services, "U0OLUOPS", case_id, "approved", {DecisionField.REASON: "Cannot wait"})
    _, chairs = chair_of(services, services.policy.bodies["forum"], date(2026, 11, 24))
    submit_decision(app, signer, services, chairs[0], case_id, "not_endorsed", {DecisionField.REASON: "No"},
                    view_id="V0ENDORSE")
    assert stage(engine, case_id) == "not_endorsed"
    with engine.connect() as connection:
        assert set(connection.scalars(select(Reminder.state).where(Reminder.kind == "review_due"))) == {"withdrawn"}
        assert connection.scalar(select(FollowUp.id).where(FollowUp.done_at.is_(None))) is None


def test_an_adults_change_signed_off_within_delegation_needs_no_ratification(
        app, signer, services, engine, team, new_case):
    case_id = new_case(reference="2345678", request_type="increase", current_weekly="240", proposed_weekly="280",
                       ras_weekly="300")
    submit_decision(app, signer, services, TOMAS, case_id, "approved", {DecisionField.REASON: "Within RAS"})
    assert stage(engine, case_id) == "approved"


def test_the_send_panel_needs_its_chair_or_deputy_and_sets_the_reviews(app, signer, services, engine, policy, new_case):
    case_id = new_case(reference="3456789", service="children_send", request_type="direct_payment",
                       proposed_weekly="310", ras_weekly="300", hours_per_month="45")
    parent = policy.members("send_parent_representatives")[0]
    refused = submit_decision(app, signer, services, parent, case_id, "approved", {DecisionField.REASON: "x"})
    assert "chair, or the deputy" in refused["errors"][DecisionField.REASON]
    deputy = policy.members("send_service_manager")[0]
    submit_decision(app, signer, services, deputy, case_id, "approved", {DecisionField.REASON: "Best value"})
    with engine.connect() as connection:
        due = dict(connection.execute(select(FollowUp.kind, FollowUp.due_on)).all())
    assert due == {"review": date(2027, 5, 24), "resubmission": date(2027, 11, 24)}


def test_a_practice_concern_goes_only_to_the_line_manager(app, signer, slack, services, forum_case):
    case_id, chair = forum_case
    slack.reset()
    submit_decision(app, signer, services, chair, case_id, "approved",
                    {DecisionField.REASON: "ok", DecisionField.PRACTICE_CONCERN: "Concern-canary",
                     DecisionField.CONCERN_ACTIONS: "Supervision within a week"})
    [concern] = [c for c in dms_to(slack, TOMAS) if "Concern-canary" in json.dumps(c.args)]
    assert "Supervision within a week" in json.dumps(concern.args)
    others = [c for c in slack.calls_to("chat.postMessage") + slack.calls_to("chat.update") if c is not concern]
    assert not any("Concern-canary" in json.dumps(c.args) for c in others)


def test_the_send_panel_agenda_goes_out_once_after_the_papers_cut_off(
        app, signer, slack, services, policy, new_case):
    new_case(reference="3456789", service="children_send", request_type="direct_payment", proposed_weekly="310",
             ras_weekly="300", hours_per_month="45")
    deliver_due(services, services.now())  # the case card
    slack.reset()
    # Papers for the 9 December panel were due Wednesday 25 November; the agenda goes on Thursday at 08:00.
    assert worker.tick(services, datetime(2026, 11, 25, 9, 0, tzinfo=UTC))["post_panel_agenda"] == 0
    worker.tick(services, datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    worker.tick(services, datetime(2026, 11, 26, 8, 1, tzinfo=UTC))
    channel = policy.bodies["send_panel"].channel
    [posted] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == channel]
    text = json.dumps(posted.args)
    assert "3456789" in text and "practitioner must attend" in text.lower()
