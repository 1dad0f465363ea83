"""Working days, Enhanced Peer Forum sittings and slots, and SEND Quality Assurance Panel dates.

Pure: no Slack, no database, no clock. Functions that need the time take `now` (or `at`); every
datetime going in must be timezone-aware (a naive one raises ValueError) and every datetime coming
out is aware and in UTC. Wall-clock times (a sitting's 13:00, a reminder's 09:00) are `time`
values in the calendar's zone, Europe/London by default; they are put on a date in that zone and
only then converted to UTC, so 13:00 stays 13:00 in London on both sides of a clock change.

A working day is a weekday that is neither an England and Wales bank holiday (from the
`holidays` library) nor one of the council's closure days.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.rrule import rrulestr

__all__ = [
    "LONDON",
    "PanelSitting",
    "Sitting",
    "Slot",
    "WorkingCalendar",
    "bookable_slots",
    "panel_for_submission",
    "panel_sittings",
    "sitting_days",
    "slots_for_day",
]

LONDON = ZoneInfo("Europe/London")

# Our own names, because strftime's %A and %B follow the process locale.
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def long_date(day: date) -> str:
    """E.g. "Monday 30 November 2026", in English whatever the server's locale."""
    return f"{_WEEKDAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def month_name(month: int) -> str:
    return _MONTH_NAMES[month - 1]


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share one list of bank holidays; the library's "ENG" and "WLS" give the
    # same days (checked 1990-2060). Scotland ("SCT": 2 January, St Andrew's Day) and Northern
    # Ireland ("NIR") differ and must not be used here.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, in which zone wall-clock times are read.

    `closures` are the council's own closure days (e.g. the days between Christmas and New Year);
    bank holidays need not be listed.
    """

    tz: ZoneInfo = LONDON
    closures: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Accept any iterable of dates (a list from the policy file) but store it hashable.
        object.__setattr__(self, "closures", frozenset(self.closures))

    def is_bank_holiday(self, day: date) -> bool:
        """True on an England and Wales bank holiday, including substitute days."""
        return day in _bank_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        """True on Monday to Friday unless it is a bank holiday or a closure day."""
        return day.weekday() < 5 and not self.is_bank_holiday(day) and day not in self.closures

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it when n is negative).

        `day` itself is never counted, so it need not be a working day. n == 0 returns `day`
        unchanged.
        """
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_before(self, day: date, n: int) -> date:
        """The working day n working days before `day`: papers for a panel on `day` are due then."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        return self.add_working_days(day, -n)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def add_days(self, day: date, n: int, working: bool) -> date:
        """`day` plus n working days when `working`, else plus n calendar days."""
        if working:
            return self.add_working_days(day, n)
        return day + timedelta(days=n)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall after `start` up to and including `end`.

        Negative when `end` is before `start`. It is the inverse of `add_working_days`:
        `add_working_days(start, working_days_between(start, end)) == end` for a working day `end`.
        """
        if end < start:
            return -self.working_days_between(end, start)
        # Weekdays by arithmetic, then the bank holidays and closures that fall on them: the forum's
        # chair rota asks this for every click, counting from a start years back.
        weeks, extra = divmod((end - start).days, 7)
        weekdays = weeks * 5 + sum(1 for k in range(1, extra + 1) if (start + timedelta(days=k)).weekday() < 5)
        off = {day for year in range(start.year, end.year + 1) for day in _bank_holidays(year)} | self.closures
        return weekdays - sum(1 for day in off if start < day <= end and day.weekday() < 5)

    def local_date(self, at: datetime) -> date:
        """The calendar date in this zone at the instant `at` (what "today" means to users)."""
        _require_aware(at, "at")
        return at.astimezone(self.tz).date()

    def instant(self, day: date, wall_time: time) -> datetime:
        """The UTC instant at which the local clock shows `wall_time` on `day`."""
        return datetime.combine(day, wall_time, tzinfo=self.tz).astimezone(UTC)

    def next_working_moment(self, at: datetime, start: time, end: time) -> datetime:
        """The first instant at or after `at` inside working hours, in UTC.

        Working hours are [start, end) local time on a working day: a reminder due on Saturday
        goes at `start` on the next working day, one due at or after `end` goes at `start` on the
        next working day, and one due inside the hours goes at `at` itself.
        """
        _require_aware(at, "at")
        if start >= end:
            raise ValueError(f"working hours must start before they end, got {start}-{end}")
        local = at.astimezone(self.tz)
        day, clock = local.date(), local.time()
        if self.is_working_day(day) and clock < end:
            return at.astimezone(UTC) if clock >= start else self.instant(day, start)
        return self.instant(self.next_working_day(day), start)


@dataclass(frozen=True)
class Sitting:
    """A forum's sitting on one weekday (0 = Monday), between wall-clock times."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.start >= self.end:
            raise ValueError(f"a sitting must start before it ends, got {self.start}-{self.end}")


@dataclass(frozen=True)
class Slot:
    """One bookable slot; both ends are aware datetimes, stored in UTC."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.starts_at, "starts_at")
        _require_aware(self.ends_at, "ends_at")
        if self.ends_at <= self.starts_at:
            raise ValueError(f"a slot must end after it starts, got {self.starts_at}-{self.ends_at}")
        object.__setattr__(self, "starts_at", self.starts_at.astimezone(UTC))
        object.__setattr__(self, "ends_at", self.ends_at.astimezone(UTC))

    def local_start(self, tz: ZoneInfo = LONDON) -> datetime:
        return self.starts_at.astimezone(tz)

    def local_end(self, tz: ZoneInfo = LONDON) -> datetime:
        return self.ends_at.astimezone(tz)

    def label(self, tz: ZoneInfo = LONDON) -> str:
        """E.g. "Monday 30 March 2026, 13:00–13:30" in local time."""
        start, end = self.local_start(tz), self.local_end(tz)
        return (
            f"{_WEEKDAY_NAMES[start.weekday()]} {start.day} {_MONTH_NAMES[start.month - 1]} "
            f"{start.year}, {start:%H:%M}–{end:%H:%M}"
        )


def _require_sittings(sittings: Iterable[Sitting], slot_minutes: int | None = None) -> list[Sitting]:
    """The sittings as a list, checked so that searching forward for sitting days must end."""
    sittings = list(sittings)
    # Sittings only happen on working days, so one on a Saturday or Sunday never sits.
    weekday_sittings = [s for s in sittings if s.weekday < 5]
    if not weekday_sittings:
        raise ValueError("at least one sitting on a day from Monday to Friday is needed")
    if slot_minutes is not None:
        if slot_minutes <= 0:
            raise ValueError(f"slot_minutes must be positive, got {slot_minutes}")
        longest = max(_minutes(s.end) - _minutes(s.start) for s in weekday_sittings)
        if slot_minutes > longest:
            raise ValueError(f"no weekday sitting is long enough for a {slot_minutes}-minute slot")
    return sittings


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def sitting_days(cal: WorkingCalendar, sittings: Iterable[Sitting], after: date, count: int) -> list[date]:
    """The first `count` working days on or after `after` on whose weekday there is a sitting."""
    weekdays = {s.weekday for s in _require_sittings(sittings)}
    days: list[date] = []
    day = after
    while len(days) < count:
        if day.weekday() in weekdays and cal.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def slots_for_day(cal: WorkingCalendar, sittings: Iterable[Sitting], day: date, slot_minutes: int) -> list[Slot]:
    """The slots on `day`, earliest first; none on a non-working day or a day without a sitting.

    Slots run back to back from each sitting's start; one that would overrun the sitting's end is
    dropped rather than shortened.
    """
    if slot_minutes <= 0:
        raise ValueError(f"slot_minutes must be positive, got {slot_minutes}")
    if not cal.is_working_day(day):
        return []
    step = timedelta(minutes=slot_minutes)
    slots: list[Slot] = []
    for sitting in sorted((s for s in sittings if s.weekday == day.weekday()), key=lambda s: s.start):
        # Step through naive wall-clock times and only then put each in the zone, so that a slot
        # is 13:30 local on every date whatever the UTC offset.
        start = datetime.combine(day, sitting.start)
        end_of_sitting = datetime.combine(day, sitting.end)
        while start + step <= end_of_sitting:
            slots.append(Slot(cal.instant(day, start.time()), cal.instant(day, (start + step).time())))
            start += step
    return slots


def bookable_slots(
    cal: WorkingCalendar,
    sittings: Iterable[Sitting],
    slot_minutes: int,
    now: datetime,
    lead: timedelta,
    days: int,
    taken: Collection[datetime],
) -> list[Slot]:
    """The free slots on the next `days` sitting days, earliest first.

    A slot is offered if it starts at or after `now + lead` and its start is not in `taken`.
    The window counts sitting days that still have a slot starting at or after `now + lead`
    (so after today's last slot it rolls over to the next sitting day), whether or not those
    slots are already taken: a fully booked day uses up one of the `days` and shows as full.
    """
    _require_aware(now, "now")
    for start in taken:
        _require_aware(start, "a taken slot start")
    if lead < timedelta(0):
        raise ValueError(f"lead must not be negative, got {lead}")
    sittings = _require_sittings(sittings, slot_minutes)

    earliest = now + lead
    taken_utc = {start.astimezone(UTC) for start in taken}
    free: list[Slot] = []
    days_seen = 0
    day = cal.local_date(earliest)
    while days_seen < days:
        open_slots = [s for s in slots_for_day(cal, sittings, day, slot_minutes) if s.starts_at >= earliest]
        if open_slots:
            days_seen += 1
            free.extend(s for s in open_slots if s.starts_at not in taken_utc)
        day += timedelta(days=1)
    return free


@dataclass(frozen=True)
class PanelSitting:
    """One sitting of a scheduled panel.

    `moved_from` is the date the schedule gave when that was not a working day and the panel
    moved to the next working day; otherwise None.
    """

    day: date
    starts_at: datetime
    location: str
    papers_due: date
    moved_from: date | None = None

    def __post_init__(self) -> None:
        _require_aware(self.starts_at, "starts_at")


def _panel_occurrences(
    cal: WorkingCalendar,
    rrule: str,
    dtstart: date,
    start_time: time,
    locations: list[str],
    papers_due_working_days: int,
) -> Iterator[PanelSitting]:
    if not locations:
        raise ValueError("at least one panel location is needed")
    if papers_due_working_days < 0:
        raise ValueError(f"papers_due_working_days must not be negative, got {papers_due_working_days}")
    rule = rrulestr(rrule, dtstart=datetime.combine(dtstart, time()))
    for index, occurrence in enumerate(rule):
        scheduled = occurrence.date()
        # A panel that would fall on a bank holiday or closure day sits on the next working day
        # rather than being skipped: a month without a panel would hold up every case in it.
        day = scheduled if cal.is_working_day(scheduled) else cal.next_working_day(scheduled)
        yield PanelSitting(
            day=day,
            starts_at=cal.instant(day, start_time),
            # Counted from dtstart, not from `after`, so a given month's venue never changes
            # with the date someone happens to ask.
            location=locations[index % len(locations)],
            papers_due=cal.working_days_before(day, papers_due_working_days),
            moved_from=None if day == scheduled else scheduled,
        )


def panel_sittings(
    cal: WorkingCalendar,
    rrule: str,
    dtstart: date,
    start_time: time,
    locations: list[str],
    papers_due_working_days: int,
    after: date,
    count: int,
) -> list[PanelSitting]:
    """The first `count` panel sittings on or after `after`.

    `rrule` is an RFC 5545 recurrence rule body read by dateutil, e.g. "FREQ=MONTHLY;BYDAY=2WE"
    for the second Wednesday of each month, starting from `dtstart`. An occurrence on a bank
    holiday, closure day or weekend moves to the next working day (see `moved_from`). Locations
    rotate by the occurrence's position counted from `dtstart`. Papers are due
    `papers_due_working_days` working days before the (possibly moved) panel day. A rule with
    COUNT or UNTIL may yield fewer than `count` sittings.
    """
    occurrences = _panel_occurrences(cal, rrule, dtstart, start_time, locations, papers_due_working_days)
    return list(itertools.islice((p for p in occurrences if p.day >= after), count))


def panel_for_submission(
    cal: WorkingCalendar,
    rrule: str,
    dtstart: date,
    start_time: time,
    locations: list[str],
    papers_due_working_days: int,
    submitted_on: date,
) -> PanelSitting:
    """The panel a case submitted on `submitted_on` goes to: the first whose papers are due on or
    after that day. A case submitted on the cut-off day makes that panel; one submitted later
    waits for the next. Raises LookupError if the schedule has ended.
    """
    occurrences = _panel_occurrences(cal, rrule, dtstart, start_time, locations, papers_due_working_days)
    for panel in occurrences:
        if panel.papers_due >= submitted_on:
            return panel
    raise LookupError(f"no panel is scheduled with papers due on or after {submitted_on}")
