"""Reminders: what to remind whom, and when. Pure: no Slack, no database; `now` and dates passed in.

Every due time is moved into working hours (working days, the policy's hours, Europe/London) when
the reminder is written, so the sender only asks the database what is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.domain.calendar import WorkingCalendar


class ReminderKind(StrEnum):
    FORUM_TOMORROW = "forum_tomorrow"  # the working day before a forum slot, to the worker and the AP/SM
    REVIEW_DUE = "review_due"  # a package's review is due (to the worker)
    RESUBMISSION_DUE = "resubmission_due"  # a SEND package is due back at the panel (to the worker)
    RESUBMIT_DEFERRED = "resubmit_deferred"  # a deferred case still waits for its missing information
    DECISION_WAITING = "decision_waiting"  # a case has waited on its decider too long (to the decider)
    DECISION_OVERDUE = "decision_overdue"  # …and longer still: escalated to the decider's manager
    VISIT_CONFIRM = "visit_confirm"  # confirm a planned monitoring visit with the provider, 2 weeks ahead
    VISIT_STEP_DUE = "visit_step_due"  # a step after a monitoring visit is due (to the person it belongs to)
    VISIT_STEP_OVERDUE = "visit_step_overdue"  # …and overdue: escalated to the senior QA officers
    VISIT_DUE = "visit_due"  # a monitoring visit falls due (to the placement commissioning officers)
    VISIT_OVERDUE = "visit_overdue"  # …and is overdue: escalated to the senior QA officers
    SPOT_CHECK_DUE = "spot_check_due"  # a spot check still open (to the spot checkers)
    SPOT_CHECK_OVERDUE = "spot_check_overdue"  # …and longer still: escalated to [spot_checks] escalate_to


REMINDER_LABELS = {
    ReminderKind.FORUM_TOMORROW: "Forum slot next working day",
    ReminderKind.REVIEW_DUE: "Review due",
    ReminderKind.RESUBMISSION_DUE: "Resubmission to the SEND panel due",
    ReminderKind.RESUBMIT_DEFERRED: "Deferred case waiting to be resubmitted",
    ReminderKind.DECISION_WAITING: "Waiting on your decision",
    ReminderKind.DECISION_OVERDUE: "Decision overdue (escalated)",
    ReminderKind.VISIT_CONFIRM: "Confirm a monitoring visit",
    ReminderKind.VISIT_STEP_DUE: "Monitoring visit step due",
    ReminderKind.VISIT_STEP_OVERDUE: "Monitoring visit step overdue (escalated)",
    ReminderKind.VISIT_DUE: "Monitoring visit falling due",
    ReminderKind.VISIT_OVERDUE: "Monitoring visit overdue (escalated)",
    ReminderKind.SPOT_CHECK_DUE: "Spot check waiting for you",
    ReminderKind.SPOT_CHECK_OVERDUE: "Spot check overdue (escalated)",
}


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time


def shift_into_hours(cal: WorkingCalendar, hours: WorkingHours, at: datetime) -> datetime:
    """`at`, or the next working-hours moment after it (a weekend, bank holiday or closure, or outside
    the hours, goes to the next working morning)."""
    return cal.next_working_moment(at, hours.start, hours.end)


def morning_of(cal: WorkingCalendar, hours: WorkingHours, day: date) -> datetime:
    """The start of working hours on `day`, or on the next working day if `day` is not one."""
    return shift_into_hours(cal, hours, cal.instant(day, hours.start))


def morning_on_or_before(cal: WorkingCalendar, hours: WorkingHours, day: date) -> datetime:
    """The start of working hours on `day`, or on the last working day before it: a reminder about
    something due on `day` must not arrive after it."""
    while not cal.is_working_day(day):
        day -= timedelta(days=1)
    return cal.instant(day, hours.start)


def eve_of_slot(cal: WorkingCalendar, hours: WorkingHours, slot_starts_at: datetime) -> datetime:
    """The reminder before a forum slot: the start of working hours on the working day before its day."""
    day = cal.local_date(slot_starts_at)
    return cal.instant(cal.add_working_days(day, -1), hours.start)


def after_working_days(cal: WorkingCalendar, hours: WorkingHours, since: datetime, days: int) -> datetime:
    """The start of working hours `days` working days after the local date of `since`."""
    return cal.instant(cal.add_working_days(cal.local_date(since), days), hours.start)


@dataclass(frozen=True)
class ReminderItem:
    """One thing a person is reminded of, as a DM shows it. Never free text about the person."""

    id: int
    kind: ReminderKind
    case_id: int | None  # None for a monitoring visit's reminder
    reference: str  # the case reference, or for a visit the provision's name
    why: str  # e.g. "Forum slot Wednesday 25 November 2026, 09:00–09:30" or "waiting since 24 November"
    due_at: datetime
    late_person: str | None = None  # for an escalation: the decider it is waiting on


class QualityOfLife(StrEnum):
    """The review's question (seed 001): has the person's quality of life improved?"""

    IMPROVED = "improved"
    SAME = "same"
    WORSE = "worse"


class PackageAfterReview(StrEnum):
    CONTINUES = "continues"  # the next review is scheduled
    CHANGES = "changes"  # a change up or down: ratified at the panel (seed 000, stage 5)
    ENDS = "ends"  # the package ends: no further reviews


QUALITY_LABELS = {
    QualityOfLife.IMPROVED: "Yes, it has improved",
    QualityOfLife.SAME: "It is about the same",
    QualityOfLife.WORSE: "No, it is worse",
}
PACKAGE_LABELS = {
    PackageAfterReview.CONTINUES: "The package continues as it is",
    PackageAfterReview.CHANGES: "The package needs to change (goes to the panel for ratification)",
    PackageAfterReview.ENDS: "The package ends",
}


@dataclass(frozen=True)
class ReviewRecorded:
    """What a review decided, for the confirmation."""

    case_id: int
    reference: str
    quality_of_life: QualityOfLife
    package: PackageAfterReview
    next_review_on: date | None
