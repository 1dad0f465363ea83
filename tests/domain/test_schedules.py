"""When a body sits: sittings from RRULEs, closures, slots across the clock changes, cut-offs of every
kind, chair rotas per sitting or per working day, and which sitting a case's papers make."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkingCalendar
from bot.domain.schedules import (
    bookable_slots,
    chair_role,
    cutoff_words,
    next_sittings,
    sitting_for_papers,
    sittings_on,
    slots_on,
)
from bot.policy import Body

LONDON = ZoneInfo("Europe/London")
CAL = WorkingCalendar(tz=LONDON)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def body(kind: str = "meeting", **fields: object) -> Body:
    data: dict[str, object] = {
        "name": "Enhanced Peer Forum", "kind": kind, "channel": "C0FORUM001",
        "schedule": {"first": date(2023, 11, 20), "sittings": [
            {"rrule": "FREQ=WEEKLY;BYDAY=MO", "hours": "13:00-16:30"},
            {"rrule": "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR", "hours": "09:00-13:00"},
        ]},
        "chair": {"rota": ["first_chair", "second_chair", "third_chair"], "turns": "working_day"},
        "booking_lead_hours": 2,
    }
    data.update(fields)
    return Body.model_validate(data)


FORUM = body()


def panel(cutoff: dict[str, object], **schedule: object) -> Body:
    return body("panel", name="SEND Quality Assurance Panel", cutoff=cutoff, schedule={
        "first": date(2026, 1, 14), "sittings": [{"rrule": "FREQ=MONTHLY;BYDAY=2WE", "hours": "10:00-13:00"}],
        "locations": ["North", "South"], "on_closed_day": "next_working_day", **schedule},
        chair={"rota": ["send_operations_manager"], "deputy": "send_service_manager"})


SEND = panel({"working_days_before": 10})


# --- meetings: sittings and slots ---------------------------------------------------------------------


def test_sittings_skip_weekends_and_bank_holidays():
    assert [s.day for s in next_sittings(CAL, FORUM, after=date(2026, 4, 2), count=3)] == [
        date(2026, 4, 2),  # Thursday, counted because `after` is inclusive
        date(2026, 4, 7),  # Good Friday and Easter Monday skipped
        date(2026, 4, 8),
    ]


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
    slots = slots_on(CAL, FORUM, monday)
    assert slots[0].starts_at == first_start_utc
    assert slots[0].local_start().time() == time(13, 0)
    assert slots[-1].local_end().time() == time(16, 30)
    assert len(slots) == 7


def test_a_partial_last_slot_is_dropped():
    slots = slots_on(CAL, body(slot_minutes=45), date(2026, 3, 30))
    assert [s.local_start().time() for s in slots] == [time(13, 0), time(13, 45), time(14, 30), time(15, 15)]


@pytest.mark.parametrize("day", [date(2026, 4, 6), date(2026, 4, 4), date(2026, 12, 28)],
                         ids=["Easter Monday", "a Saturday", "substitute Boxing Day"])
def test_there_are_no_slots_on_a_day_without_a_sitting(day):
    assert slots_on(CAL, FORUM, day) == []


def test_a_council_closure_and_a_bodys_own_closure_both_stop_a_sitting():
    council = WorkingCalendar(closures=frozenset({date(2026, 3, 31)}))
    assert slots_on(council, FORUM, date(2026, 3, 31)) == []
    christmas_week = body(schedule={**FORUM.schedule.model_dump(), "closures": [
        {"first": date(2026, 12, 21), "last": date(2026, 12, 24)}, date(2027, 1, 4)]})
    assert [s.day for s in next_sittings(CAL, christmas_week, after=date(2026, 12, 18), count=3)] == [
        date(2026, 12, 18), date(2026, 12, 29), date(2026, 12, 30)]
    assert slots_on(CAL, christmas_week, date(2027, 1, 4)) == []
    assert len(slots_on(CAL, FORUM, date(2027, 1, 4))) == 7


def test_an_exception_removes_one_date_the_rule_gives():
    no_twentieth = body(schedule={**FORUM.schedule.model_dump(), "exceptions": [date(2026, 5, 20)]})
    assert sittings_on(CAL, no_twentieth, date(2026, 5, 20)) == []
    assert len(sittings_on(CAL, no_twentieth, date(2026, 5, 21))) == 1


def test_a_forum_that_sits_twice_a_week_alternates_its_chairs_per_sitting():
    twice = body(schedule={"first": date(2026, 1, 6), "sittings": [
        {"rrule": "FREQ=WEEKLY;BYDAY=TU,TH", "hours": "14:00-16:00"}]},
        chair={"rota": ["north_chair", "south_chair"], "turns": "sitting", "deputy": "deputy_chair"})
    sittings = next_sittings(CAL, twice, after=date(2026, 3, 30), count=4)
    assert [s.day for s in sittings] == [date(2026, 3, 31), date(2026, 4, 2), date(2026, 4, 7), date(2026, 4, 9)]
    # Easter Monday is no sitting day for this body, so the turn is not skipped by it.
    assert [chair_role(CAL, twice, s) for s in sittings] == ["north_chair", "south_chair"] * 2


def test_a_rota_that_turns_per_working_day_counts_bank_holidays_out():
    tuesday, thursday, tuesday_after_easter = (sittings_on(CAL, FORUM, day)[0] for day in (
        date(2026, 3, 31), date(2026, 4, 2), date(2026, 4, 7)))
    roles = [chair_role(CAL, FORUM, s) for s in (tuesday, thursday, tuesday_after_easter)]
    assert roles[1] == FORUM.chair.rota[(FORUM.chair.rota.index(roles[0]) + 2) % 3]
    assert roles[2] == FORUM.chair.rota[(FORUM.chair.rota.index(roles[1]) + 1) % 3]  # Good Friday, Easter Monday


MONDAY_12_45 = london(2026, 3, 30, 12, 45)


def test_the_first_bookable_slot_starts_at_or_after_the_lead_time():
    slots = bookable_slots(CAL, FORUM, MONDAY_12_45, 1)
    # 12:45 + 2 hours = 14:45, so 14:30 is too soon and 15:00 is the first.
    assert [s.local_start().time() for s in slots] == [time(15, 0), time(15, 30), time(16, 0)]


def test_booking_rolls_over_good_friday_and_easter_monday():
    slots = bookable_slots(CAL, FORUM, london(2026, 4, 2, 12, 0), 2)
    assert {s.local_start().date() for s in slots} == {date(2026, 4, 7), date(2026, 4, 8)}
    assert len(slots) == 16


def test_the_window_counts_todays_remaining_slots_as_a_day():
    slots = bookable_slots(CAL, FORUM, MONDAY_12_45, 2)
    assert len(slots) == 3 + 8
    assert slots[-1].label() == "Tuesday 31 March 2026, 12:30–13:00"


# --- panels: dates, locations, cut-offs -------------------------------------------------------------

SECOND_WEDNESDAYS_2026 = [
    date(2026, 1, 14), date(2026, 2, 11), date(2026, 3, 11), date(2026, 4, 8),
    date(2026, 5, 13), date(2026, 6, 10), date(2026, 7, 8), date(2026, 8, 12),
    date(2026, 9, 9), date(2026, 10, 14), date(2026, 11, 11), date(2026, 12, 9),
]  # fmt: skip


def test_the_panel_sits_on_the_second_wednesday_of_each_month_alternating_offices():
    sittings = next_sittings(CAL, SEND, after=date(2026, 1, 1), count=12)
    assert [s.day for s in sittings] == SECOND_WEDNESDAYS_2026
    assert [s.location for s in sittings] == ["North", "South"] * 6
    from_march = next_sittings(CAL, SEND, after=date(2026, 3, 1), count=2)
    assert [(s.day, s.location) for s in from_march] == [(date(2026, 3, 11), "North"), (date(2026, 4, 8), "South")]


@pytest.mark.parametrize(
    ("panel_day", "papers_due"),
    [
        (date(2026, 1, 14), date(2025, 12, 30)),  # New Year's Day in the window
        (date(2026, 4, 8), date(2026, 3, 23)),  # Good Friday and Easter Monday
        (date(2026, 5, 13), date(2026, 4, 28)),  # early May bank holiday
        (date(2026, 12, 9), date(2026, 11, 25)),  # none (St Andrew's Day is Scotland only)
    ],
)
def test_papers_are_due_ten_working_days_before_the_panel(panel_day, papers_due):
    [sitting] = next_sittings(CAL, SEND, after=panel_day, count=1)
    assert (sitting.day, sitting.papers_due) == (panel_day, papers_due)
    assert CAL.working_days_between(sitting.papers_due, sitting.day) == 10


def test_a_panel_starts_at_ten_london_time_in_winter_and_summer():
    assert next_sittings(CAL, SEND, after=date(2026, 1, 14), count=1)[0].starts_at == utc(2026, 1, 14, 10, 0)
    assert next_sittings(CAL, SEND, after=date(2026, 4, 8), count=1)[0].starts_at == utc(2026, 4, 8, 9, 0)


def test_a_panel_on_a_closure_day_moves_to_the_next_working_day_and_keeps_its_office():
    cal = WorkingCalendar(closures=frozenset({date(2026, 6, 10)}))
    june = next_sittings(cal, SEND, after=date(2026, 6, 1), count=1)[0]
    assert (june.day, june.moved_from, june.location) == (date(2026, 6, 11), date(2026, 6, 10), "South")
    assert june.papers_due == date(2026, 5, 27)  # skipping the closure and the spring bank holiday


@pytest.mark.parametrize(
    ("submitted_at", "panel_day", "missed"),
    [
        (london(2026, 3, 21, 10, 0), date(2026, 4, 8), None),  # a Saturday before the cut-off
        (london(2026, 3, 23, 23, 0), date(2026, 4, 8), None),  # late on the cut-off day: makes that panel
        (london(2026, 3, 24, 0, 1), date(2026, 5, 13), date(2026, 4, 8)),  # the day after: the next one
        (london(2026, 12, 30, 9, 0), date(2027, 2, 10), date(2027, 1, 13)),
    ],
)
def test_a_submission_goes_to_the_first_panel_whose_cut_off_it_makes(submitted_at, panel_day, missed):
    sitting, late_for = sitting_for_papers(CAL, SEND, submitted_at)
    assert (sitting.day, late_for.day if late_for else None) == (panel_day, missed)


WEEKLY = panel({"weekday_before": "thursday", "at": "17:00"},
               sittings=[{"rrule": "FREQ=WEEKLY;BYDAY=WE", "hours": "10:00-12:00"}], locations=[])


def test_a_weekly_panel_with_papers_due_by_five_on_the_thursday_of_the_week_before():
    [sitting] = next_sittings(CAL, WEEKLY, after=date(2026, 12, 2), count=1)
    assert (sitting.day, sitting.papers_due, sitting.papers_due_at) == (
        date(2026, 12, 2), date(2026, 11, 26), utc(2026, 11, 26, 17, 0))
    assert cutoff_words(sitting, CAL, WEEKLY.cutoff) == "papers due by 17:00 on Thursday 26 November 2026"
    on_time, _ = sitting_for_papers(CAL, WEEKLY, london(2026, 11, 26, 16, 59))
    late, missed = sitting_for_papers(CAL, WEEKLY, london(2026, 11, 26, 17, 1))
    assert (on_time.day, late.day, missed.day) == (date(2026, 12, 2), date(2026, 12, 9), date(2026, 12, 2))


def test_a_cut_off_in_calendar_days_at_a_time_of_day_follows_the_london_clock():
    three_days = panel({"days_before": 3, "at": "12:00"},
                       sittings=[{"rrule": "FREQ=WEEKLY;BYDAY=WE", "hours": "10:00-12:00"}], locations=[])
    [summer] = next_sittings(CAL, three_days, after=date(2026, 4, 1), count=1)
    assert (summer.papers_due, summer.papers_due_at) == (date(2026, 3, 29), utc(2026, 3, 29, 11, 0))


def test_a_schedule_that_has_ended_has_no_sitting_for_a_submission():
    ended = panel({"working_days_before": 10}, sittings=[{"rrule": "FREQ=MONTHLY;BYDAY=2WE;COUNT=3",
                                                           "hours": "10:00-13:00"}])
    assert [s.day for s in next_sittings(CAL, ended, after=date(2026, 1, 1), count=5)] == SECOND_WEDNESDAYS_2026[:3]
    with pytest.raises(LookupError, match="no sitting"):
        sitting_for_papers(CAL, ended, london(2026, 6, 1, 9, 0))


def test_sittings_far_ahead_are_found_past_the_cached_horizon():
    far = next_sittings(CAL, SEND, after=date(2026, 1, 1) + timedelta(days=365 * 3), count=2)
    assert [s.day.month for s in far] == [1, 2] and far[0].day.year == 2029
