"""Reminders: written when something happens, withdrawn or moved when it changes, and sent by the
worker's sweep so that none is lost and none is doubled.

The sweep (`send_due_reminders`) claims a person's due rows with one conditional UPDATE (pending →
sending, RETURNING the ids it won), sends one DM listing them whose metadata carries the ids, then
marks them sent. A process killed between sending and marking leaves rows in `sending`; once their
claim is older than `Services.claim_timeout` the sweep reads the person's DM history and marks the
rows it finds there as sent, resending only the rest.
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.calendar import Slot, long_date
from bot.domain.reminders import (
    ReminderItem,
    ReminderKind,
    WorkingHours,
    after_working_days,
    eve_of_slot,
    morning_of,
    morning_on_or_before,
    shift_into_hours,
)
from bot.domain.schedules import BodySitting, next_sittings
from bot.errors import UserError
from bot.notify import DeliveryError, ReminderNotifier
from bot.services import Services
from store.audit import record_audit
from store.models import Case, FollowUp, Provision, Reminder, Visit

logger = logging.getLogger("panelbot.reminders")

PENDING, SENDING, SENT, DONE, WITHDRAWN, FAILED = "pending", "sending", "sent", "done", "withdrawn", "failed"
MAX_ATTEMPTS = 6
MAX_ITEMS_PER_DM = 15  # what one DM can list within Slack's 50 blocks (messages.reminders)
LONGEST_WAIT = 30.0  # seconds the sweep will wait for a rate limit before leaving the rest for later


class ReminderRefused(UserError):
    """Done or Snooze pressed by someone the reminder is not for, or on one already closed."""


def hours(services: Services) -> WorkingHours:
    span = services.policy.working_days.reminder_hours
    return WorkingHours(span.start, span.end)


# -- writing, withdrawing, moving ------------------------------------------------------------------

def remind(session: Session, *, kind: ReminderKind, case_id: int | None, person: str, due_at: datetime, why: str,
           now: datetime, about_id: int | None = None, late_person: str | None = None,
           visit_id: int | None = None) -> None:
    """Add a reminder to the caller's transaction; the same (kind, subject, person) twice is a no-op."""
    key = f"{kind}:{case_id or 'v' + str(visit_id)}:{about_id or 0}:{person}"
    if session.scalars(select(Reminder.id).where(Reminder.key == key)).first() is not None:
        return
    try:
        with session.begin_nested():
            session.add(Reminder(key=key, person=person, case_id=case_id, visit_id=visit_id, kind=kind,
                                 about_id=about_id, why=why[:300],
                                 late_person=late_person, due_at=due_at, state=PENDING, attempts=0, created_at=now))
    except IntegrityError:
        pass


def withdraw(session: Session, case_id: int | None, kinds: Iterable[ReminderKind], now: datetime, *,
             about_id: int | None = None, visit_id: int | None = None) -> int:
    """Withdraw the case's (or the visit's) reminders of these kinds that have not gone yet (the thing
    they were about changed: a slot cancelled, a decision made, a review or a visit step done).
    Returns how many."""
    subject = Reminder.visit_id == visit_id if visit_id is not None else Reminder.case_id == case_id
    query = update(Reminder).where(subject, Reminder.kind.in_([str(k) for k in kinds]), Reminder.state == PENDING)
    if about_id is not None:
        query = query.where(Reminder.about_id == about_id)
    return session.execute(query.values(state=WITHDRAWN, closed_at=now)).rowcount


def on_booked(services: Services, session: Session, row: Case, booking_id: int, slot: Slot, now: datetime) -> None:
    """The working day before the slot, the worker and the AP/SM are reminded (if that is still ahead);
    the working day after it, if the case is still undecided, the chair of that sitting is nudged."""
    withdraw(session, row.id, [ReminderKind.FORUM_TOMORROW], now)
    withdraw(session, row.id, [ReminderKind.DECISION_WAITING], now)  # a slot given up owes its chair nothing
    body = services.policy.bodies.get(row.route)
    if body is not None and body.chair is not None:
        from bot.services.bodies import chair_for

        role, _ = chair_for(services, body, services.calendar.local_date(slot.starts_at))
        after = after_working_days(services.calendar, hours(services), slot.ends_at, 1)
        why = f"its slot on {slot.label(services.calendar.tz)} passed without a decision"
        for person in services.people(services.policy.members(role) if role else ()):
            if person not in (row.submitter, row.attendee):
                remind(session, kind=ReminderKind.DECISION_WAITING, case_id=row.id, person=person, due_at=after,
                       why=why, now=now, about_id=booking_id)
    due = eve_of_slot(services.calendar, hours(services), slot.starts_at)
    if due <= now:
        return  # booked for today or the next working day after this morning: the confirmation is the reminder
    why = f"Forum slot {slot.label(services.calendar.tz)}"
    for person in dict.fromkeys(p for p in (row.submitter, row.attendee) if p):
        remind(session, kind=ReminderKind.FORUM_TOMORROW, case_id=row.id, person=person, due_at=due, why=why,
               now=now, about_id=booking_id)


def on_booking_cancelled(session: Session, row: Case, now: datetime) -> None:
    withdraw(session, row.id, [ReminderKind.FORUM_TOMORROW, ReminderKind.DECISION_WAITING], now)


def on_waiting_for_decision(services: Services, session: Session, row: Case, deciders: list[str],
                            now: datetime) -> None:
    """A case that waits on a body: nudge the people told it waits on them (a person body's tier) after
    the body's working days, and tell the body's escalation role if it waits longer still."""
    body = services.policy.bodies.get(row.route)
    if body is None:
        return
    calendar, span = services.calendar, hours(services)
    since = f"waiting since {long_date(calendar.local_date(now))}"
    timing = body.reminders
    nudge_at = after_working_days(calendar, span, now, timing.nudge_after_working_days)
    escalate_at = after_working_days(calendar, span, now, timing.escalate_after_working_days)
    for person in deciders:
        remind(session, kind=ReminderKind.DECISION_WAITING, case_id=row.id, person=person, due_at=nudge_at,
               why=since, now=now, about_id=row.round)
    if timing.escalate_to is None:
        return
    late = deciders[0] if len(deciders) == 1 else None
    for manager in services.people(services.policy.members(timing.escalate_to)):
        if manager not in (row.submitter, row.attendee):
            remind(session, kind=ReminderKind.DECISION_OVERDUE, case_id=row.id, person=manager, due_at=escalate_at,
                   why=since, now=now, about_id=row.round, late_person=late)


def on_decided(services: Services, session: Session, row: Case, outcome: str, follow_ups: list[FollowUp],
               now: datetime) -> None:
    """A decision ends the waiting nudges; a deferral nudges the worker to resubmit; an agreed
    package's reviews and resubmission are put in the worker's diary."""
    withdraw(session, row.id, [ReminderKind.DECISION_WAITING, ReminderKind.DECISION_OVERDUE], now)
    calendar, span = services.calendar, hours(services)
    if outcome == "deferred":
        days = services.policy.reminders.resubmit_nudge_after_working_days
        remind(session, kind=ReminderKind.RESUBMIT_DEFERRED, case_id=row.id, person=row.submitter,
               due_at=after_working_days(calendar, span, now, days),
               why=f"deferred on {long_date(calendar.local_date(now))} for more information", now=now,
               about_id=row.round)
    for follow_up in follow_ups:
        on_follow_up(services, session, row, follow_up, now)


# A resubmission is reminded this many working days before the papers' cut-off it must make.
RESUBMISSION_LEAD_WORKING_DAYS = 5


def on_follow_up(services: Services, session: Session, row: Case, follow_up: FollowUp, now: datetime) -> None:
    """A review is reminded on the morning it is due, or the working day before; a resubmission in
    time for the papers' cut-off of the deciding panel's last sitting before the anniversary."""
    calendar, span = services.calendar, hours(services)
    why = f"due {long_date(follow_up.due_on)}: {follow_up.why}"
    if follow_up.kind == "review":
        kind, due_at = ReminderKind.REVIEW_DUE, morning_on_or_before(calendar, span, follow_up.due_on)
    else:
        kind, day = ReminderKind.RESUBMISSION_DUE, follow_up.due_on
        sitting = _last_sitting_before(services, row, follow_up.due_on)
        if sitting is not None and sitting.papers_due is not None:
            day = calendar.add_working_days(sitting.papers_due, -RESUBMISSION_LEAD_WORKING_DAYS)
            why += f"; papers for the {long_date(sitting.day)} sitting are due {long_date(sitting.papers_due)}"
        due_at = max(morning_on_or_before(calendar, span, day), morning_of(calendar, span, calendar.local_date(now)))
    remind(session, kind=kind, case_id=row.id, person=row.submitter, due_at=due_at, why=why, now=now,
           about_id=follow_up.id)


def _last_sitting_before(services: Services, row: Case, day: date) -> BodySitting | None:
    """The last sitting on or before `day` of the panel that decided the case (or endorsed it)."""
    bodies = services.policy.bodies
    for key in (row.route, row.follow_on_body):
        body = bodies.get(key) if key else None
        if body is not None and body.schedule is not None and body.cutoff is not None:
            recent = next_sittings(services.calendar, body, after=day - timedelta(days=120), count=60)
            before = [sitting for sitting in recent if sitting.day <= day]
            return before[-1] if before else None
    return None


def on_resubmitted(session: Session, row: Case, now: datetime) -> None:
    withdraw(session, row.id, [ReminderKind.RESUBMIT_DEFERRED], now)


# -- Done and Snooze -------------------------------------------------------------------------------

def _own_reminder(session: Session, reminder_id: int, user: str) -> Reminder:
    row = session.get(Reminder, reminder_id)
    if row is None or row.person != user:
        raise ReminderRefused("That reminder is not yours.")
    if row.state in (DONE, WITHDRAWN):
        raise ReminderRefused("That reminder is already closed.")
    return row


def complete_reminder(services: Services, reminder_id: int, user: str) -> str:
    """Mark done (audited). Returns the case reference."""
    now = services.now()
    with services.sessions.begin() as session:
        row = _own_reminder(session, reminder_id, user)
        before = row.state
        row.state, row.closed_at = DONE, now
        reference = _items(session, [row.id])[0].reference
        record_audit(session, at=now, actor=user, action="reminder.done", subject_type="reminder",
                     subject_id=reference[:64],
                     before={"reminder": row.id, "kind": row.kind, "state": before},
                     after={"reminder": row.id, "state": DONE})
        return reference


def snooze_reminder(services: Services, reminder_id: int, user: str, days: int) -> tuple[str, datetime]:
    """Bring the reminder back after `days` calendar days, inside working hours (audited).
    Returns the case reference and when it comes back."""
    now = services.now()
    with services.sessions.begin() as session:
        row = _own_reminder(session, reminder_id, user)
        until = shift_into_hours(services.calendar, hours(services), now + timedelta(days=days))
        before = {"reminder": row.id, "state": row.state, "due_at": row.due_at.isoformat()}
        row.state, row.due_at, row.claimed_at, row.attempts = PENDING, until, None, 0
        reference = _items(session, [row.id])[0].reference
        record_audit(session, at=now, actor=user, action="reminder.snoozed", subject_type="reminder",
                     subject_id=reference[:64], before=before,
                     after={"reminder": row.id, "state": PENDING, "due_at": until.isoformat(), "days": days})
        return reference, until


# -- the sweep -------------------------------------------------------------------------------------

def _items(session: Session, ids: list[int]) -> list[ReminderItem]:
    rows = session.execute(
        select(Reminder, Case.reference, Provision.name)
        .outerjoin(Case, Case.id == Reminder.case_id)
        .outerjoin(Visit, Visit.id == Reminder.visit_id)
        .outerjoin(Provision, Provision.id == Visit.provision_id)
        .where(Reminder.id.in_(ids)).order_by(Reminder.due_at, Reminder.id)).all()
    return [ReminderItem(id=r.id, kind=ReminderKind(r.kind), case_id=r.case_id, reference=reference or provision or "",
                         why=r.why, due_at=r.due_at, late_person=r.late_person) for r, reference, provision in rows]


def _reconcile(services: Services, notifier: ReminderNotifier, now: datetime) -> None:
    """Rows left in `sending` by a process that died: those Slack has are marked sent, the rest go back."""
    with services.sessions() as session:
        stale = session.execute(select(Reminder.id, Reminder.person).where(
            Reminder.state == SENDING, Reminder.claimed_at <= now - services.claim_timeout)).all()
    by_person: dict[str, list[int]] = defaultdict(list)
    for reminder_id, person in stale:
        by_person[person].append(reminder_id)
    for person, ids in by_person.items():
        try:
            found = notifier.reminders_already_sent(person)
        except DeliveryError as exc:
            logger.warning("could not check reminders already sent to a person (%s); left for later", exc)
            continue
        with services.sessions.begin() as session:
            for reminder_id in ids:
                where = found.get(reminder_id)
                values = dict(state=SENT, sent_at=now, sent_channel=where.channel, sent_ts=where.ts) if where \
                    else dict(state=PENDING, claimed_at=None)
                session.execute(update(Reminder).where(Reminder.id == reminder_id, Reminder.state == SENDING)
                                .values(**values))
        logger.info("reconciled %d abandoned reminder(s): %d already in Slack", len(ids), len(set(ids) & set(found)))


def _claim(services: Services, ids: list[int], now: datetime) -> dict[str, list[int]]:
    """Claim these due rows in one conditional UPDATE (pending → sending) and return the ones this
    process won, by person. Rows another worker claimed first are simply not returned."""
    won: dict[str, list[int]] = defaultdict(list)
    with services.sessions.begin() as session:
        for start in range(0, len(ids), 1000):  # keep each statement's parameter list modest
            rows = session.execute(
                update(Reminder)
                .where(Reminder.id.in_(ids[start:start + 1000]), Reminder.state == PENDING, Reminder.due_at <= now)
                .values(state=SENDING, claimed_at=now, attempts=Reminder.attempts + 1)
                .returning(Reminder.id, Reminder.person)
                .execution_options(synchronize_session=False)
            ).all()
            for reminder_id, person in rows:
                won[person].append(reminder_id)
    return {person: sorted(claimed) for person, claimed in won.items()}


def _release(services: Services, ids: list[int], now: datetime, exc: DeliveryError, admins: list[str],
             notifier: ReminderNotifier, person: str) -> None:
    with services.sessions.begin() as session:
        rows = session.scalars(select(Reminder).where(Reminder.id.in_(ids), Reminder.state == SENDING)).all()
        gave_up = exc.permanent or any(row.attempts >= MAX_ATTEMPTS for row in rows)
        retry_at = shift_into_hours(services.calendar, hours(services),
                                    now + timedelta(seconds=exc.retry_after or min(60 * 2 ** max(
                                        (row.attempts for row in rows), default=1), 6 * 3600)))
        for row in rows:
            row.error = str(exc)[:100]
            row.claimed_at = None
            if gave_up:
                row.state, row.closed_at = FAILED, now
            else:
                row.state, row.due_at = PENDING, retry_at
        references = sorted({item.reference for item in _items(session, [row.id for row in rows])})
    if gave_up:
        logger.warning("reminders %s failed for good: %s; telling the panel admin", ids, exc)
        for admin in admins:
            notifier.tell_admin(admin, person, references, str(exc))
    else:
        logger.info("reminders %s will be retried at %s: %s", ids, retry_at.isoformat(), exc)


def send_due_reminders(services: Services, now: datetime, *, limit: int = 5000,
                       sleep: Callable[[float], None] = clock.sleep) -> int:
    """The worker's sweep: one DM per person listing what is due now. Returns how many reminders went."""
    notifier = services.notifier
    if notifier is None or not hasattr(notifier, "send_reminders"):
        return 0
    _reconcile(services, notifier, now)
    with services.sessions() as session:
        due = session.execute(select(Reminder.id, Reminder.person).where(Reminder.state == PENDING,
                                                                          Reminder.due_at <= now)
                              .order_by(Reminder.due_at, Reminder.id).limit(limit)).all()
    by_person: dict[str, list[int]] = defaultdict(list)
    for reminder_id, person in due:
        if len(by_person[person]) < MAX_ITEMS_PER_DM:
            by_person[person].append(reminder_id)
    admins = services.people(services.policy.members("panel_admins"))
    # One claim for the whole sweep: a process that dies part-way leaves the rest in `sending`, and the
    # next sweep after the claim timeout checks Slack for each before sending what never went.
    claimed_by_person = _claim(services, [i for ids in by_person.values() for i in ids], now)
    with services.sessions() as session:
        items_by_id = {item.id: item for item in _items(session, [i for ids in claimed_by_person.values()
                                                                   for i in ids])}
    sent = 0
    for person, claimed in claimed_by_person.items():
        items = [items_by_id[i] for i in claimed if i in items_by_id]
        items.sort(key=lambda item: (item.due_at, item.id))
        for attempt in (1, 2):
            try:
                where = notifier.send_reminders(person, items)
            except DeliveryError as exc:
                if exc.retry_after is not None and attempt == 1 and exc.retry_after <= LONGEST_WAIT:
                    sleep(exc.retry_after)  # Slack's rate limit: wait as asked, then go on
                    continue
                _release(services, claimed, now, exc, admins, notifier, person)
                break
            with services.engine.begin() as connection:
                connection.execute(update(Reminder).where(Reminder.id.in_(claimed), Reminder.state == SENDING)
                                   .values(state=SENT, sent_at=now, sent_channel=where.channel, sent_ts=where.ts))
            sent += len(claimed)
            break
    return sent
