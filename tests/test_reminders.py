"""Reminders: written when things happen, moved or withdrawn when they change, sent once in working
hours, one DM per person, with Done and Snooze; rate limits, failures and crashes."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.domain.decisions import DecisionForm, Outcome
from bot.services.booking import book_slot, cancel_booking
from bot.services.decisions import decide
from bot.services.reminders import send_due_reminders
from messages.slack.ids import Action, ReviewField, decide_action
from store.models import Audit, Reminder
from tests.conftest import dispatch

PRIYA, ANNA, TOMAS = "U0PRIYA", "U0ANNAAP", "U0TOMAS"
THURSDAY_NINE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a forum slot; its eve is Wednesday 09:00
WEDNESDAY_NINE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def team(slack, policy):
    slack.groups[policy.members("team_managers")[0]] = [TOMAS]
    slack.groups[policy.members("operations_managers")[0]] = ["U0OLUOPS"]
    return slack


def reminders(engine, **where):
    with engine.connect() as connection:
        query = select(Reminder.kind, Reminder.person, Reminder.due_at, Reminder.state).order_by(Reminder.id)
        for name, value in where.items():
            query = query.where(getattr(Reminder, name) == value)
        return connection.execute(query).all()


def reminder_dms(slack, person):
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == person
            and (c.args.get("metadata") or {}).get("event_type") == "panelbot_reminders"]


def test_a_booking_reminds_the_worker_and_attendee_the_working_day_before(services, engine, slack, new_case):
    case_id = new_case()
    book_slot(services, case_id, THURSDAY_NINE, PRIYA)
    assert reminders(engine, kind="forum_tomorrow") == [
        ("forum_tomorrow", PRIYA, WEDNESDAY_NINE, "pending"), ("forum_tomorrow", ANNA, WEDNESDAY_NINE, "pending")]
    assert send_due_reminders(services, WEDNESDAY_NINE - timedelta(minutes=1)) == 0
    assert send_due_reminders(services, WEDNESDAY_NINE) == 2
    assert send_due_reminders(services, WEDNESDAY_NINE + timedelta(minutes=1)) == 0
    [dm] = reminder_dms(slack, PRIYA)
    text = json.dumps(dm.args)
    assert "1234567" in text and "Thursday 26 November 2026, 09:00" in text
    for action in (Action.REMINDER_DONE, Action.SNOOZE_DAY, Action.SNOOZE_WEEK, Action.OPEN_CASE):
        assert action in text


def test_a_slot_after_christmas_is_reminded_on_the_last_working_day_before_it(services, engine, new_case):
    case_id = new_case()
    # Tuesday 29 December 2026: Monday 28th is the Boxing Day bank holiday, Friday 25th Christmas Day.
    book_slot(services, case_id, datetime(2026, 12, 29, 9, 0, tzinfo=UTC), PRIYA)
    [(_, _, due, _), _] = reminders(engine, kind="forum_tomorrow")
    assert due == datetime(2026, 12, 24, 9, 0, tzinfo=UTC)


def test_cancelling_withdraws_the_reminder_and_rebooking_moves_it(services, engine, new_case):
    case_id = new_case()
    book_slot(services, case_id, THURSDAY_NINE, PRIYA)
    cancel_booking(services, case_id, PRIYA)
    assert {state for *_, state in reminders(engine)} == {"withdrawn"}  # the eve and the chair's nudge
    book_slot(services, case_id, datetime(2026, 11, 27, 9, 30, tzinfo=UTC), PRIYA)
    assert [(p, d) for _, p, d, s in reminders(engine, kind="forum_tomorrow") if s == "pending"] == [
        (PRIYA, datetime(2026, 11, 26, 9, 0, tzinfo=UTC)), (ANNA, datetime(2026, 11, 26, 9, 0, tzinfo=UTC))]
    # The chair of Friday's sitting is nudged the working day after it if the case is still undecided.
    assert [(p, d) for _, p, d, s in reminders(engine, kind="decision_waiting") if s == "pending"] == [
        ("U0SDASCOP1", datetime(2026, 11, 30, 9, 0, tzinfo=UTC))]


def test_several_things_due_at_once_come_in_one_dm(services, slack, new_case):
    for n, slot in enumerate((THURSDAY_NINE, THURSDAY_NINE + timedelta(minutes=30))):
        book_slot(services, new_case(reference=f"700000{n}"), slot, PRIYA)
    assert send_due_reminders(services, WEDNESDAY_NINE) == 4
    [dm] = reminder_dms(slack, PRIYA)
    assert "7000000" in dm.args["text"] and "7000001" in dm.args["text"]


def test_a_team_manager_is_nudged_after_three_working_days_then_their_manager_after_five(
        services, engine, team, new_case):
    new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")  # Tuesday 24 November
    got = {(kind, person): due for kind, person, due, _ in reminders(engine)}
    assert got[("decision_waiting", TOMAS)] == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday
    assert got[("decision_overdue", "U0OLUOPS")] == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # next Tuesday


def test_a_decision_withdraws_the_nudges(services, engine, team, new_case):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="Within RAS"), TOMAS)
    states = {(kind, state) for kind, _, _, state in reminders(engine)}
    assert ("decision_waiting", "withdrawn") in states and ("decision_overdue", "withdrawn") in states
    assert ("review_due", "pending") in states


def test_an_approval_puts_the_first_review_in_the_diary_on_a_working_morning(services, engine, team, new_case):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), TOMAS)
    # six weeks after Tuesday 24 November 2026 is Tuesday 5 January 2027
    assert reminders(engine, kind="review_due") == [
        ("review_due", PRIYA, datetime(2027, 1, 5, 9, 0, tzinfo=UTC), "pending")]


def test_a_deferral_nudges_the_worker_to_resubmit_and_resubmitting_withdraws_it(
        services, engine, team, new_case):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.DEFERRED, reason="x", info_needed="OT"), TOMAS)
    [(_, person, due, state)] = reminders(engine, kind="resubmit_deferred")
    assert (person, due, state) == (PRIYA, datetime(2026, 12, 8, 9, 0, tzinfo=UTC), "pending")
    new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    assert reminders(engine, kind="resubmit_deferred")[0][3] == "withdrawn"


def test_done_and_snooze_are_recorded_and_only_work_for_their_person(app, signer, services, engine, slack, new_case,
                                                                     clock):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    send_due_reminders(services, WEDNESDAY_NINE)
    with engine.connect() as connection:
        mine, annas = connection.scalars(select(Reminder.id).where(Reminder.kind == "forum_tomorrow")
                                         .order_by(Reminder.id)).all()
    clock[0] = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Friday 16:00
    dispatch(app, signer.block_action(PRIYA, Action.SNOOZE_DAY, value=str(mine), channel="DPRIYA", message_ts="1"))
    dispatch(app, signer.block_action(PRIYA, Action.REMINDER_DONE, value=str(annas), channel="DPRIYA", message_ts="1"))
    replies = [c.args["text"] for c in slack.calls_to("response_url")]
    assert replies[0].startswith("Snoozed: case 1234567 comes back on Monday 30 November 2026 at 09:00")
    assert replies[1] == "That reminder is not yours."
    with engine.connect() as connection:
        assert connection.scalar(select(Reminder.due_at).where(Reminder.id == mine)) == \
            datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Saturday 16:00 moves to Monday morning
        assert connection.scalar(select(Audit.action).order_by(Audit.id.desc())) == "reminder.snoozed"
    dispatch(app, signer.block_action(ANNA, Action.REMINDER_DONE, value=str(annas), channel="DANNA", message_ts="1"))
    with engine.connect() as connection:
        assert connection.scalar(select(Reminder.state).where(Reminder.id == annas)) == "done"
        assert connection.scalar(select(Audit.action).order_by(Audit.id.desc())) == "reminder.done"


def test_a_rate_limit_is_waited_out_and_the_sweep_goes_on(services, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    slack.fail_next("chat.postMessage", status=429, retry_after=3)
    waited = []
    assert send_due_reminders(services, WEDNESDAY_NINE, sleep=waited.append) == 2
    assert len(waited) == 1 and 2.9 < waited[0] <= 3.0  # what was left of the Retry-After
    assert len(reminder_dms(slack, PRIYA)) == 2  # the refused try and the one that went
    assert len(reminder_dms(slack, ANNA)) == 1


def test_a_person_slack_no_longer_knows_fails_for_good_and_the_panel_admin_is_told(
        services, engine, slack, policy, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    slack.fail_next("chat.postMessage", error="user_not_found")
    assert send_due_reminders(services, WEDNESDAY_NINE) == 1
    assert [s for _, p, _, s in reminders(engine) if p == PRIYA] == ["failed"]
    admin = policy.members("panel_admins")[0]
    [told] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == admin]
    assert "user_not_found" in json.dumps(told.args) and "1234567" in json.dumps(told.args)


def test_a_passing_failure_is_retried_later_inside_working_hours(services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    slack.fail_next("chat.postMessage", status=503)  # (a 500 may have posted it: see test_delivery.py)
    send_due_reminders(services, WEDNESDAY_NINE)
    [(_, _, due, state)] = [r for r in reminders(engine) if r[1] == PRIYA]
    assert state == "pending" and WEDNESDAY_NINE < due < WEDNESDAY_NINE + timedelta(hours=1)
    assert send_due_reminders(services, due) == 1
    assert len(reminder_dms(slack, PRIYA)) == 2


def test_after_a_crash_between_sending_and_marking_the_reminder_is_not_sent_again(services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    send_due_reminders(services, WEDNESDAY_NINE)
    with engine.begin() as connection:  # as if the process died before marking them sent
        connection.execute(update(Reminder).where(Reminder.kind == "forum_tomorrow")
                           .values(state="sending", claimed_at=WEDNESDAY_NINE, sent_ts=None))
    later = WEDNESDAY_NINE + services.claim_timeout + timedelta(seconds=1)
    assert send_due_reminders(services, later) == 0
    assert {s for *_, s in reminders(engine, kind="forum_tomorrow")} == {"sent"}
    assert len(reminder_dms(slack, PRIYA)) == 1


def test_after_a_crash_between_claiming_and_sending_the_reminder_is_sent_once(services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    with engine.begin() as connection:  # claimed, then the process died before it sent anything
        connection.execute(update(Reminder).values(state="sending", claimed_at=WEDNESDAY_NINE))
    assert send_due_reminders(services, WEDNESDAY_NINE + timedelta(seconds=30)) == 0  # another worker may be sending
    assert send_due_reminders(services, WEDNESDAY_NINE + services.claim_timeout + timedelta(seconds=1)) == 2
    assert len(reminder_dms(slack, PRIYA)) == 1


def audit_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Audit))


def test_a_review_is_recorded_and_the_next_one_scheduled(app, signer, services, engine, slack, team, new_case, clock):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), TOMAS)
    clock[0] = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    dispatch(app, signer.command(PRIYA, "review 2345678"))
    view = {**slack.calls_to("views.open")[-1].args["view"], "id": "V0REVIEW"}
    from handlers.slack.standin.requests import form_state

    answers = {ReviewField.QUALITY_OF_LIFE: "improved", ReviewField.PACKAGE: "continues"}
    response = dispatch(app, signer.view_submission(PRIYA, view, form_state(view, answers)))
    assert "Next review due" in response.body
    due = {(k, s): d for k, _, d, s in reminders(engine, kind="review_due")}
    assert due[("review_due", "withdrawn")] == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    assert due[("review_due", "pending")] == datetime(2028, 1, 5, 9, 0, tzinfo=UTC)

    # The same form submitted again (a double click, a retried delivery): nothing is recorded twice.
    audits = audit_rows(engine)
    again = dispatch(app, signer.view_submission(PRIYA, view, form_state(view, answers)))
    assert "review was already recorded today, by <@U0PRIYA> at 10:00" in again.body
    assert audit_rows(engine) == audits
    assert sorted(d for _, _, d, s in reminders(engine, kind="review_due") if s == "pending") == [
        datetime(2028, 1, 5, 9, 0, tzinfo=UTC)]  # the next review stays a year on, not two


def test_a_second_snooze_of_the_same_reminder_says_when_it_comes_back_and_changes_nothing(
        app, signer, services, engine, slack, new_case, clock):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    send_due_reminders(services, WEDNESDAY_NINE)
    with engine.connect() as connection:
        mine = connection.scalars(select(Reminder.id).where(Reminder.kind == "forum_tomorrow", Reminder.person == PRIYA)
                                  ).one()
    clock[0] = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    for action in (Action.SNOOZE_DAY, Action.SNOOZE_WEEK):
        dispatch(app, signer.block_action(PRIYA, action, value=str(mine), channel="DPRIYA", message_ts="1"))
    first, second = [c.args["text"] for c in slack.calls_to("response_url")][-2:]
    assert first.startswith("Snoozed: case 1234567 comes back on Monday 30 November 2026 at 09:00")
    assert second == "That reminder is already snoozed: it comes back on Monday 30 November 2026 at 09:00."
    with engine.connect() as connection:
        assert connection.scalar(select(Reminder.due_at).where(Reminder.id == mine)) == \
            datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        assert connection.scalars(select(Audit.action).where(Audit.action == "reminder.snoozed")).all() == [
            "reminder.snoozed"]


def test_a_review_that_changes_an_adults_package_needs_no_ratification(services, engine, team, new_case):
    # Seed 000 stage 5 asks the SEND panel to ratify changes; adults' changes signed off within
    # delegation need none (seed 001), so the shipped policy names no ratifying body for adults.
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), TOMAS)
    from bot.domain.reminders import PackageAfterReview, QualityOfLife
    from bot.services.cases import case_by_id
    from bot.services.reviews import record_review

    record_review(services, case_id, PRIYA, QualityOfLife.SAME, PackageAfterReview.CHANGES, None)
    case = case_by_id(services, case_id, PRIYA).case
    assert (case.stage, case.round) == ("approved", 1)


def test_a_review_that_changes_a_send_package_sends_it_to_the_send_panel_for_ratification(
        services, engine, slack, team, new_case):
    slack.groups["S0SENDCHAIR"] = []
    case_id = new_case(reference="2345678", service="children_send", request_type="direct_payment",
                       proposed_weekly="250", ras_weekly="250", hours_per_month="20", attendee=None)
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), "U0SENDOPS1")
    from bot.domain.reminders import PackageAfterReview, QualityOfLife
    from bot.services.cases import case_by_id
    from bot.services.reviews import record_review

    record_review(services, case_id, PRIYA, QualityOfLife.SAME, PackageAfterReview.CHANGES, None)
    case = case_by_id(services, case_id, PRIYA).case
    assert (case.stage, case.round, case.follow_on_name) == ("awaiting_ratification", 2,
                                                             "SEND Quality Assurance Panel")
    assert decide_action("ratified") in json.dumps(__import__("messages.slack.cases", fromlist=["x"]).case_card(case))


def test_only_people_with_a_role_on_the_case_can_review_it(app, signer, services, team, new_case):
    case_id = new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), TOMAS)
    answer = json.loads(dispatch(app, signer.command("U0STRANGER", "review 2345678")).body)
    assert "Only the worker" in answer["text"]


def test_reviews_before_any_decision_are_refused(app, signer, new_case):
    new_case()
    answer = json.loads(dispatch(app, signer.command(PRIYA, "review 1234567")).body)
    assert "no agreed package" in answer["text"]
    assert date(2026, 11, 24)  # the pinned day


def test_two_workers_sweeping_at_once_send_each_reminder_once(services, slack, new_case):
    from concurrent.futures import ThreadPoolExecutor

    for n in range(6):
        book_slot(services, new_case(reference=f"800000{n}", submitter=f"U0WORKER{n}"),
                  THURSDAY_NINE + timedelta(minutes=30 * n), f"U0WORKER{n}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = sum(pool.map(lambda _: send_due_reminders(services, WEDNESDAY_NINE), range(2)))
    assert sent == 12  # six workers and Anna's six, each once
    ids = [i for c in slack.calls_to("chat.postMessage") if (c.args.get("metadata") or {}).get("event_type")
           == "panelbot_reminders" for i in c.args["metadata"]["event_payload"]["reminder_ids"]]
    assert len(ids) == len(set(ids)) == 12


SEND_ANSWERS = {"reference": "3456789", "service": "children_send", "request_type": "direct_payment",
                "proposed_weekly": "250", "ras_weekly": "250", "hours_per_month": "20", "attendee": None}
SEND_CHAIR = "U0SENDOPS1"


def follow_ups_of(engine, case_id):
    from store.models import FollowUp

    with engine.connect() as connection:
        return dict(connection.execute(select(FollowUp.kind, FollowUp.due_on).where(FollowUp.case_id == case_id)
                                       .order_by(FollowUp.due_on)).all())


def test_a_send_resubmission_is_reminded_in_time_for_the_cut_off_of_the_last_panel_before_the_anniversary(
        services, engine, team, new_case):
    case_id = new_case(**SEND_ANSWERS)
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), SEND_CHAIR)
    assert follow_ups_of(engine, case_id) == {"review": date(2027, 5, 24), "resubmission": date(2027, 11, 24)}
    [(_, person, due, state)] = reminders(engine, kind="resubmission_due")
    # The last panel before 24 November 2027 sits on Wednesday 10 November; its papers are due Wednesday
    # 27 October; the worker hears five working days before, Wednesday 20 October, 09:00 BST.
    assert (person, due, state) == (PRIYA, datetime(2027, 10, 20, 8, 0, tzinfo=UTC), "pending")
    with engine.connect() as connection:
        why = connection.scalar(select(Reminder.why).where(Reminder.kind == "resubmission_due"))
    assert "papers for the Wednesday 10 November 2027 sitting are due Wednesday 27 October 2027" in why


def test_a_review_due_on_a_saturday_is_reminded_on_the_friday_before(services, engine, team, new_case, clock):
    clock[0] = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # Sunday: six months on is Saturday 29 May 2027
    case_id = new_case(**SEND_ANSWERS)
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), SEND_CHAIR)
    [(_, _, due, _)] = reminders(engine, kind="review_due")
    assert due == datetime(2027, 5, 28, 8, 0, tzinfo=UTC)  # Friday 28 May, 09:00 BST


def test_a_resubmission_renews_the_package_and_keeps_its_cycle_anchored_on_the_first_decision(
        services, engine, team, new_case, clock):
    first = new_case(**SEND_ANSWERS)
    decide(services, first, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), SEND_CHAIR)
    clock[0] = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)
    renewal = new_case(**SEND_ANSWERS)
    with engine.connect() as connection:
        from store.models import Case, FollowUp

        assert connection.scalar(select(Case.renews_case_id).where(Case.id == renewal)) == first
        assert connection.scalar(select(FollowUp.done_at).where(FollowUp.case_id == first,
                                                                FollowUp.kind == "resubmission")) is not None
    assert [state for *_, state in reminders(engine, kind="resubmission_due")] == ["withdrawn"]
    clock[0] = datetime(2027, 11, 10, 11, 0, tzinfo=UTC)
    decide(services, renewal, 1, DecisionForm(outcome=Outcome.APPROVED, reason="renewed"), SEND_CHAIR)
    assert follow_ups_of(engine, renewal) == {"review": date(2028, 5, 24), "resubmission": date(2028, 11, 24)}


def test_a_review_that_changes_the_package_asks_its_new_cost_and_the_card_says_so(
        app, signer, services, engine, team, new_case):
    from bot.services.cases import case_by_id
    from handlers.slack.standin.requests import form_state
    from messages.slack.cases import case_card
    from messages.slack.reminders import review_modal

    case_id = new_case(**SEND_ANSWERS)
    decide(services, case_id, 1, DecisionForm(outcome=Outcome.APPROVED, reason="ok"), SEND_CHAIR)
    view = {**review_modal(case_by_id(services, case_id, PRIYA).case), "id": "V0REVIEW"}
    answers = {ReviewField.QUALITY_OF_LIFE: "same", ReviewField.PACKAGE: "changes"}
    missing = json.loads(dispatch(app, signer.view_submission(PRIYA, view, form_state(view, answers))).body)
    assert missing["errors"] == {ReviewField.NEW_WEEKLY: "Enter the changed package's weekly cost in pounds, "
                                                         "like 320.00."}
    dispatch(app, signer.view_submission(PRIYA, view, form_state(view, {**answers, ReviewField.NEW_WEEKLY: "310"})))
    case = case_by_id(services, case_id, PRIYA).case
    assert (case.stage, case.request_type, case.current_weekly, case.proposed_weekly) == (
        "awaiting_ratification", "increase", 250, 310)
    words = json.dumps(case_card(case), ensure_ascii=False)
    assert "Changed at a review (round 2)" in words and "Resubmitted" not in words
