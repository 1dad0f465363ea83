"""Two councils shaped differently from the seeds, run through the real app: a weekly panel with a
timed cut-off and a quorum (weekly_panel.toml), and yearly limits by tier with a high-cost panel and a
forum whose chairs take turns by sitting (high_cost.toml). The clock is pinned to Tuesday 24 November
2026, 10:00 in London."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot import worker
from bot.policy import default_policy_path, load_policy
from bot.services.attendance import record_attendance
from bot.services.cases import case_by_id
from bot.services.outbox import deliver_due
from handlers.slack.standin.requests import form_state
from messages.slack.decisions import decision_modal
from messages.slack.ids import Action, AttendanceField, DecisionField, SubmitField
from messages.slack.submit import submit_modal
from store.models import Audit, Case
from tests.conftest import dispatch

POLICIES = default_policy_path().parent
WEEKLY = load_policy(POLICIES / "weekly_panel.toml")
HIGH_COST = load_policy(POLICIES / "high_cost.toml")
PRIYA, TOMAS, ANNA = "U0PRIYA", "U0TOMAS", "U0ANNAAP"
SVC_MANAGER, HEAD, FINANCE, PRACTICE_LEAD, DUTY = "U0SVCMGR1", "U0HEADSVC1", "U0FINANCE", "U0PRACLEAD", "U0DUTYSM"

CASE = {
    "reference": "7654321", "service": "adults", "request_type": "new_package", "proposed_weekly": "412",
    "ras_weekly": "298", "strengths_and_needs": "strengths", "outcomes": "outcomes", "alternatives": "tried",
    "evidence": ["assessment"], "team_manager": TOMAS,
}


def submit(app, signer, policy, answers, *, user=PRIYA, view_id="V0FORM0001"):
    view = {**submit_modal(policy), "id": view_id}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def only_case(engine, reference):
    with engine.connect() as connection:
        return connection.execute(select(Case).where(Case.reference == reference)).one()


def decide(app, signer, services, user, case_id, outcome, reason="Agreed", round_=1, **more):
    case = case_by_id(services, case_id, PRIYA).case
    view = {**decision_modal(case, outcome), "id": f"V0D{user}{outcome}"[:20]}
    answers = {DecisionField.REASON: reason, **more}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def stage(engine, case_id):
    with engine.connect() as connection:
        return connection.scalar(select(Case.stage).where(Case.id == case_id))


def dms_to(slack, user):
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == user]


# --- A weekly panel with a timed cut-off and a quorum ----------------------------------------------------


class TestWeeklyPanel:
    @pytest.fixture
    def policy(self):
        return WEEKLY

    @pytest.fixture(autouse=True)
    def people(self, slack):
        slack.groups.update({"S0TEAMMGRS": [TOMAS], "S0SVCMGRS1": [SVC_MANAGER], "S0FINANCE1": [FINANCE],
                             "S0PRACLD01": [PRACTICE_LEAD], "S0DUTYSM01": [DUTY]})

    def test_a_case_over_300_a_week_misses_the_thursday_cut_off_and_is_told_why(self, app, signer, slack, engine):
        answer = submit(app, signer, WEEKLY, CASE)
        row = only_case(engine, "7654321")
        # Submitted Tuesday 24 November: papers for Wednesday 25 November were due Thursday 19th at 17:00.
        assert (row.route, row.stage, row.panel_day, row.panel_late_for) == (
            "resource_panel", "listed", date(2026, 12, 2), date(2026, 11, 25))
        assert row.papers_due == date(2026, 11, 26)
        words = json.dumps(answer["view"])
        assert "Listed for the Resource Allocation Panel on Wednesday 2 December 2026" in words
        assert "Papers for the Wednesday 25 November 2026 panel were past their due date" in words
        # The card goes to the panel's own channel.
        assert [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "C0RAPANEL1"]

    def test_a_case_within_the_ras_up_to_300_is_signed_off_by_a_team_manager(self, app, signer, engine):
        submit(app, signer, WEEKLY, {**CASE, "proposed_weekly": "300", "ras_weekly": "300"})
        row = only_case(engine, "7654321")
        assert (row.route, row.tier_role, row.stage) == ("team_manager", "team_managers", "awaiting_sign_off")

    def test_the_panel_cannot_decide_until_its_quorum_is_recorded_present(
            self, app, signer, slack, services, engine, clock):
        submit(app, signer, WEEKLY, CASE)
        case_id = only_case(engine, "7654321").id
        clock[0] = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)  # the sitting
        refused = decide(app, signer, services, SVC_MANAGER, case_id, "approved")
        assert refused["errors"][DecisionField.REASON] == (
            "The Resource Allocation Panel of Wednesday 2 December is not quorate: it needs 1 more of the finance "
            "officers and 1 more of the practice leads recorded as present. The chair or a panel admin records who "
            "is present from the agenda.")
        assert stage(engine, case_id) == "listed"

        # The agenda's button opens the form; only the chair, the deputy or a panel admin may use it.
        dispatch(app, signer.block_action(FINANCE, Action.RECORD_ATTENDANCE, "resource_panel:2026-12-02",
                                          channel="C0RAPANEL1", message_ts="1.0"))
        assert not slack.calls_to("views.open")
        dispatch(app, signer.block_action(SVC_MANAGER, Action.RECORD_ATTENDANCE, "resource_panel:2026-12-02",
                                          channel="C0RAPANEL1", message_ts="1.0"))
        [opened] = slack.calls_to("views.open")
        view = {**opened.args["view"], "id": "V0ATTEND"}
        answer = json.loads(dispatch(app, signer.view_submission(SVC_MANAGER, view, form_state(
            view, {AttendanceField.PRESENT: [SVC_MANAGER, FINANCE]}))).body)
        assert "It is not quorate yet: it needs 1 more of the practice leads" in json.dumps(answer)
        assert "1 more of the practice leads" in decide(app, signer, services, SVC_MANAGER, case_id,
                                                        "approved")["errors"][DecisionField.REASON]

        dispatch(app, signer.view_submission(SVC_MANAGER, view, form_state(
            view, {AttendanceField.PRESENT: [SVC_MANAGER, FINANCE, PRACTICE_LEAD]})))
        assert decide(app, signer, services, SVC_MANAGER, case_id, "approved") == {}
        assert stage(engine, case_id) == "approved"
        with engine.connect() as connection:
            audits = connection.execute(select(Audit.action, Audit.before, Audit.after)
                                        .where(Audit.action == "sitting.attendance")).all()
        assert [a.after["present"] for a in audits] == [[SVC_MANAGER, FINANCE], [SVC_MANAGER, FINANCE, PRACTICE_LEAD]]
        assert audits[1].before["present"] == [SVC_MANAGER, FINANCE]

    def test_a_case_not_heard_at_its_sitting_is_carried_to_the_next_agenda(self, app, signer, services, engine):
        submit(app, signer, WEEKLY, CASE)
        case_id = only_case(engine, "7654321").id
        worker.tick(services, datetime(2026, 12, 3, 9, 0, tzinfo=UTC))  # the day after the 2 December sitting
        row = only_case(engine, "7654321")
        assert (row.panel_day, row.carried_from, row.stage) == (date(2026, 12, 9), date(2026, 12, 2), "listed")
        from bot.services.views import panel_agenda_for
        with services.sessions() as session:
            agenda = panel_agenda_for(services, session, date(2026, 12, 9), "resource_panel")
        from messages.slack.decisions import panel_agenda_message
        text = json.dumps(panel_agenda_message(agenda))
        assert "7654321" in text and "carried from Wednesday 2 December 2026" in text
        assert "Record who is present" in text
        assert case_by_id(services, case_id, PRIYA).case.panel.carried_from == date(2026, 12, 2)

    def test_an_urgent_decision_waits_in_the_panels_queue_for_someone_else_to_endorse(
            self, app, signer, slack, services, engine, clock):
        submit(app, signer, WEEKLY, {**CASE, "urgent": ["urgent"], "urgent_reason": "carer in hospital"})
        case_id = only_case(engine, "7654321").id
        assert decide(app, signer, services, DUTY, case_id, "approved") == {}
        assert stage(engine, case_id) == "awaiting_endorsement"
        deliver_due(services, clock[0])
        # The panel's chair and deputy are told the case waits in its queue.
        told = json.dumps(dms_to(slack, SVC_MANAGER)[-1].args)
        assert "waits for endorsement at the Resource Allocation Panel" in told
        # The reference is free for a correction while the endorsement waits.
        submit(app, signer, WEEKLY, {**CASE, "proposed_weekly": "280", "ras_weekly": "290"}, view_id="V0FORM0002")
        with engine.connect() as connection:
            assert connection.scalar(select(Case.id).where(Case.reference == "7654321", Case.is_open)) != case_id
        # The duty senior manager who decided may not endorse it, even when they also chair.
        slack.groups["S0SVCMGRS1"] = [SVC_MANAGER, DUTY]
        services.directory = type(services.directory)(services.directory.client)
        refused = decide(app, signer, services, DUTY, case_id, "endorsed")
        assert "You made the decision that needs endorsement" in refused["errors"][DecisionField.REASON]
        clock[0] = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
        record_attendance(services, "resource_panel", date(2026, 12, 2), [SVC_MANAGER, FINANCE, PRACTICE_LEAD],
                          SVC_MANAGER)
        assert decide(app, signer, services, SVC_MANAGER, case_id, "endorsed") == {}
        assert stage(engine, case_id) == "endorsed"

    def test_the_policy_check_shows_the_sittings_cut_offs_and_quorum(self, capsys):
        from bot.cli import main

        assert main(["policy", "check", str(POLICIES / "weekly_panel.toml")]) == 0
        out = capsys.readouterr().out
        assert "quorum: 1 of the finance officers, 1 of the practice leads recorded present" in out
        assert "papers due by 17:00 on Thursday" in out


# --- Yearly limits by tier, a high-cost panel, a forum chaired by turns -------------------------------------


class TestHighCost:
    @pytest.fixture
    def policy(self):
        return HIGH_COST

    @pytest.fixture(autouse=True)
    def people(self, slack):
        slack.groups.update({"S0TEAMMGRS": [TOMAS], "S0SVCMGRS1": [SVC_MANAGER], "S0HEADSVC1": [HEAD]})

    def test_the_lowest_tier_that_covers_the_yearly_cost_is_told_and_a_lower_one_is_refused(
            self, app, signer, slack, services, engine, clock):
        submit(app, signer, HIGH_COST, {**CASE, "proposed_weekly": "577", "age_band": "65+"})  # £30,004 a year
        row = only_case(engine, "7654321")
        assert (row.route, row.tier_role) == ("managers", "service_managers")
        deliver_due(services, clock[0])
        assert dms_to(slack, SVC_MANAGER) and not dms_to(slack, TOMAS)
        refused = decide(app, signer, services, TOMAS, row.id, "approved")
        assert refused["errors"][DecisionField.REASON] == (
            "Only service managers or heads of service can decide this case at £577.00/wk (managers' sign-off).")
        # A higher tier may decide it; an amendment above their own limit is refused and changes nothing.
        over = decide(app, signer, services, SVC_MANAGER, row.id, "approved_with_changes",
                      **{DecisionField.AMENDED_WEEKLY: "1000", DecisionField.CONDITIONS: "more hours"})
        assert "£1,000.00/wk is over your limit: only heads of service can agree it" in \
            over["errors"][DecisionField.AMENDED_WEEKLY if DecisionField.AMENDED_WEEKLY in over["errors"] else
                           DecisionField.REASON]
        assert stage(engine, row.id) == "awaiting_sign_off"
        assert decide(app, signer, services, HEAD, row.id, "approved") == {}
        assert stage(engine, row.id) == "approved"

    def test_over_every_tier_the_case_goes_beyond_the_limits_to_the_high_cost_panel(self, app, signer, engine):
        submit(app, signer, HIGH_COST, {**CASE, "proposed_weekly": "1500", "age_band": "65+"})
        row = only_case(engine, "7654321")
        assert (row.route, row.stage) == ("managers", "awaiting_sign_off")  # £78,000 a year: heads of service
        submit(app, signer, HIGH_COST, {**CASE, "reference": "7654322", "proposed_weekly": "1500.01",
                                        "age_band": "65+"}, view_id="V0FORM0002")
        assert only_case(engine, "7654322").route == "high_cost_panel"

    def test_the_form_asks_for_the_age_band_and_a_young_adults_residential_placement_goes_to_panel(
            self, app, signer, engine):
        missing = submit(app, signer, HIGH_COST, {**CASE, "request_type": "residential_placement"})
        assert missing["errors"] == {SubmitField.AGE_BAND: "Choose the person's age band: the council's rules depend "
                                                           "on it"}
        submit(app, signer, HIGH_COST, {**CASE, "request_type": "residential_placement", "age_band": "18-25"},
               view_id="V0FORM0002")
        row = only_case(engine, "7654321")
        assert row.route == "high_cost_panel"
        assert "a residential placement of £412.00/wk, aged 18-25 goes to the High-Cost Panel" in row.reasons

    def test_a_team_manager_named_on_the_form_must_hold_the_role(self, app, signer):
        answer = submit(app, signer, HIGH_COST, {**CASE, "team_manager": "U0NOTATM", "age_band": "65+"})
        assert answer["errors"] == {SubmitField.TEAM_MANAGER: "Choose your team manager: the person chosen is not one "
                                                              "of the team managers."}

    def test_the_practice_forum_is_chaired_by_turns_per_sitting(self, app, signer, slack, services, engine):
        submit(app, signer, HIGH_COST, {**CASE, "request_type": "respite", "proposed_weekly": "120",
                                        "respite_weeks": "7", "age_band": "65+"})
        row = only_case(engine, "7654321")
        assert (row.route, row.stage) == ("practice_forum", "awaiting_booking")
        from bot.services.booking import agenda

        tuesday, thursday = agenda(services, date(2026, 12, 1)), agenda(services, date(2026, 12, 3))
        assert (tuesday.body_name, tuesday.chair_role, thursday.chair_role) == (
            "Practice Forum", "north_chair", "south_chair")
        assert len(tuesday.items) == 6  # 14:00-16:00 in 20-minute slots


def test_a_council_with_no_meeting_is_told_so_by_the_agenda_and_a_panel_case_has_no_slot(
        app, signer, slack, engine):
    # The module's `policy` fixture (below) runs the app on weekly_panel.toml, which has no meeting.
    answer = json.loads(dispatch(app, signer.command(PRIYA, "agenda")).body)
    assert answer["text"] == ("This council's policy has no meeting with bookable slots. For a panel's agenda: "
                              "`/panel agenda <panel> [date]` (`resource_panel`).")
    submit(app, signer, WEEKLY, CASE)
    answer = json.loads(dispatch(app, signer.command(PRIYA, "book 7654321")).body)
    assert "does not go to a meeting with slots, so it has no slot to book" in answer["text"]
    # The panel's own agenda, for anyone, in /panel: its next sitting with the case listed.
    answer = json.loads(dispatch(app, signer.command(PRIYA, "agenda resource_panel 2/12/2026")).body)
    words = json.dumps(answer, ensure_ascii=False)
    assert "Resource Allocation Panel — Wednesday 2 December 2026, 10:00" in words and "7654321" in words


@pytest.fixture
def policy():
    """Outside the classes, the app runs on the weekly panel's policy."""
    return WEEKLY
