"""Booking the Enhanced Peer Forum: the free slots, booking, rebooking, cancelling, the day's agenda.

No double booking, ever: two partial unique indexes (one live booking per slot start, one per
case) decide in the database, on SQLite and PostgreSQL alike. A booking that loses the race is
rolled back whole and its caller is offered the next free slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.bodies import BodyKind
from bot.domain.booking import Agenda, BookingChange, BookingChoice, DayChoice
from bot.domain.calendar import Slot
from bot.domain.cases import Stage, can_move
from bot.domain.schedules import bookable_slots, slots_on
from bot.errors import UserError
from bot.notify import Notice
from bot.policy import Body
from bot.refusals import Refusal
from bot.services import Services
from bot.services.outbox import queue_card_updates, queue_notice
from bot.services.reminders import on_booked, on_booking_cancelled
from bot.services.views import agenda_for, booking_view, chair_of, live_booking, view_of
from store.audit import record_audit
from store.models import Case, ForumBooking

DAYS_OFFERED = 10  # the booking form offers the free slots of the next ten sitting days


class BookingRefused(UserError):
    """The booking cannot be made or changed; its code says why."""


class SlotTaken(UserError):
    """Someone else booked that slot first. `choice` offers the next free ones (a surface says so
    with its own wording for `slot`)."""

    def __init__(self, slot: Slot, choice: BookingChoice) -> None:
        super().__init__(Refusal.SLOT_TAKEN, starts_at=slot.starts_at)
        self.slot = slot
        self.choice = choice


@dataclass(frozen=True)
class BookingResult:
    change: BookingChange
    changed: bool  # False when the case already held exactly this slot (a double click)


def meeting_bodies(services: Services) -> list[str]:
    """The policy's meeting bodies, in policy order."""
    return [key for key, body in services.policy.bodies.items() if body.kind is BodyKind.MEETING]


def _taken(session: Session, body_id: str, start: datetime, end: datetime) -> set[datetime]:
    return set(session.scalars(
        select(ForumBooking.starts_at).where(ForumBooking.body == body_id, ForumBooking.cancelled_at.is_(None),
                                             ForumBooking.starts_at >= start, ForumBooking.starts_at < end)
    ).all())


def free_days(services: Services, session: Session, now: datetime, body_id: str,
              days: int = DAYS_OFFERED) -> tuple[DayChoice, ...]:
    """The next `days` sitting days with their free slots (a full day is listed with none)."""
    calendar, body = services.calendar, services.policy.bodies[body_id]
    everything = bookable_slots(calendar, body, now, days)
    if not everything:
        return ()
    taken = _taken(session, body_id, now, everything[-1].ends_at)
    by_day: dict[date, list[Slot]] = {}
    for slot in everything:
        by_day.setdefault(calendar.local_date(slot.starts_at), [])
        if slot.starts_at not in taken:
            by_day[calendar.local_date(slot.starts_at)].append(slot)
    return tuple(DayChoice(day, tuple(slots)) for day, slots in by_day.items())


def _case_for_booking(services: Services, session: Session, case_id: int, actor: str, *, lock: bool = False) -> Case:
    """The case `actor` may book or cancel a slot for. `lock` holds its row until the transaction ends, so
    that a change of its slot (book, rebook, cancel) reads the slot after any other change has committed."""
    row = session.get(Case, case_id, with_for_update=lock or None)
    if row is None:
        raise BookingRefused(Refusal.CASE_GONE)
    body = services.policy.bodies.get(row.route)
    if body is None or body.kind is not BodyKind.MEETING:
        raise BookingRefused(Refusal.NO_SLOTS_FOR_CASE, reference=row.reference)
    if actor not in (row.submitter, row.attendee):
        raise BookingRefused(Refusal.BOOKING_NOT_YOURS, reference=row.reference, body=body.name)
    if Stage(row.stage) not in (Stage.AWAITING_BOOKING, Stage.BOOKED):
        raise BookingRefused(Refusal.BOOKING_WRONG_STAGE, reference=row.reference, stage=Stage(row.stage))
    return row


def booking_choice(services: Services, actor: str, *, case_id: int | None = None,
                   reference: str | None = None) -> BookingChoice:
    """What the booking form offers `actor` for a case, found by id or by its open reference.
    Raises BookingRefused."""
    now = services.now()
    with services.sessions() as session:
        if case_id is None:
            case_id = session.scalars(select(Case.id).where(Case.reference == reference, Case.is_open)).first()
            if case_id is None:
                raise BookingRefused(Refusal.NO_OPEN_CASE)
        row = _case_for_booking(services, session, case_id, actor)
        current = live_booking(session, row.id)
        return BookingChoice(case=view_of(services, row, full=False), days=free_days(services, session, now, row.route),
                             current=booking_view(services, current, row) if current else None)


def _check_slot(services: Services, body: Body, starts_at: datetime, now: datetime) -> Slot:
    """The sitting slot starting at `starts_at`, if it is one and can still be booked."""
    calendar = services.calendar
    day = calendar.local_date(starts_at)
    slot = next((s for s in slots_on(calendar, body, day) if s.starts_at == starts_at), None)
    if slot is None:
        raise BookingRefused(Refusal.NOT_A_SITTING, body=body.name)
    if starts_at < now:
        raise BookingRefused(Refusal.SLOT_IN_PAST)
    if starts_at < now + timedelta(hours=body.booking_lead_hours):
        raise BookingRefused(Refusal.SLOT_TOO_SOON, hours=body.booking_lead_hours)
    return slot


def book_slot(services: Services, case_id: int, starts_at: datetime, actor: str) -> BookingResult:
    """Book (or move the case to) the slot starting at `starts_at`, in one transaction.

    Raises BookingRefused (not allowed, not a bookable slot) or SlotTaken (someone was first).
    """
    now = services.now()
    with services.sessions() as session:
        row = _case_for_booking(services, session, case_id, actor)
        body_id = row.route
    slot = _check_slot(services, services.policy.bodies[body_id], starts_at, now)
    try:
        with services.sessions.begin() as session:
            row = _case_for_booking(services, session, case_id, actor, lock=True)
            current = live_booking(session, row.id)
            if current is not None and current.starts_at == slot.starts_at:
                return BookingResult(BookingChange(booking=booking_view(services, current, row)), changed=False)
            previous = None
            if current is not None:
                previous = Slot(current.starts_at, current.ends_at)
                current.cancelled_at, current.cancelled_by = now, actor
                session.flush()
            booking = ForumBooking(case_id=row.id, body=row.route, starts_at=slot.starts_at, ends_at=slot.ends_at,
                                   day=services.calendar.local_date(slot.starts_at), booked_by=actor, booked_at=now)
            session.add(booking)
            session.flush()  # the unique indexes decide here
            before = row.stage
            if can_move(Stage(row.stage), Stage.BOOKED):
                row.stage = Stage.BOOKED
            row.updated_at = now
            record_audit(session, at=now, actor=actor, action="booking.moved" if previous else "booking.made",
                         subject_type="case", subject_id=row.reference,
                         before={"stage": before, "slot": previous.starts_at.isoformat() if previous else None},
                         after={"stage": row.stage, "slot": slot.starts_at.isoformat()})
            on_booked(services, session, row, booking.id, slot, now)
            payload = {"booking_id": booking.id,
                       "previous": [previous.starts_at.isoformat(), previous.ends_at.isoformat()] if previous else None}
            _queue_booking_notices(services, session, row, booking.id, Notice.BOOKING_CONFIRMED, payload, now)
            _queue_invitations(services, session, row, booking, now, moved_from=current)
            change = BookingChange(booking=booking_view(services, booking, row), previous=previous, by=actor, at=now)
            return BookingResult(change, changed=True)
    except IntegrityError:
        with services.sessions() as session:
            holder = session.scalars(select(ForumBooking).where(
                ForumBooking.case_id == case_id, ForumBooking.cancelled_at.is_(None))).first()
            if holder is not None and holder.starts_at == slot.starts_at:
                # The same person's second click won the race against their first: nothing more to do.
                row = session.get_one(Case, case_id)
                return BookingResult(BookingChange(booking=booking_view(services, holder, row)), changed=False)
        raise SlotTaken(slot, booking_choice(services, actor, case_id=case_id)) from None


def _queue_booking_notices(services: Services, session: Session, row: Case, booking_id: int, notice: Notice,
                           payload: dict[str, Any], now: datetime) -> None:
    for person in dict.fromkeys(p for p in (row.submitter, row.attendee) if p):
        queue_notice(session, notice, row.id, person, now, key=f"{notice}:{booking_id}:{person}", payload=payload)
    queue_card_updates(services, session, row, now, f"{Notice.CARD_UPDATE}:{row.id}:{notice}:{booking_id}")


def _invited(services: Services, row: Case, booking: ForumBooking) -> list[str]:
    """Who holds the slot in their calendar: the worker, whoever attends with them, the sitting's chair."""
    body = services.policy.bodies[booking.body]
    _, chairs = chair_of(services, body, booking.day)
    return list(dict.fromkeys([p for p in (row.submitter, row.attendee) if p] + services.people(chairs)))


def _queue_invitations(services: Services, session: Session, row: Case, booking: ForumBooking, now: datetime, *,
                       cancelled: bool = False, moved_from: ForumBooking | None = None) -> None:
    """A calendar file for each person the slot concerns, all with the case's one UID: a booking is version
    0, each later booking or cancelling of the case's slot one more, so calendars replace or remove it. A
    chair of the day the case moved away from gets the cancelling."""
    versions = session.scalar(select(func.count()).select_from(ForumBooking).where(ForumBooking.case_id == row.id))
    sequence = (versions or 1) - (0 if cancelled else 1)
    people = _invited(services, row, booking)
    for person in people:
        queue_notice(session, Notice.CALENDAR_INVITE, row.id, person, now,
                     key=f"{Notice.CALENDAR_INVITE}:{booking.id}:{'cancel' if cancelled else 'book'}:{person}",
                     payload={"booking_id": booking.id, "sequence": sequence, "cancelled": cancelled})
    if moved_from is not None:
        for person in _invited(services, row, moved_from):
            if person not in people:
                queue_notice(session, Notice.CALENDAR_INVITE, row.id, person, now,
                             key=f"{Notice.CALENDAR_INVITE}:{moved_from.id}:cancel:{person}",
                             payload={"booking_id": moved_from.id, "sequence": sequence, "cancelled": True})


def cancel_booking(services: Services, case_id: int, actor: str) -> BookingChange | None:
    """Give up the case's slot (it is offered again at once). None when it had none (a double click, or
    presses at once: the case's row lock makes each wait for the one before, then find no slot)."""
    now = services.now()
    with services.sessions.begin() as session:
        row = _case_for_booking(services, session, case_id, actor, lock=True)
        booking = live_booking(session, row.id)
        if booking is None:
            return None
        booking.cancelled_at, booking.cancelled_by = now, actor
        before = row.stage
        row.stage, row.updated_at = Stage.AWAITING_BOOKING, now
        record_audit(session, at=now, actor=actor, action="booking.cancelled", subject_type="case",
                     subject_id=row.reference, before={"stage": before, "slot": booking.starts_at.isoformat()},
                     after={"stage": row.stage, "slot": None})
        on_booking_cancelled(session, row, now)
        _queue_booking_notices(services, session, row, booking.id, Notice.BOOKING_CANCELLED,
                               {"booking_id": booking.id}, now)
        _queue_invitations(services, session, row, booking, now, cancelled=True)
        return BookingChange(booking=booking_view(services, booking, row), cancelled=True, by=actor, at=now)


def agenda(services: Services, day: date, body_id: str | None = None) -> Agenda:
    """A meeting's day (the first meeting body in the policy unless one is named)."""
    meetings = meeting_bodies(services)
    if body_id is None and not meetings:
        raise BookingRefused(Refusal.NO_MEETINGS)
    with services.sessions() as session:
        return agenda_for(services, session, day, body_id or meetings[0])


def post_agendas(services: Services, now: datetime) -> int:
    """The worker's job: from 08:00 on a sitting day, queue each meeting's agenda for its channel and a
    DM for each of the day's chairs, once (the outbox keys make a second worker's try a no-op)."""
    calendar = services.calendar
    local = now.astimezone(calendar.tz)
    posted = 0
    for body_id in meeting_bodies(services):
        body = services.policy.bodies[body_id]
        slots = slots_on(calendar, body, local.date())
        if not slots or local.hour < 8 or now >= slots[-1].ends_at:
            continue
        day = local.date().isoformat()
        _, chairs = chair_of(services, body, local.date())
        # The first meeting keeps the keys it always had, so an upgrade does not post today's agenda twice.
        tag = "" if body_id == meeting_bodies(services)[0] else f"{body_id}:"
        with services.sessions.begin() as session:
            for index, channel in enumerate(body.channels()):
                queue_notice(session, Notice.AGENDA, None, channel, now,
                             key=f"agenda:{tag}{day}" + (f":{channel}" if index else ""),
                             payload={"day": day, "body": body_id})
            for person in services.people(chairs):
                queue_notice(session, Notice.CHAIR_AGENDA, None, person, now, key=f"chair_agenda:{tag}{day}:{person}",
                             payload={"day": day, "body": body_id})
        posted += 1
    return posted
