"""Working days, forum slots and SEND panel dates, pinned to real 2026-2027 dates.

Clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.calendar import (
    LONDON,
    PanelSitting,
    Sitting,
    Slot,
    WorkingCalendar,
    bookable_slots,
    panel_for_submission,
    panel_sittings,
    sitting_days,
    slots_for_day,
)

CAL = WorkingCalendar(tz=LONDON)

# The Enhanced Peer Forum (seed 003): Monday 13:00-16:30, Tuesday to Friday 09:00-13:00.
FORUM = [Sitting(0, time(13, 0), time(16, 30))] + [Sitting(d, time(9, 0), time(13, 0)) for d in range(1, 5)]

# The SEND Quality Assurance Panel (seed 000): second Wednesday, alternating offices.
SECOND_WEDNESDAY = "FREQ=MONTHLY;BYDAY=2WE"
PANEL_START = date(2026, 1, 1)
OFFICES = ["North", "South"]


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def panels(cal: WorkingCalendar, after: date, count: int) -> list[PanelSitting]:
    return panel_sittings(cal, SECOND_WEDNESDAY, PANEL_START, time(10, 0), OFFICES, 10, after, count)


def panel_for(submitted_on: date, cal: WorkingCalendar = CAL) -> PanelSitting:
    return panel_for_submission(cal, SECOND_WEDNESDAY, PANEL_START, time(10, 0), OFFICES, 10, submitted_on)


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
        lambda: bookable_slots(CAL, FORUM, 30, datetime(2026, 7, 1, 10, 0), timedelta(0), 1, set()),
        lambda: bookable_slots(CAL, FORUM, 30, utc(2026, 7, 1), timedelta(0), 1, {datetime(2026, 7, 1, 9)}),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_working_hours_must_start_before_they_end():
    with pytest.raises(ValueError, match="start before"):
        CAL.next_working_moment(london(2026, 7, 1, 10, 0), FIVE, NINE)


# --- forum sittings and slots ---------------------------------------------------------------


def test_sitting_days_skip_weekends_and_bank_holidays():
    assert sitting_days(CAL, FORUM, date(2026, 4, 2), 3) == [
        date(2026, 4, 2),  # Thursday, counted because `after` is inclusive
        date(2026, 4, 7),  # Good Friday and Easter Monday skipped
        date(2026, 4, 8),
    ]


def test_sitting_days_only_fall_on_weekdays_with_a_sitting():
    mondays = [Sitting(0, time(13, 0), time(16, 30))]

    assert sitting_days(CAL, mondays, date(2026, 3, 31), 2) == [date(2026, 4, 13), date(2026, 4, 20)]


@pytest.mark.parametrize(
    ("monday", "first_start_utc"),
    [
        (date(2026, 3, 23), utc(2026, 3, 23, 13, 0)),  # GMT, before the clocks go forward
        (date(2026, 3, 30), utc(2026, 3, 30, 12, 0)),  # BST, the day after
        (date(2026, 10, 19), utc(2026, 10, 19, 12, 0)),  # BST, before the clocks go back
        (date(2026, 10, 26), utc(2026, 10, 26, 13, 0)),  # GMT, the day after
    ],
)
def test_a_monday_sitting_starts_at_one_pm_london_time_across_clock_changes(monday, first_start_utc):
    slots = slots_for_day(CAL, FORUM, monday, 30)

    assert slots[0].starts_at == first_start_utc
    assert slots[0].local_start().time() == time(13, 0)
    assert slots[-1].local_end().time() == time(16, 30)


def test_a_monday_with_30_minute_slots_has_seven_ending_at_half_past_four():
    slots = slots_for_day(CAL, FORUM, date(2026, 3, 30), 30)

    assert [s.local_start().time() for s in slots] == [
        time(13, 0), time(13, 30), time(14, 0), time(14, 30), time(15, 0), time(15, 30), time(16, 0),
    ]  # fmt: skip
    assert slots[-1].local_end().time() == time(16, 30)


def test_a_partial_last_slot_is_dropped():
    slots = slots_for_day(CAL, FORUM, date(2026, 3, 30), 45)

    assert [s.local_start().time() for s in slots] == [time(13, 0), time(13, 45), time(14, 30), time(15, 15)]
    assert slots[-1].local_end().time() == time(16, 0)


def test_a_tuesday_morning_has_eight_half_hour_slots():
    slots = slots_for_day(CAL, FORUM, date(2026, 3, 31), 30)

    assert len(slots) == 8
    assert slots[0].starts_at == utc(2026, 3, 31, 8, 0)
    assert slots[-1].ends_at == utc(2026, 3, 31, 12, 0)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 6),  # Easter Monday
        date(2026, 4, 4),  # Saturday
        date(2026, 12, 28),  # substitute Boxing Day
    ],
)
def test_there_are_no_slots_on_a_day_without_a_sitting(day):
    assert slots_for_day(CAL, FORUM, day, 30) == []


def test_there_are_no_slots_on_a_closure_day():
    cal = WorkingCalendar(closures=frozenset({date(2026, 3, 31)}))

    assert slots_for_day(cal, FORUM, date(2026, 3, 31), 30) == []


def test_a_slot_has_a_readable_london_label():
    slot = slots_for_day(CAL, FORUM, date(2026, 3, 30), 30)[0]

    assert slot.label() == "Monday 30 March 2026, 13:00–13:30"


def test_a_slot_is_stored_in_utc_whatever_zone_it_was_given_in():
    slot = Slot(london(2026, 3, 30, 13, 0), london(2026, 3, 30, 13, 30))

    assert slot.starts_at.tzinfo is UTC
    assert slot.starts_at == utc(2026, 3, 30, 12, 0)


# --- booking --------------------------------------------------------------------------------

MONDAY_12_45 = london(2026, 3, 30, 12, 45)
TWO_HOURS = timedelta(hours=2)


def test_the_first_bookable_slot_starts_at_or_after_the_lead_time():
    slots = bookable_slots(CAL, FORUM, 30, MONDAY_12_45, TWO_HOURS, 1, set())

    # 12:45 + 2 hours = 14:45, so 14:30 is too soon and 15:00 is the first.
    assert [s.local_start().time() for s in slots] == [time(15, 0), time(15, 30), time(16, 0)]


def test_a_slot_starting_exactly_at_the_lead_time_is_bookable():
    slots = bookable_slots(CAL, FORUM, 30, london(2026, 3, 30, 13, 0), TWO_HOURS, 1, set())

    assert slots[0].local_start().time() == time(15, 0)


def test_taken_slots_are_not_offered():
    taken = {utc(2026, 3, 30, 14, 30)}  # 15:30 London

    slots = bookable_slots(CAL, FORUM, 30, MONDAY_12_45, TWO_HOURS, 1, taken)

    assert [s.local_start().time() for s in slots] == [time(15, 0), time(16, 0)]


def test_taken_slots_match_whatever_zone_they_are_given_in():
    taken = {london(2026, 3, 30, 15, 30)}

    slots = bookable_slots(CAL, FORUM, 30, MONDAY_12_45, TWO_HOURS, 1, taken)

    assert [s.local_start().time() for s in slots] == [time(15, 0), time(16, 0)]


def test_booking_rolls_over_to_the_next_sitting_day_after_the_last_slot():
    slots = bookable_slots(CAL, FORUM, 30, london(2026, 3, 30, 16, 0), TWO_HOURS, 1, set())

    assert len(slots) == 8
    assert slots[0].label() == "Tuesday 31 March 2026, 09:00–09:30"


def test_booking_rolls_over_good_friday_and_easter_monday():
    slots = bookable_slots(CAL, FORUM, 30, london(2026, 4, 2, 12, 0), TWO_HOURS, 2, set())

    assert {s.local_start().date() for s in slots} == {date(2026, 4, 7), date(2026, 4, 8)}
    assert len(slots) == 16


def test_the_window_counts_todays_remaining_slots_as_a_day():
    slots = bookable_slots(CAL, FORUM, 30, MONDAY_12_45, TWO_HOURS, 2, set())

    assert len(slots) == 3 + 8
    assert slots[-1].label() == "Tuesday 31 March 2026, 12:30–13:00"


def test_a_fully_booked_day_still_uses_up_a_day_of_the_window():
    tuesday = slots_for_day(CAL, FORUM, date(2026, 3, 31), 30)
    taken = {s.starts_at for s in tuesday}

    assert bookable_slots(CAL, FORUM, 30, london(2026, 3, 30, 17, 0), TWO_HOURS, 1, taken) == []


@pytest.mark.parametrize(
    ("sittings", "slot_minutes", "lead", "message"),
    [
        ([], 30, TWO_HOURS, "Monday to Friday"),
        ([Sitting(5, time(9, 0), time(13, 0))], 30, TWO_HOURS, "Monday to Friday"),
        (FORUM, 0, TWO_HOURS, "positive"),
        (FORUM, 300, TWO_HOURS, "long enough"),
        (FORUM, 30, -TWO_HOURS, "negative"),
    ],
)
def test_bookable_slots_refuses_settings_that_could_never_give_a_slot(sittings, slot_minutes, lead, message):
    with pytest.raises(ValueError, match=message):
        bookable_slots(CAL, sittings, slot_minutes, MONDAY_12_45, lead, 1, set())


@pytest.mark.parametrize(
    ("weekday", "start", "end"),
    [(7, time(9, 0), time(13, 0)), (0, time(13, 0), time(13, 0)), (0, time(16, 30), time(13, 0))],
)
def test_a_sitting_must_be_on_a_weekday_and_start_before_it_ends(weekday, start, end):
    with pytest.raises(ValueError):
        Sitting(weekday, start, end)


# --- SEND Quality Assurance Panel -----------------------------------------------------------

SECOND_WEDNESDAYS_2026_2027 = [
    date(2026, 1, 14), date(2026, 2, 11), date(2026, 3, 11), date(2026, 4, 8),
    date(2026, 5, 13), date(2026, 6, 10), date(2026, 7, 8), date(2026, 8, 12),
    date(2026, 9, 9), date(2026, 10, 14), date(2026, 11, 11), date(2026, 12, 9),
    date(2027, 1, 13), date(2027, 2, 10), date(2027, 3, 10), date(2027, 4, 14),
    date(2027, 5, 12), date(2027, 6, 9), date(2027, 7, 14), date(2027, 8, 11),
    date(2027, 9, 8), date(2027, 10, 13), date(2027, 11, 10), date(2027, 12, 8),
]  # fmt: skip


def test_the_panel_sits_on_the_second_wednesday_of_each_month_alternating_offices():
    sittings = panels(CAL, date(2026, 1, 1), 24)

    assert [p.day for p in sittings] == SECOND_WEDNESDAYS_2026_2027
    assert [p.location for p in sittings] == ["North", "South"] * 12
    assert all(p.moved_from is None for p in sittings)


def test_the_office_for_a_month_does_not_depend_on_when_you_ask():
    from_march = panels(CAL, date(2026, 3, 1), 2)

    assert [(p.day, p.location) for p in from_march] == [(date(2026, 3, 11), "North"), (date(2026, 4, 8), "South")]


def test_a_panel_on_the_after_date_is_included():
    assert panels(CAL, date(2026, 4, 8), 1)[0].day == date(2026, 4, 8)


@pytest.mark.parametrize(
    ("panel_day", "papers_due"),
    [
        (date(2026, 1, 14), date(2025, 12, 30)),  # New Year's Day in the window
        (date(2026, 4, 8), date(2026, 3, 23)),  # Good Friday and Easter Monday
        (date(2026, 5, 13), date(2026, 4, 28)),  # early May bank holiday
        (date(2026, 9, 9), date(2026, 8, 25)),  # summer bank holiday
        (date(2026, 12, 9), date(2026, 11, 25)),  # none (St Andrew's Day is Scotland only)
        (date(2027, 1, 13), date(2026, 12, 29)),  # New Year's Day 2027
    ],
)
def test_papers_are_due_ten_working_days_before_the_panel(panel_day, papers_due):
    panel = panels(CAL, panel_day, 1)[0]

    assert panel.day == panel_day
    assert panel.papers_due == papers_due
    assert CAL.working_days_between(panel.papers_due, panel.day) == 10


@pytest.mark.parametrize(
    ("panel_day", "starts_at"),
    [
        (date(2026, 1, 14), utc(2026, 1, 14, 10, 0)),  # GMT
        (date(2026, 4, 8), utc(2026, 4, 8, 9, 0)),  # BST
    ],
)
def test_the_panel_starts_at_ten_london_time(panel_day, starts_at):
    assert panels(CAL, panel_day, 1)[0].starts_at == starts_at


def test_a_panel_on_a_closure_day_moves_to_the_next_working_day_and_keeps_its_office():
    cal = WorkingCalendar(closures=frozenset({date(2026, 6, 10)}))

    june = panels(cal, date(2026, 6, 1), 1)[0]

    assert june.day == date(2026, 6, 11)
    assert june.moved_from == date(2026, 6, 10)
    assert june.location == "South"
    assert june.starts_at == utc(2026, 6, 11, 9, 0)
    # Ten working days before the new day, skipping the closure and the spring bank holiday.
    assert june.papers_due == date(2026, 5, 27)


@pytest.mark.parametrize(
    ("submitted_on", "panel_day"),
    [
        (date(2026, 3, 21), date(2026, 4, 8)),  # a Saturday before the cut-off
        (date(2026, 3, 23), date(2026, 4, 8)),  # on the cut-off day: makes that panel
        (date(2026, 3, 24), date(2026, 5, 13)),  # the day after: the following panel
        (date(2026, 4, 8), date(2026, 5, 13)),  # on the panel day itself
        (date(2026, 12, 29), date(2027, 1, 13)),  # cut-off straight after Christmas
        (date(2026, 12, 30), date(2027, 2, 10)),
    ],
)
def test_a_submission_goes_to_the_first_panel_whose_cut_off_it_makes(submitted_on, panel_day):
    assert panel_for(submitted_on).day == panel_day


def test_a_schedule_that_has_ended_has_no_panel_for_a_submission():
    with pytest.raises(LookupError, match="no panel"):
        panel_for_submission(
            CAL, "FREQ=MONTHLY;BYDAY=2WE;COUNT=3", PANEL_START, time(10, 0), OFFICES, 10, date(2026, 6, 1)
        )


def test_a_finite_schedule_gives_what_it_has():
    sittings = panel_sittings(
        CAL, "FREQ=MONTHLY;BYDAY=2WE;COUNT=3", PANEL_START, time(10, 0), OFFICES, 10, date(2026, 1, 1), 5
    )

    assert [p.day for p in sittings] == SECOND_WEDNESDAYS_2026_2027[:3]


@pytest.mark.parametrize(
    ("locations", "papers_due", "message"),
    [([], 10, "location"), (OFFICES, -1, "negative")],
)
def test_panel_settings_are_checked(locations, papers_due, message):
    with pytest.raises(ValueError, match=message):
        panel_sittings(CAL, SECOND_WEDNESDAY, PANEL_START, time(10, 0), locations, papers_due, PANEL_START, 1)


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
