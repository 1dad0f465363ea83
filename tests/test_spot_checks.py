"""Spot checks of delegated decisions (issue 14, seed 001), through the real app: drawn reproducibly
when a team manager agrees funding, queued for the spot checkers, opened, recorded exactly once."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot import worker
from bot.domain.spot_checks import Finding, draw_for
from bot.refusals import Refusal
from bot.services.spot_checks import SpotCheckRefused, open_spot_check, record_spot_check
from handlers.slack.standin.requests import form_state
from messages.slack.ids import Action, DecisionField, SpotCheckField
from messages.slack.spot_checks import spot_check_modal
from store.models import Audit, Case, Decision, Reminder, SpotCheck
from tests.conftest import at_once, dispatch
from tests.test_decisions import PRIYA, STRANGER, TOMAS, click, submit_decision

SQAO, OLU = "U0SQAO0001", "U0OLUOPS"


def with_spot_checks(policy, **changes):
    return policy.model_copy(update={"spot_checks": policy.spot_checks.model_copy(update=changes)})


@pytest.fixture
def policy(default_policy):
    # Everything over £250 a week is checked; nothing at random (so each test knows what is drawn).
    return with_spot_checks(default_policy, percent=Decimal(0), always_over_weekly=Decimal(250))


@pytest.fixture
def team(slack, policy):
    slack.groups[policy.members("team_managers")[0]] = [TOMAS]
    slack.groups[policy.members("operations_managers")[0]] = [OLU]
    return slack


def sign_off(app, signer, services, new_case, weekly="280", reference="2345678"):
    """A delegated case the team manager approves through the app; returns its id."""
    case_id = new_case(reference=reference, proposed_weekly=weekly, ras_weekly="300")
    click(app, signer, TOMAS, case_id, "approved")
    assert submit_decision(app, signer, services, TOMAS, case_id, "approved",
                           {DecisionField.REASON: "Within the RAS; outcomes clear."}) == {}
    return case_id


def audits(engine, action):
    with engine.connect() as connection:
        return connection.execute(select(Audit.before, Audit.after, Audit.actor).where(Audit.action == action)
                                  .order_by(Audit.id)).all()


def the_check(engine):
    with engine.connect() as connection:
        return connection.execute(select(SpotCheck)).one()


def open_and_record(app, signer, services, user, check_id, answers):
    dispatch(app, signer.block_action(user, Action.SPOT_CHECK_OPEN, value=str(check_id)))
    view = {**spot_check_modal(open_spot_check(services, check_id, user)), "id": "V0SPOT"}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def test_an_agreed_delegated_decision_is_drawn_reproducibly_and_the_audit_keeps_the_draw(
        app, signer, slack, services, engine, team, new_case):
    sign_off(app, signer, services, new_case)
    with engine.connect() as connection:
        decision_id = connection.scalar(select(Decision.id))
    [(before, after, actor)] = audits(engine, "spot_check.draw")
    assert actor == "panelbot" and before == {"decision_id": decision_id}
    assert after["draw"] == str(draw_for(decision_id, services.policy.spot_checks.seed))
    assert after["threshold"] == "0" and after["checked"] is True and after["why"] == ["over_weekly"]
    assert draw_for(decision_id, "panelbot-spot-checks") == draw_for(decision_id, "panelbot-spot-checks")
    check = the_check(engine)
    assert (check.state, check.why, check.draw) == ("open", ["over_weekly"], Decimal(after["draw"]))
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == SQAO]
    assert "Case 2345678" in json.dumps(dm.args) and Action.SPOT_CHECK_OPEN in json.dumps(dm.args)
    assert "Within the RAS" not in json.dumps(dm.args)  # the reason is not repeated to the checker


def test_a_decision_not_drawn_is_audited_with_its_draw_and_queues_nothing(
        app, signer, slack, services, engine, team, new_case):
    sign_off(app, signer, services, new_case, weekly="240")  # not over £250, and 0 per cent at random
    [(_, after, _)] = audits(engine, "spot_check.draw")
    assert after["checked"] is False and after["why"] == []
    with engine.connect() as connection:
        assert connection.execute(select(SpotCheck)).all() == []
    assert not [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == SQAO]


def test_the_random_draw_picks_the_policys_share_and_the_same_decisions_every_time():
    drawn = [n for n in range(1, 2001) if draw_for(n, "panelbot-spot-checks") < 10]
    assert 150 < len(drawn) < 250  # about 10 per cent
    assert drawn == [n for n in range(1, 2001) if draw_for(n, "panelbot-spot-checks") < 10]
    assert drawn != [n for n in range(1, 2001) if draw_for(n, "another-seed-value") < 10]


def test_the_checker_lists_opens_and_agrees_exactly_once(app, signer, slack, services, engine, team, new_case):
    sign_off(app, signer, services, new_case)
    check = the_check(engine)
    listed = json.loads(dispatch(app, signer.command(SQAO, "spotchecks")).body)
    assert "1 spot check is waiting" in listed["text"] and "Case 2345678" in json.dumps(listed["blocks"])
    slack.reset()
    answer = open_and_record(app, signer, services, SQAO, check.id, {SpotCheckField.FINDING: "agreed"})
    [opened] = slack.calls_to("views.open")
    assert "strengths" in json.dumps(opened.args)  # the whole case, free text included, for the checker
    assert answer["response_action"] == "update" and "recorded" in json.dumps(answer["view"])
    assert the_check(engine).state == "agreed"
    [(before, after, actor)] = audits(engine, "spot_check.recorded")
    assert (before["state"], after["state"], actor) == ("open", "agreed", SQAO)
    again = open_and_record(app, signer, services, SQAO, check.id, {SpotCheckField.FINDING: "referred"})
    assert "already recorded" in again["errors"][SpotCheckField.FINDING]
    assert the_check(engine).state == "agreed" and len(audits(engine, "spot_check.recorded")) == 1
    with engine.connect() as connection:  # its reminders are withdrawn
        assert set(connection.scalars(select(Reminder.state).where(Reminder.kind.like("spot_check%")))) == {
            "withdrawn"}
    assert "No spot checks" in json.loads(dispatch(app, signer.command(SQAO, "spotchecks")).body)["text"]


def test_a_practice_concern_sends_the_recommended_actions_to_the_team_manager_only(
        app, signer, slack, services, engine, team, new_case):
    sign_off(app, signer, services, new_case)
    check = the_check(engine)
    slack.reset()
    missing = open_and_record(app, signer, services, SQAO, check.id, {SpotCheckField.FINDING: "concern"})
    assert "recommend" in missing["errors"][SpotCheckField.ACTIONS]
    open_and_record(app, signer, services, SQAO, check.id, {SpotCheckField.FINDING: "concern",
                                                             SpotCheckField.ACTIONS: "Revisit the carer's plan."})
    assert the_check(engine).state == "concern"
    posts = slack.calls_to("chat.postMessage")
    [to_manager] = [c for c in posts if c.args["channel"] == TOMAS]
    assert "Revisit the carer's plan." in json.dumps(to_manager.args)
    assert all("Revisit" not in json.dumps(c.args) for c in posts if c.args["channel"] != TOMAS)
    assert all("Revisit" not in json.dumps(a) for _, a, _ in audits(engine, "spot_check.recorded"))


def test_refer_to_panel_sends_the_case_to_the_policys_body_to_be_ratified(
        app, signer, slack, services, engine, team, new_case):
    case_id = sign_off(app, signer, services, new_case)
    check = the_check(engine)
    open_and_record(app, signer, services, SQAO, check.id, {SpotCheckField.FINDING: "referred"})
    with engine.connect() as connection:
        stage, body = connection.execute(select(Case.stage, Case.follow_on_body).where(Case.id == case_id)).one()
    assert (stage, body) == ("awaiting_ratification", "forum")
    [(before, after, _)] = audits(engine, "case.referred_by_spot_check")
    assert before["stage"] == "approved" and after == {"stage": "awaiting_ratification", "follow_on_body": "forum"}
    chairs = {m for role in services.policy.bodies["forum"].decider_roles() for m in services.policy.members(role)}
    told = {c.args["channel"] for c in slack.calls_to("chat.postMessage")}
    assert chairs <= told


def test_people_who_are_not_spot_checkers_cannot_list_open_or_record(
        app, signer, slack, services, engine, team, new_case):
    sign_off(app, signer, services, new_case)
    check = the_check(engine)
    assert "Only the spot checkers" in json.loads(dispatch(app, signer.command(STRANGER, "spotchecks")).body)["text"]
    slack.reset()
    dispatch(app, signer.block_action(STRANGER, Action.SPOT_CHECK_OPEN, value=str(check.id)))
    assert slack.calls_to("views.open") == []
    [reply] = slack.calls_to("response_url")
    assert "Only the spot checkers" in reply.args["text"]
    view = {**spot_check_modal(open_spot_check(services, check.id, SQAO)), "id": "V0FORGED"}
    forged = dispatch(app, signer.view_submission(PRIYA, view, form_state(view, {SpotCheckField.FINDING: "agreed"})))
    assert "Only the spot checkers" in json.loads(forged.body)["errors"][SpotCheckField.FINDING]
    assert the_check(engine).state == "open"


def test_a_spot_checker_never_checks_a_decision_they_made(app, signer, slack, services, engine, default_policy,
                                                          new_case):
    slack.groups[default_policy.members("team_managers")[0]] = [TOMAS, SQAO]
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    assert submit_decision(app, signer, services, SQAO, case_id, "approved", {DecisionField.REASON: "ok"}) == {}
    check = the_check(engine)
    assert not [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == SQAO
                and Action.SPOT_CHECK_OPEN in json.dumps(c.args)]
    dispatch(app, signer.block_action(SQAO, Action.SPOT_CHECK_OPEN, value=str(check.id)))
    assert "another checker" in slack.calls_to("response_url")[-1].args["text"]


def test_an_open_spot_check_is_reminded_then_escalated_on_working_days(
        app, signer, slack, services, engine, clock, team, new_case):
    sign_off(app, signer, services, new_case)  # Tuesday 24 November 2026
    with engine.connect() as connection:
        due = dict(connection.execute(select(Reminder.kind, Reminder.due_at)
                                      .where(Reminder.kind.like("spot_check%"))).all())
    # 5 working days on: Tuesday 1 December, 09:00; 10: Tuesday 8 December.
    assert due == {"spot_check_due": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                   "spot_check_overdue": datetime(2026, 12, 8, 9, 0, tzinfo=UTC)}
    slack.reset()
    clock[0] = datetime(2026, 12, 8, 9, 5, tzinfo=UTC)
    worker.tick(services, clock[0])
    texts = {c.args["channel"]: json.dumps(c.args) for c in slack.calls_to("chat.postMessage")}
    assert "Spot check waiting for you" in texts[SQAO]
    assert "Spot check overdue (escalated)" in texts[OLU]


def test_two_checkers_recording_at_once_record_one_finding(app, signer, slack, services, engine, policy, team,
                                                          new_case):
    slack.groups["S0SQAOS001"] = [f"U0CHECK{n:03d}" for n in range(8)]
    services.policy = policy.model_copy(update={"roles": {**policy.roles, "senior_qa_officers": ("S0SQAOS001",)}})
    sign_off(app, signer, services, new_case)
    check = the_check(engine)
    view = {**spot_check_modal(open_spot_check(services, check.id, "U0CHECK000")), "id": "V0RACE"}

    def attempt(n):
        finding = ("agreed", "referred")[n % 2]
        response = dispatch(app, signer.view_submission(f"U0CHECK{n:03d}", view,
                                                        form_state(view, {SpotCheckField.FINDING: finding})))
        return json.loads(response.body) if response.body else {}

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))
    assert sum(1 for a in answers if a.get("response_action") == "update") == 1
    # The others are told it was already recorded (or, when SQLite's lock wait ran out under load, that
    # nothing was changed): never a second finding.
    assert all("already recorded" in a["errors"][SpotCheckField.FINDING]
               or "nothing was changed" in a["errors"][SpotCheckField.FINDING]
               for a in answers if a.get("response_action") == "errors")
    assert len(audits(engine, "spot_check.recorded")) == 1


def test_four_check_this_case_clicks_at_once_open_the_check_once_and_each_shows_it(
        app, signer, slack, services, engine, team, new_case):
    sign_off(app, signer, services, new_case)
    check = the_check(engine)
    slack.reset()
    answers = at_once(*[lambda: dispatch(app, signer.block_action(SQAO, Action.SPOT_CHECK_OPEN, value=str(check.id)))]
                      * 4)
    assert [answer.status for answer in answers] == [200] * 4
    assert len(slack.calls_to("views.open")) == 4  # each click shows the check
    [(before, after, actor)] = audits(engine, "spot_check.opened")
    assert (before["opened_at"], after["opened_at"], actor) == (None, the_check(engine).opened_at.isoformat(), SQAO)


def test_four_records_at_once_each_opening_the_check_first_open_it_once_and_record_it_once(
        services, engine, app, signer, team, new_case):
    # As a Teams Record press does (handlers/teams/bot.py): open the check, then record the finding.
    sign_off(app, signer, services, new_case)
    check = the_check(engine)

    def press():
        open_spot_check(services, check.id, SQAO)
        return record_spot_check(services, check.id, SQAO, Finding.AGREED, None)

    answers = at_once(*[press] * 4)
    refused = [answer for answer in answers if isinstance(answer, SpotCheckRefused)]
    assert len(refused) == 3, answers
    assert {answer.code for answer in refused} <= {Refusal.SPOT_CHECK_RACE, Refusal.SPOT_CHECK_DONE_BY}
    with engine.connect() as connection:
        assert connection.scalars(select(Audit.action).where(Audit.action.like("spot_check.%"))
                                  .order_by(Audit.id)).all() == ["spot_check.draw", "spot_check.opened",
                                                                 "spot_check.recorded"]
    assert the_check(engine).state == "agreed"


def test_a_referred_case_is_ratified_or_not_by_the_forums_chair(app, signer, slack, services, engine, team,
                                                                 new_case):
    case_id = sign_off(app, signer, services, new_case)
    open_and_record(app, signer, services, SQAO, the_check(engine).id, {SpotCheckField.FINDING: "referred"})
    chair = services.policy.members(services.policy.bodies["forum"].decider_roles()[0])[0]
    assert submit_decision(app, signer, services, chair, case_id, "not_ratified",
                           {DecisionField.REASON: "Outside the RAS once the evidence is read"}) == {}
    with engine.connect() as connection:
        assert connection.scalar(select(Case.stage).where(Case.id == case_id)) == "not_ratified"


@pytest.mark.parametrize(("changes", "says"), [
    ({"refer_to": "nowhere"}, "spot_checks.refer_to: body 'nowhere' is not defined in [bodies]"),
    ({"reporters": ["auditors"]}, "spot_checks.reporters[0]: role 'auditors' is not defined in [roles]"),
    ({"escalate_to": "auditors"}, "spot_checks.escalate_to: role 'auditors' is not defined in [roles]"),
    ({"nudge_after_working_days": 10, "escalate_after_working_days": 10, "escalate_to": "panel_admins"},
     "escalate later than you nudge"),
    ({"always_over_weekly": "500"}, "is not a number"),
    ({"request_types": ["holiday"]}, "spot_checks.request_types[0]"),
    ({"seed": "short"}, "spot_checks.seed"),
])
def test_a_bad_spot_checks_table_stops_start_up_with_one_line(tmp_path, changes, says):
    import tomllib

    from bot.policy import PolicyError, default_policy_path, load_policy

    text = default_policy_path().read_text(encoding="utf-8")
    data = tomllib.loads(text)
    start, end = text.index("[spot_checks]"), text.index("[working_days]")
    table = {**data["spot_checks"], **changes}
    lines = ["[spot_checks]"] + [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    path = tmp_path / "council.toml"
    path.write_text(text[:start] + "\n".join(lines) + "\n\n" + text[end:], encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_every_shipped_policy_loads_with_the_new_keys_defaulted():
    from pathlib import Path

    from bot.policy import default_policy_path, load_policy

    for path in sorted(Path(default_policy_path()).parent.glob("*.toml")):
        checks = load_policy(path).spot_checks
        assert checks.target_working_days >= 1 and checks.reporters
