"""Bookings at a meeting body (the Enhanced Peer Forum): the plain views messages render.

Pure: no Slack, no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bot.domain.calendar import Slot
from bot.domain.cases import CaseView
from bot.domain.routing import RequestType


@dataclass(frozen=True)
class BookingView:
    """A case's forum slot, as messages show it."""

    case_id: int
    reference: str
    slot: Slot
    worker: str  # Slack user ID of the practitioner presenting
    attendee: str | None  # advanced practitioner / service manager attending with the worker
    chair_role: str  # the policy role chairing that day
    chairs: tuple[str, ...]  # the Slack user or user-group IDs in that role
    body_name: str = "Enhanced Peer Forum"  # the meeting the slot is at


@dataclass(frozen=True)
class DayChoice:
    """The free slots offered on one sitting day (may be empty: the day is full)."""

    day: date
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class BookingChoice:
    """What the booking form offers a case: free slots on the next sitting days."""

    case: CaseView
    days: tuple[DayChoice, ...]
    current: BookingView | None  # the slot the case holds now, when rebooking
    notice: str | None = None  # e.g. "The 10:00 slot on Tuesday has just gone: pick another."


@dataclass(frozen=True)
class AgendaItem:
    """One slot of a sitting: booked (with its case) or free."""

    slot: Slot
    case_id: int | None = None
    reference: str | None = None
    request_type: RequestType | None = None
    proposed_weekly: Decimal | None = None
    worker: str | None = None
    attendee: str | None = None


@dataclass(frozen=True)
class Agenda:
    """A day of the forum. `closed` says why there is no sitting (weekend, bank holiday, closure)."""

    day: date
    items: tuple[AgendaItem, ...]
    chair_role: str | None
    chairs: tuple[str, ...]
    closed: str | None = None
    body_name: str = "Enhanced Peer Forum"
    follow_ons: tuple[CaseView, ...] = ()  # waiting for this meeting's endorsement or ratification

    @property
    def booked(self) -> tuple[AgendaItem, ...]:
        return tuple(item for item in self.items if item.case_id is not None)


def calendar_uid(case_id: int) -> str:
    """The one UID a case's slot keeps in people's calendars: a rebook updates it, a cancel cancels it."""
    return f"panelbot-case-{case_id}@panelbot"


@dataclass(frozen=True)
class CalendarInvite:
    """A calendar file for one person: the slot, the case's stable UID, the version, or its cancelling."""

    booking: BookingView
    uid: str
    sequence: int
    cancelled: bool
    stamp: datetime


@dataclass(frozen=True)
class BookingChange:
    """What happened, for the confirmation or cancellation DM."""

    booking: BookingView
    previous: Slot | None = None  # the slot given up, when rebooking
    cancelled: bool = False
    by: str | None = None
    at: datetime | None = None
