"""Working days, working hours and slots; a body's sittings are in `bot.domain.schedules`.

Pure: no Slack, no database, no clock. Functions that need the time take `now` (or `at`); every
datetime going in must be timezone-aware (a naive one raises ValueError) and every datetime coming
out is aware and in UTC. Wall-clock times (a sitting's 13:00, a reminder's 09:00) are `time`
values in the calendar's zone, Europe/London by default; they are put on a date in that zone and
only then converted to UTC, so 13:00 stays 13:00 in London on both sides of a clock change.

A working day is a weekday that is neither an England and Wales bank holiday (from the
`holidays` library) nor one of the council's closure days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.domain.words import long_date, month_name

__all__ = [
    "LONDON",
    "Slot",
    "WorkingCalendar",
    "long_date",
    "month_name",
]

LONDON = ZoneInfo("Europe/London")



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
            f"{long_date(start.date())}, {start:%H:%M}–{end:%H:%M}"
        )
