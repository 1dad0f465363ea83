"""Working days, working hours and slots, pinned to real 2026-2027 dates (a body's sittings are in
test_schedules.py).

Clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.calendar import LONDON, Slot, WorkingCalendar

CAL = WorkingCalendar(tz=LONDON)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- working days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 27), True),  # Friday
        (date(2026, 3, 28), False),  # Saturday
        (date(2026, 3, 29), False),  # Sunday
        (date(2026, 3, 30), True),  # Monday
    ],
)
def test_weekends_are_not_working_days(day, working):
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # New Year's Day
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 4),  # early May bank holiday
        date(2026, 5, 25),  # spring bank holiday
        date(2026, 8, 31),  # summer bank holiday
        date(2026, 12, 25),  # Christmas Day, a Friday
        date(2026, 12, 28),  # Boxing Day falls on Saturday, so Monday is the substitute day
        date(2027, 1, 1),
    ],
)
def test_england_and_wales_bank_holidays_are_not_working_days(day):
    assert CAL.is_bank_holiday(day)
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 2),  # Scotland's 2 January
        date(2026, 3, 17),  # St Patrick's Day, Northern Ireland
        date(2026, 8, 3),  # Scotland's summer bank holiday
        date(2026, 11, 30),  # St Andrew's Day, Scotland
    ],
)
def test_scottish_and_northern_irish_bank_holidays_are_working_days(day):
    assert not CAL.is_bank_holiday(day)
    assert CAL.is_working_day(day)


def test_a_council_closure_day_is_not_a_working_day_but_is_not_a_bank_holiday():
    cal = WorkingCalendar(closures=frozenset({date(2026, 12, 29)}))

    assert not cal.is_working_day(date(2026, 12, 29))
    assert not cal.is_bank_holiday(date(2026, 12, 29))
    assert CAL.is_working_day(date(2026, 12, 29))


def test_closures_may_be_given_as_a_list():
    cal = WorkingCalendar(closures=[date(2026, 12, 29)])

    assert cal.closures == frozenset({date(2026, 12, 29)})
    assert hash(cal) == hash(WorkingCalendar(closures=frozenset({date(2026, 12, 29)})))


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 27), 1, date(2026, 3, 30)),  # Friday + 1 skips the weekend
        (date(2026, 3, 28), 1, date(2026, 3, 30)),  # from a Saturday
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # over Good Friday and Easter Monday
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # over Christmas and the substitute Monday
        (date(2026, 12, 24), 5, date(2027, 1, 5)),  # ... and New Year's Day
        (date(2027, 1, 5), -5, date(2026, 12, 24)),  # the same, backwards
        (date(2026, 3, 30), -1, date(2026, 3, 27)),  # Monday - 1 is the Friday before
        (date(2026, 4, 7), -1, date(2026, 4, 2)),
        (date(2026, 3, 28), 0, date(2026, 3, 28)),  # n = 0 leaves the day alone
    ],
)
def test_adding_working_days(start, n, expected):
    assert CAL.add_working_days(start, n) == expected


def test_closure_days_are_skipped_when_adding_working_days():
    cal = WorkingCalendar(closures=frozenset({date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)}))

    assert cal.add_working_days(date(2026, 12, 24), 1) == date(2027, 1, 4)
    assert cal.add_working_days(date(2027, 1, 4), -1) == date(2026, 12, 24)


@pytest.mark.parametrize(
    ("working", "expected"),
    [(True, date(2027, 1, 5)), (False, date(2026, 12, 29))],
)
def test_a_rule_can_count_working_or_calendar_days(working, expected):
    assert CAL.add_days(date(2026, 12, 24), 5, working) == expected


def test_the_next_working_day_is_strictly_after_the_day():
    assert CAL.next_working_day(date(2026, 3, 30)) == date(2026, 3, 31)
    assert CAL.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)


def test_working_days_before_a_panel_skip_bank_holidays():
    # Ten working days before Wednesday 8 April 2026, with Good Friday and Easter Monday between.
    assert CAL.working_days_before(date(2026, 4, 8), 10) == date(2026, 3, 23)


def test_working_days_before_refuses_a_negative_count():
    with pytest.raises(ValueError, match="negative"):
        CAL.working_days_before(date(2026, 4, 8), -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 3, 30), date(2026, 3, 30), 0),
        (date(2026, 3, 27), date(2026, 3, 30), 1),  # Friday to Monday
        (date(2026, 12, 24), date(2027, 1, 5), 5),
        (date(2027, 1, 5), date(2026, 12, 24), -5),
        (date(2026, 3, 28), date(2026, 3, 29), 0),  # a weekend
    ],
)
def test_counting_working_days_between_two_dates(start, end, expected):
    assert CAL.working_days_between(start, end) == expected
    if CAL.is_working_day(end):
        assert CAL.add_working_days(start, expected) == end


# --- working hours --------------------------------------------------------------------------

NINE, FIVE = time(9, 0), time(17, 0)


def test_a_reminder_due_on_saturday_goes_on_monday_morning():
    # Saturday before the clocks go forward; Monday 09:00 is then 08:00 UTC.
    assert CAL.next_working_moment(london(2026, 3, 28, 10, 0), NINE, FIVE) == utc(2026, 3, 30, 8, 0)


def test_a_reminder_due_on_saturday_before_a_bank_holiday_monday_goes_on_tuesday():
    assert CAL.next_working_moment(london(2026, 4, 4, 10, 0), NINE, FIVE) == utc(2026, 4, 7, 8, 0)


def test_a_reminder_due_on_a_bank_holiday_monday_goes_next_morning():
    assert CAL.next_working_moment(london(2026, 5, 4, 11, 0), NINE, FIVE) == utc(2026, 5, 5, 8, 0)


def test_a_reminder_due_on_friday_evening_goes_on_monday_morning():
    # The clocks go back that Sunday, so Monday 09:00 is 09:00 UTC.
    assert CAL.next_working_moment(london(2026, 10, 23, 17, 30), NINE, FIVE) == utc(2026, 10, 26, 9, 0)


def test_a_reminder_due_on_christmas_eve_evening_goes_after_the_substitute_day():
    assert CAL.next_working_moment(london(2026, 12, 24, 17, 30), NINE, FIVE) == utc(2026, 12, 29, 9, 0)


def test_a_reminder_due_within_working_hours_goes_at_once():
    at = london(2026, 7, 1, 14, 15)

    result = CAL.next_working_moment(at, NINE, FIVE)

    assert result == at
    assert result.tzinfo is UTC


def test_a_reminder_due_before_working_hours_waits_for_nine():
    assert CAL.next_working_moment(utc(2026, 7, 1, 5, 0), NINE, FIVE) == utc(2026, 7, 1, 8, 0)


def test_working_hours_end_is_exclusive():
    assert CAL.next_working_moment(london(2026, 7, 1, 17, 0), NINE, FIVE) == utc(2026, 7, 2, 8, 0)


def test_the_local_date_is_the_london_date():
    # 23:30 UTC on 30 June is already 1 July in London (BST).
    assert CAL.local_date(utc(2026, 6, 30, 23, 30)) == date(2026, 7, 1)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.next_working_moment(datetime(2026, 7, 1, 10, 0), NINE, FIVE),
        lambda: CAL.local_date(datetime(2026, 7, 1, 10, 0)),
        lambda: Slot(datetime(2026, 7, 1, 10, 0), datetime(2026, 7, 1, 10, 30)),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_working_hours_must_start_before_they_end():
    with pytest.raises(ValueError, match="start before"):
        CAL.next_working_moment(london(2026, 7, 1, 10, 0), FIVE, NINE)


# --- slots ------------------------------------------------------------------------------------


def test_a_slot_has_a_readable_london_label():
    slot = Slot(utc(2026, 3, 30, 12, 0), utc(2026, 3, 30, 12, 30))

    assert slot.label() == "Monday 30 March 2026, 13:00–13:30"


def test_a_slot_is_stored_in_utc_whatever_zone_it_was_given_in():
    slot = Slot(london(2026, 3, 30, 13, 0), london(2026, 3, 30, 13, 30))

    assert slot.starts_at.tzinfo is UTC
    assert slot.starts_at == utc(2026, 3, 30, 12, 0)


def test_working_days_between_counts_exactly_what_a_day_by_day_walk_counts():
    import random

    cal = WorkingCalendar(closures=frozenset({date(2025, 12, 29), date(2026, 1, 2), date(2026, 8, 29)}))
    rng = random.Random(20261122)
    for _ in range(500):
        start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 1500))
        end = start + timedelta(days=rng.randint(-400, 400))
        low, high, sign = (start, end, 1) if end >= start else (end, start, -1)
        walked = sum(1 for k in range(1, (high - low).days + 1) if cal.is_working_day(low + timedelta(days=k)))
        assert cal.working_days_between(start, end) == sign * walked, (start, end)
