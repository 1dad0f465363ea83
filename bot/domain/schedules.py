"""When a deciding body sits, who chairs each sitting, its slots and its papers cut-off.

Pure: no Slack, no database, no clock. A body's schedule is a set of RFC 5545 recurrence rules
counted from its `first` date (read by dateutil), less its exceptions. A sitting that falls on a
day that is not a working day for that body (a weekend, a bank holiday, a council closure or one of
the body's own closures) is skipped, or moves to the next such working day when the policy says
`on_closed_day = "next_working_day"`. Locations alternate, and a rota that turns per sitting turns,
by the sitting's place in the schedule counted from `first`, so a sitting's venue and chair never
depend on the day somebody asks.

Every datetime coming out is aware and in UTC; wall-clock times are read in the calendar's zone.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from dateutil.rrule import rruleset, rrulestr

from bot.domain.calendar import Slot, WorkingCalendar, long_date

if TYPE_CHECKING:
    from bot.policy import Body, Cutoff, Policy, Schedule

__all__ = [
    "BodySitting",
    "bookable_slots",
    "chair_role",
    "cutoff_words",
    "describe_bodies",
    "next_sittings",
    "sitting_for_papers",
    "sittings_on",
    "slots_on",
]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_END_OF_DAY = time(23, 59)


@dataclass(frozen=True)
class BodySitting:
    """One sitting of a meeting or panel. `number` is its place in the schedule, from 0 at `first`."""

    day: date
    starts_at: datetime
    ends_at: datetime
    number: int
    location: str | None = None
    papers_due: date | None = None  # the cut-off's date, when the body has one
    papers_due_at: datetime | None = None  # the cut-off as a moment (UTC)
    moved_from: date | None = None


def _open_on(cal: WorkingCalendar, closed: frozenset[date], day: date) -> bool:
    return cal.is_working_day(day) and day not in closed


def _rules(schedule: Schedule) -> list[tuple[rruleset, time, time]]:
    start = datetime.combine(schedule.first, time())
    found = []
    for sitting in schedule.sittings:
        rules = rrulestr(sitting.rrule, dtstart=start, forceset=True)
        for day in schedule.exceptions:
            rules.exdate(datetime.combine(day, time()))
        found.append((rules, sitting.hours.start, sitting.hours.end))
    return found


def _occurrences(cal: WorkingCalendar, schedule: Schedule) -> Iterator[tuple[date, time, time, date | None]]:
    """(day, start, end, moved_from) of every sitting from `first`, in order; endless unless the rules end."""
    closed = schedule.closed_days()
    streams = [_dated(rules, begin, end) for rules, begin, end in _rules(schedule)]
    merged = _merge(streams)
    for day, begin, end in merged:
        if _open_on(cal, closed, day):
            yield day, begin, end, None
        elif schedule.on_closed_day == "next_working_day":
            moved = day + timedelta(days=1)
            while not _open_on(cal, closed, moved):
                moved += timedelta(days=1)
            yield moved, begin, end, day


def _dated(rules: rruleset, begin: time, end: time) -> Iterator[tuple[date, time, time]]:
    for occurrence in rules:
        yield occurrence.date(), begin, end


def _merge(streams: list[Iterator[tuple[date, time, time]]]) -> Iterator[tuple[date, time, time]]:
    import heapq

    return heapq.merge(*streams, key=lambda item: (item[0], item[1]))


@lru_cache(maxsize=64)
def _sittings_until(cal: WorkingCalendar, body: Body, until: date) -> tuple[BodySitting, ...]:
    assert body.schedule is not None
    found = []
    for number, (day, begin, end, moved_from) in enumerate(_occurrences(cal, body.schedule)):
        if day > until:
            break
        locations = body.schedule.locations
        due, due_at = _cutoff(cal, body.cutoff, day, begin) if body.cutoff is not None else (None, None)
        found.append(BodySitting(
            day=day, starts_at=cal.instant(day, begin), ends_at=cal.instant(day, end), number=number,
            location=locations[number % len(locations)] if locations else None,
            papers_due=due, papers_due_at=due_at, moved_from=moved_from,
        ))
    return tuple(found)


def _until(day: date) -> date:
    """A horizon past `day`, rounded so that the cache is shared by every question in a year."""
    return date(day.year + 2, 1, 1)


def next_sittings(cal: WorkingCalendar, body: Body, *, after: date, count: int) -> list[BodySitting]:
    """The first `count` sittings on or after `after` (fewer when the schedule ends)."""
    sittings = _sittings_until(cal, body, _until(after))
    upcoming = [s for s in sittings if s.day >= after]
    if len(upcoming) < count and sittings and sittings[-1].day >= after - timedelta(days=1):
        sittings = _sittings_until(cal, body, _until(after + timedelta(days=730)))
        upcoming = [s for s in sittings if s.day >= after]
    return upcoming[:count]


def sittings_on(cal: WorkingCalendar, body: Body, day: date) -> list[BodySitting]:
    """The body's sittings on `day`, earliest first (none on a day it does not sit)."""
    return [s for s in _sittings_until(cal, body, _until(day)) if s.day == day]


def chair_role(cal: WorkingCalendar, body: Body, sitting: BodySitting) -> str:
    """The role chairing `sitting`: the rota turns once per sitting, or once per working day counted
    from the rota's start (so a bank holiday or closure does not skip anyone's turn)."""
    assert body.chair is not None and body.schedule is not None
    rota = body.chair.rota
    if body.chair.turns == "working_day":
        start = body.chair.start or body.schedule.first
        return rota[cal.working_days_between(start, sitting.day) % len(rota)]
    offset = 0
    if body.chair.start is not None:
        offset = next((s.number for s in _sittings_until(cal, body, _until(body.chair.start))
                       if s.day >= body.chair.start), 0)
    return rota[(sitting.number - offset) % len(rota)]


def slots_on(cal: WorkingCalendar, body: Body, day: date) -> list[Slot]:
    """The bookable slots of a meeting on `day`, back to back from each sitting's start; a slot that
    would overrun the sitting is dropped rather than shortened."""
    step = timedelta(minutes=body.slot_minutes)
    slots: list[Slot] = []
    for sitting in sittings_on(cal, body, day):
        local_start = sitting.starts_at.astimezone(cal.tz).replace(tzinfo=None)
        local_end = sitting.ends_at.astimezone(cal.tz).replace(tzinfo=None)
        start = local_start
        while start + step <= local_end:
            slots.append(Slot(cal.instant(day, start.time()), cal.instant(day, (start + step).time())))
            start += step
    return slots


def bookable_slots(cal: WorkingCalendar, body: Body, now: datetime, days: int) -> list[Slot]:
    """Every slot of the next `days` sitting days that starts at or after now + the booking lead."""
    earliest = now + timedelta(hours=body.booking_lead_hours)
    found: list[Slot] = []
    seen_days = 0
    for sitting_day, _ in itertools.groupby(
            next_sittings(cal, body, after=cal.local_date(earliest), count=days * 3 + 10), key=lambda s: s.day):
        open_slots = [slot for slot in slots_on(cal, body, sitting_day) if slot.starts_at >= earliest]
        if open_slots:
            found.extend(open_slots)
            seen_days += 1
        if seen_days >= days:
            break
    return found


def _cutoff(cal: WorkingCalendar, cutoff: Cutoff, day: date, begin: time) -> tuple[date, datetime]:
    if cutoff.working_days_before is not None:
        due = cal.working_days_before(day, cutoff.working_days_before)
    elif cutoff.days_before is not None:
        due = day - timedelta(days=cutoff.days_before)
    else:
        assert cutoff.weekday_before is not None
        week_start = day - timedelta(days=day.weekday())
        due = week_start - timedelta(days=7) + timedelta(days=_WEEKDAYS.index(cutoff.weekday_before))
    at = cutoff.at or _END_OF_DAY
    moment = cal.instant(due, at)
    if cutoff.at is None:
        moment += timedelta(seconds=59, microseconds=999999)
    return due, moment


def sitting_for_papers(cal: WorkingCalendar, body: Body, at: datetime) -> tuple[BodySitting, BodySitting | None]:
    """(the sitting a case submitted at `at` goes to, the earlier sitting it missed by its cut-off).

    The first sitting whose papers are not yet due; a case submitted on the day of a cut-off with no
    time of day makes that sitting. Raises LookupError when the schedule has ended."""
    today = cal.local_date(at)
    upcoming = next_sittings(cal, body, after=today, count=60)
    missed = None
    for sitting in upcoming:
        due = sitting.papers_due_at
        if due is None or at <= due:
            return sitting, missed
        missed = missed or sitting
    raise LookupError(f"no sitting of {body.name} is scheduled with papers due after {today}")


def cutoff_words(sitting: BodySitting, cal: WorkingCalendar, cutoff: Cutoff | None) -> str | None:
    """E.g. "papers due by 17:00 on Friday 4 December 2026", or None without a cut-off."""
    if sitting.papers_due is None or sitting.papers_due_at is None:
        return None
    if cutoff is not None and cutoff.at is not None:
        return f"papers due by {cutoff.at:%H:%M} on {long_date(sitting.papers_due)}"
    return f"papers due by the end of {long_date(sitting.papers_due)}"


def describe_bodies(cal: WorkingCalendar, policy: Policy, today: date, count: int = 3) -> list[str]:
    """Each body in plain lines: who decides (tiers and limits, or chairs, deputy and quorum), and for a
    meeting or panel its next sittings with their chairs and cut-offs. What `policy check` prints."""
    lines: list[str] = []
    for key, body in policy.bodies.items():
        lines.append(f"{body.name} ({key}): {body.kind.value}, cards in {', '.join(body.channels())}")
        if body.tiers:
            tiers = []
            for tier in body.tiers_in_order():
                limits = [f"£{tier.max_weekly:,.2f}/wk" for _ in [0] if tier.max_weekly is not None]
                limits += [f"£{tier.max_yearly:,.2f} a year" for _ in [0] if tier.max_yearly is not None]
                tiers.append(f"{tier.role.replace('_', ' ')} ({' and '.join(limits) or 'no limit'})")
            beyond = f"; over every limit: {policy.bodies[body.beyond_limits].name}" if body.beyond_limits else ""
            lines.append(f"    decided by the lowest tier that covers the case: {', then '.join(tiers)}{beyond}")
        if body.chair is not None:
            deputy = f", deputy {body.chair.deputy.replace('_', ' ')}" if body.chair.deputy else ""
            turns = "per sitting" if body.chair.turns == "sitting" else "per working day"
            rota = ", ".join(role.replace("_", " ") for role in body.chair.rota)
            lines.append(f"    chaired by {rota} (turning {turns}){deputy}")
        if body.quorum:
            needs = ", ".join(f"{need.at_least} of the {need.role.replace('_', ' ')}" for need in body.quorum)
            lines.append(f"    quorum: {needs} recorded present")
        reminders = body.reminders
        escalate = f", then {reminders.escalate_to.replace('_', ' ')} after {reminders.escalate_after_working_days}" \
            if reminders.escalate_to else ", no escalation"
        nudge = reminders.nudge_after_working_days
        days = "day" if nudge == 1 else "days"
        lines.append(f"    reminders: deciders nudged after {nudge} working {days}{escalate}")
        if body.schedule is None:
            continue
        for sitting in next_sittings(cal, body, after=today, count=count):
            start = sitting.starts_at.astimezone(cal.tz)
            where = f", {sitting.location}" if sitting.location else ""
            chair = chair_role(cal, body, sitting).replace("_", " ")
            due = cutoff_words(sitting, cal, body.cutoff)
            moved = f" (moved from {long_date(sitting.moved_from)})" if sitting.moved_from else ""
            lines.append(f"    sits {long_date(sitting.day)} at {start:%H:%M}{where}{moved}, chair {chair}"
                         + (f"; {due}" if due else ""))
    return lines
