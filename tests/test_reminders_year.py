"""A year of cases with a pinned clock: submissions, bookings, decisions, deferrals, resubmissions and
reviews, the sweep ticking through every day. Every reminder goes on the right working day, inside
working hours, once; none is missing."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.domain.decisions import DecisionForm, Outcome
from bot.domain.reminders import PackageAfterReview, QualityOfLife
from bot.services.booking import book_slot, free_days
from bot.services.decisions import decide
from bot.services.reminders import send_due_reminders
from bot.services.reviews import record_review
from store.models import Case, Reminder

LONDON = ZoneInfo("Europe/London")
TOMAS, PRIYA = "U0TOMAS", "U0PRIYA"
# England and Wales bank holidays, written out by hand so the test does not trust the code it checks.
BANK_HOLIDAYS = {
    date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29),
    date(2027, 5, 3), date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),
}
START, END = date(2026, 12, 1), date(2027, 12, 31)
TICKS = (time(7, 0), time(9, 0), time(11, 30), time(14, 0), time(16, 45), time(18, 0))


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LONDON).astimezone(UTC)


@pytest.fixture
def team(slack, policy):
    slack.groups[policy.members("team_managers")[0]] = [TOMAS]
    slack.groups[policy.members("operations_managers")[0]] = ["U0OLUOPS"]


def test_a_year_of_reminders_each_on_the_right_working_day_once(services, engine, slack, clock, new_case, team):
    sent_at: dict[int, list[datetime]] = {}
    dms = 0
    case_number = 0
    pending_decisions: list[tuple[date, int, Outcome]] = []
    resubmissions: list[tuple[date, int]] = []
    day = START
    while day <= END:
        if day.weekday() == 1 and working(day):  # every working Tuesday, three new cases
            clock[0] = at(day, time(10, 0))
            case_number += 1
            delegated = new_case(reference=f"{1000000 + case_number}", proposed_weekly="280", ras_weekly="300")
            # Alternate: decided in 2 working days (no nudge), in 4 (nudged), or deferred then resubmitted.
            wait = (2, 4, 1)[case_number % 3]
            outcome = Outcome.DEFERRED if case_number % 3 == 2 else Outcome.APPROVED
            pending_decisions.append((_add_working(day, wait), delegated, outcome))
            forum = new_case(reference=f"{2000000 + case_number}")
            with services.sessions() as session:
                days = free_days(services, session, clock[0], "forum")
            slot = days[min(3, len(days) - 1)].slots[0]
            book_slot(services, forum, slot.starts_at, PRIYA)
            send = new_case(reference=f"{3000000 + case_number}", service="children_send",
                            request_type="direct_payment", proposed_weekly="200", ras_weekly="200",
                            hours_per_month="20")
            pending_decisions.append((_add_working(day, 1), send, Outcome.APPROVED))
        for when in TICKS:
            now = at(day, when)
            clock[0] = now
            for decide_on, case_id, outcome in [p for p in pending_decisions if p[0] == day and when == time(11, 30)]:
                pending_decisions.remove((decide_on, case_id, outcome))
                _decide(services, policy=services.policy, case_id=case_id, outcome=outcome)
                if outcome is Outcome.DEFERRED:  # resubmitted with the missing information, soon or late
                    late = case_id % 2 == 0
                    resubmissions.append((_add_working(day, 12 if late else 1), case_id))
            for resubmit_on, case_id in [r for r in resubmissions if r[0] == day and when == time(9, 0)]:
                resubmissions.remove((resubmit_on, case_id))
                with services.sessions() as session:
                    reference = session.get_one(Case, case_id).reference
                new_case(reference=reference, proposed_weekly="280", ras_weekly="300")
                pending_decisions.append((_add_working(day, 2), case_id, Outcome.APPROVED))
            before = len(slack.calls_to("chat.postMessage"))
            send_due_reminders(services, now, sleep=lambda _: None)
            for call in slack.calls_to("chat.postMessage")[before:]:
                metadata = call.args.get("metadata") or {}
                if metadata.get("event_type") == "panelbot_reminders":
                    dms += 1
                    for reminder_id in metadata["event_payload"]["reminder_ids"]:
                        sent_at.setdefault(reminder_id, []).append(now)
            if when == time(14, 0):
                _record_due_reviews(services, engine, sent_at, now)
        day += timedelta(days=1)

    with engine.connect() as connection:
        rows = connection.execute(select(Reminder.id, Reminder.kind, Reminder.due_at, Reminder.state)).all()
    end = at(END, time(23, 59))
    kinds = Counter()
    for reminder_id, kind, due_at, state in rows:
        if state == "withdrawn":
            assert reminder_id not in sent_at
            continue
        if due_at > end:
            assert state in ("pending", "done") and reminder_id not in sent_at
            continue
        assert state in ("sent", "done"), (reminder_id, kind, state)
        [when] = sent_at[reminder_id]  # exactly once
        local = when.astimezone(LONDON)
        assert working(local.date()), (kind, local)
        assert time(9, 0) <= local.time() < time(17, 0), (kind, local)
        assert local.date() == due_at.astimezone(LONDON).date(), (kind, due_at, local)
        assert when - due_at < timedelta(hours=3)
        kinds[kind] += 1
    # Every kind of reminder happened in the year, and each case's diary was kept.
    assert {"forum_tomorrow", "review_due", "decision_waiting", "resubmit_deferred", "resubmission_due"} <= set(kinds)
    assert kinds["forum_tomorrow"] >= 2 * 50
    assert dms < sum(kinds.values())  # several due together went in one DM


def _add_working(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        n -= working(day)
    return day


def _decide(services, *, policy, case_id, outcome):
    with services.sessions() as session:
        row = session.get_one(Case, case_id)
        decider = TOMAS if row.route == "delegated" else policy.members("send_operations_manager")[0]
        round_ = row.round
    form = DecisionForm(outcome=outcome, reason="year test",
                        info_needed="more information" if outcome is Outcome.DEFERRED else None)
    decide(services, case_id, round_, form, decider)


def _record_due_reviews(services, engine, sent_at, now):
    """A review reminder sent today is acted on: the worker records the review that afternoon."""
    with engine.connect() as connection:
        due = connection.execute(select(Reminder.id, Reminder.case_id).where(
            Reminder.kind == "review_due", Reminder.state == "sent")).all()
    for reminder_id, case_id in due:
        if sent_at.get(reminder_id, [None])[0] and sent_at[reminder_id][0].date() == now.date():
            with services.sessions() as session:
                row = session.get_one(Case, case_id)
                if row.stage not in ("approved", "approved_with_changes", "endorsed", "ratified"):
                    continue
            record_review(services, case_id, PRIYA, QualityOfLife.IMPROVED, PackageAfterReview.CONTINUES, None)
