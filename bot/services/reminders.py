"""Reminders: written when something happens, withdrawn or moved when it changes, and sent by the
worker's sweep so that none is lost and none is doubled.

The sweep (`send_due_reminders`) claims due rows a few people at a time with one conditional
UPDATE (pending → sending, a fresh claim token, a lease of `Services.claim_timeout`, RETURNING the
ids it won), sends each person one DM listing theirs whose metadata carries the ids, then marks them
sent (only while it still holds the token). Before a DM, once a third of the lease has gone, it
renews the lease (the heartbeat), so a slow Slack never makes another worker take its live claims
for abandoned ones.

A claim whose lease ran out belonged to a process that died, or to a DM whose answer was lost (a
timeout, a dropped connection, a 500): the DM may be in Slack. The sweep takes such claims over
with a conditional UPDATE on the old token (so two sweeps never both do), reads the person's DM
history since the claim (every page), marks the rows it finds there as sent, and puts only the rest
back to be sent. Permanent errors fail the rows at once with Slack's error code and the panel admin
is told; after a 429 the process-wide `RateGate` holds every later call until Retry-After.
"""

from __future__ import annotations

import logging
import time as clock
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot import markup
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
from bot.notify import DeliveryError, Notice, RateGate, ReminderNotifier
from bot.refusals import Refusal
from bot.services import Services
from bot.services.outbox import abandoned, deliver_due, queue_notice
from store.audit import record_audit
from store.db import insert_all_once, insert_once, rows_matched
from store.models import Case, FollowUp, Provision, Reminder, Visit

logger = logging.getLogger("panelbot.reminders")

PENDING, SENDING, SENT, DONE, WITHDRAWN, FAILED = "pending", "sending", "sent", "done", "withdrawn", "failed"
# A reminder that may or may not have reached the person, on a surface whose messages cannot be read
# back (Teams): it is not sent again, and the panel admins are told to check with the person.
UNKNOWN = "unknown"
MAX_ATTEMPTS = 6
MAX_ITEMS_PER_DM = 15  # what one DM can list within Slack's 50 blocks (messages.slack.reminders)
LONGEST_WAIT = 30.0  # seconds the sweep will wait for a rate limit before leaving the rest for later
CLAIM_BATCH = 50  # people claimed at a time: a second worker shares the sweep; the lease is renewed meanwhile
CLOCK_SKEW = timedelta(minutes=10)  # how far Slack's clock may be behind ours, when reading history "since"


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
    insert_once(session, Reminder, "key", _reminder(kind=kind, case_id=case_id, person=person, due_at=due_at, why=why,
                                                    now=now, about_id=about_id, late_person=late_person,
                                                    visit_id=visit_id))


def _reminder(*, kind: ReminderKind, case_id: int | None, person: str, due_at: datetime, why: str, now: datetime,
              about_id: int | None = None, late_person: str | None = None,
              visit_id: int | None = None) -> dict[str, Any]:
    key = f"{kind}:{case_id or 'v' + str(visit_id)}:{about_id or 0}:{person}"
    return {"key": key, "person": person, "case_id": case_id, "visit_id": visit_id, "kind": str(kind),
            "about_id": about_id, "why": why[:300], "late_person": late_person, "due_at": due_at, "state": PENDING,
            "attempts": 0, "created_at": now}


def withdraw(session: Session, case_id: int | None, kinds: Iterable[ReminderKind], now: datetime, *,
             about_id: int | None = None, visit_id: int | None = None) -> int:
    """Withdraw the case's (or the visit's) reminders of these kinds that have not gone yet (the thing
    they were about changed: a slot cancelled, a decision made, a review or a visit step done).
    Returns how many."""
    subject = Reminder.visit_id == visit_id if visit_id is not None else Reminder.case_id == case_id
    query = update(Reminder).where(subject, Reminder.kind.in_([str(k) for k in kinds]), Reminder.state == PENDING)
    if about_id is not None:
        query = query.where(Reminder.about_id == about_id)
    return rows_matched(session, query.values(state=WITHDRAWN, closed_at=now))


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
    reminders = [_reminder(kind=ReminderKind.DECISION_WAITING, case_id=row.id, person=person, due_at=nudge_at,
                           why=since, now=now, about_id=row.round) for person in deciders]
    if timing.escalate_to is not None:
        late = deciders[0] if len(deciders) == 1 else None
        reminders += [_reminder(kind=ReminderKind.DECISION_OVERDUE, case_id=row.id, person=manager,
                                due_at=escalate_at, why=since, now=now, about_id=row.round, late_person=late)
                      for manager in services.people(services.policy.members(timing.escalate_to))
                      if manager not in (row.submitter, row.attendee)]
    insert_all_once(session, Reminder, "key", reminders)  # one execution for them all


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


# -- cover -----------------------------------------------------------------------------------------

def hand_over_in_cover(services: Services, now: datetime) -> int:
    """The worker's job, before each sweep: the reminders due today for someone away go to the colleague
    covering for them (bot.services.cover), who may then mark them done or snooze them. Audited once a
    reminder. Returns how many were handed over."""
    from bot.services.cover import active_covers

    today = services.calendar.local_date(now)
    covers = active_covers(services, today)
    if not covers:
        return 0
    horizon = services.calendar.instant(today + timedelta(days=1), services.policy.working_days.reminder_hours.start)
    moved = 0
    with services.sessions.begin() as session:
        for colleague, absentees in covers.items():
            for absent in absentees:
                rows = session.scalars(select(Reminder).where(
                    Reminder.person == absent, Reminder.state == PENDING, Reminder.due_at < horizon)).all()
                for row in rows:
                    handed = rows_matched(session,
                        update(Reminder).where(Reminder.id == row.id, Reminder.person == absent,
                                               Reminder.state == PENDING)
                        .values(person=colleague,
                                why=f"covering for {markup.person(absent)}: {row.why}"[:300]))
                    if handed == 1:
                        record_audit(session, at=now, actor="panelbot", on_behalf_of=absent,
                                     action="reminder.handed_over", subject_type="reminder",
                                     subject_id=str(row.id), before={"person": absent},
                                     after={"person": colleague})
                        moved += 1
    return moved


# -- Done and Snooze -------------------------------------------------------------------------------

def _own_reminder(session: Session, reminder_id: int, user: str) -> Reminder:
    # Locked (PostgreSQL): four presses at once wait in line, and each after the first sees its change.
    row = session.get(Reminder, reminder_id, with_for_update=True)
    if row is None or row.person != user:
        raise ReminderRefused(Refusal.REMINDER_NOT_YOURS)
    if row.state in (DONE, WITHDRAWN):
        raise ReminderRefused(Refusal.REMINDER_CLOSED)
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
        if row.state == PENDING and row.due_at > now:  # snoozed already (a repeat press, a retried delivery)
            raise ReminderRefused(Refusal.REMINDER_SNOOZED, until=row.due_at)
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


def _lease_clock(services: Services, now: datetime) -> datetime:
    """Leases are measured on the clock, or on the sweep's `now` when that is later (a sweep may be
    run for a given moment)."""
    return max(now, services.now())


def _abandoned(services: Services, at: datetime) -> Any:
    """Claims whose lease ran out by `at` (rows claimed before leases existed: `claimed_at` + timeout)."""
    return abandoned(Reminder, at, at - services.claim_timeout)


def _reconcile(services: Services, notifier: ReminderNotifier, now: datetime) -> bool:
    """Claims whose lease ran out: those Slack has are marked sent, the rest go back to be sent (or,
    after every try, fail). True when some failed for good (the admins are owed a DM)."""
    at = _lease_clock(services, now)
    with services.sessions() as session:
        stale = session.execute(select(Reminder.person).where(_abandoned(services, at)).distinct()).scalars().all()
    failed_for_good = False
    for person in stale:
        token = uuid.uuid4().hex
        with services.sessions.begin() as session:  # take them over: only one sweep reconciles a row
            taken = session.execute(
                update(Reminder).where(Reminder.person == person, _abandoned(services, at))
                .values(claim_token=token, lease_until=at + services.claim_timeout)
                .returning(Reminder.id, Reminder.claimed_at, Reminder.attempts)
                .execution_options(synchronize_session=False)).all()
        if not taken:
            continue
        ids = [reminder_id for reminder_id, _, _ in taken]
        since = min((claimed_at for _, claimed_at, _ in taken if claimed_at is not None), default=None)
        try:
            found = notifier.reminders_already_sent(person, since - CLOCK_SKEW if since else None)
        except DeliveryError as exc:
            if exc.permanent:  # it cannot be looked for (Teams keeps no history a bot can read)
                _mark_unknown(services, person, ids, token, exc.code, now)
                failed_for_good = True
                continue
            logger.warning("could not check reminders %s already sent (%s); left for later", ids, exc.code)
            with services.sessions.begin() as session:  # checked again once this lease runs out
                session.execute(update(Reminder).where(Reminder.id.in_(ids), Reminder.claim_token == token)
                                .values(claim_token=None, lease_until=at + timedelta(seconds=exc.retry_after or 60)))
            continue
        exhausted = [reminder_id for reminder_id, _, attempts in taken
                     if reminder_id not in found and attempts >= MAX_ATTEMPTS]
        admins = services.people(services.policy.members("panel_admins")) if exhausted else []
        with services.sessions.begin() as session:
            for reminder_id in ids:
                where = found.get(reminder_id)
                values = dict(state=SENT, sent_at=now, sent_channel=where.channel, sent_ts=where.ts) if where \
                    else dict(state=FAILED, closed_at=now) if reminder_id in exhausted \
                    else dict(state=PENDING, claimed_at=None)
                session.execute(update(Reminder).where(Reminder.id == reminder_id, Reminder.claim_token == token)
                                .values(claim_token=None, lease_until=None, **values))
            if exhausted:  # certainly not in Slack, after every try: a person must step in
                _owe_admins(session, admins, person, exhausted, "no_answer", now)
        logger.info("reconciled %d abandoned reminder(s): %d already in Slack", len(ids), len(set(ids) & set(found)))
        if exhausted:
            failed_for_good = True
            logger.warning("reminders %s failed for good after %d tries; telling the panel admin", exhausted,
                           MAX_ATTEMPTS)
    return failed_for_good


def _mark_unknown(services: Services, person: str, ids: list[int], token: str, code: str, now: datetime) -> None:
    """Reminders whose answer was lost, where the surface cannot be asked whether they went: not sent
    again (nothing is posted twice), and in the same transaction each panel admin is owed a DM naming
    the person and the cases, so a person checks (nothing is lost without someone being told). The
    reminders stay open: the person can still mark them Done."""
    admins = services.people(services.policy.members("panel_admins"))  # (may ask the directory: not in the transaction)
    with services.sessions.begin() as session:
        marked = session.execute(
            update(Reminder).where(Reminder.id.in_(ids), Reminder.claim_token == token)
            .values(state=UNKNOWN, error=code[:100], claim_token=None, lease_until=None)
            .returning(Reminder.id).execution_options(synchronize_session=False)).scalars().all()
        if marked:
            _owe_admins(session, admins, person, sorted(marked), code, now, unknown=True)
    logger.warning("reminders %s may or may not have been delivered (%s); not sent again, the panel admins are told",
                   sorted(marked), code)


def _owe_admins(session: Session, admins: list[str], person: str, ids: list[int], code: str, now: datetime,
                *, unknown: bool = False) -> None:
    """In the transaction that fails the reminders, each panel admin is owed a DM saying so. It is an
    outbox row, so it goes exactly once: after a crash, and after a rate limit, too."""
    payload: dict[str, object] = {"reminder_ids": sorted(ids), "person": person, "error": code}
    if unknown:
        payload["unknown"] = True
    for admin in admins:
        queue_notice(session, Notice.REMINDERS_FAILED, None, admin, now,
                     key=f"{Notice.REMINDERS_FAILED}:{ids[0]}:{admin}:{now.isoformat()}", payload=payload)


def _claim(services: Services, ids: list[int], now: datetime, token: str | None = None) -> dict[str, list[int]]:
    """Claim these due rows in one conditional UPDATE (pending → sending) under `token`, and return
    the ones this process won, by person. Rows another worker claimed first are simply not returned."""
    at = _lease_clock(services, now)
    won: dict[str, list[int]] = defaultdict(list)
    with services.sessions.begin() as session:
        for start in range(0, len(ids), 1000):  # keep each statement's parameter list modest
            rows = session.execute(
                update(Reminder)
                .where(Reminder.id.in_(ids[start:start + 1000]), Reminder.state == PENDING, Reminder.due_at <= now)
                .values(state=SENDING, claimed_at=at, attempts=Reminder.attempts + 1,
                        claim_token=token or uuid.uuid4().hex, lease_until=at + services.claim_timeout)
                .returning(Reminder.id, Reminder.person)
                .execution_options(synchronize_session=False)
            ).all()
            for reminder_id, person in rows:
                won[person].append(reminder_id)
    return {person: sorted(claimed) for person, claimed in won.items()}


def _renew(services: Services, token: str, now: datetime) -> None:
    """The heartbeat: this sweep is alive, its claims are not to be taken over."""
    at = _lease_clock(services, now)
    with services.engine.begin() as connection:
        connection.execute(update(Reminder).where(Reminder.claim_token == token, Reminder.state == SENDING)
                           .values(lease_until=at + services.claim_timeout))


def _release(services: Services, ids: list[int], token: str, now: datetime, exc: DeliveryError,
             admins: list[str], person: str) -> bool:
    """Put back or fail rows whose DM failed. True when they failed for good (the admins are owed a DM)."""
    at = _lease_clock(services, now)
    with services.sessions.begin() as session:
        rows = session.scalars(select(Reminder).where(Reminder.id.in_(ids), Reminder.claim_token == token)).all()
        # A DM that may be in Slack is never given up here: the reconciliation looks first.
        gave_up = exc.permanent or (not exc.maybe_sent and any(row.attempts >= MAX_ATTEMPTS for row in rows))
        wait = exc.retry_after or min(60 * 2 ** max((row.attempts for row in rows), default=1), 6 * 3600)
        retry_at = shift_into_hours(services.calendar, hours(services), now + timedelta(seconds=wait))
        for row in rows:
            row.error = exc.code[:100]
            row.claim_token = None
            if gave_up:
                row.state, row.closed_at, row.lease_until = FAILED, now, None
            elif exc.maybe_sent:  # it may be in Slack: stays claimed until then, and is looked for first
                row.lease_until = at + (retry_at - now)
            else:
                row.state, row.due_at, row.claimed_at, row.lease_until = PENDING, retry_at, None, None
        if gave_up and rows:
            _owe_admins(session, admins, person, [row.id for row in rows], exc.code, now)
    if gave_up:
        logger.warning("reminders %s failed for good: %s; telling the panel admin", ids, exc.code)
    elif exc.maybe_sent:
        logger.info("reminders %s: %s; Slack is checked at %s before they are sent again", ids, exc.code,
                    retry_at.isoformat())
    else:
        logger.info("reminders %s will be retried at %s: %s", ids, retry_at.isoformat(), exc.code)
    return gave_up


def _unclaim(services: Services, ids: list[int], token: str) -> None:
    """Claimed but not tried (a rate limit holds): back to pending, as if never claimed."""
    with services.sessions.begin() as session:
        session.execute(update(Reminder).where(Reminder.id.in_(ids), Reminder.claim_token == token).values(
            state=PENDING, claim_token=None, lease_until=None, claimed_at=None, attempts=Reminder.attempts - 1))


def send_due_reminders(services: Services, now: datetime, *, limit: int = 5000,
                       sleep: Callable[[float], None] = clock.sleep) -> int:
    """The worker's sweep: one DM per person listing what is due now. Returns how many reminders went."""
    notifier = services.notifier
    if not isinstance(notifier, ReminderNotifier):
        return 0
    gate: RateGate = getattr(notifier, "gate", None) or RateGate()
    if not gate.wait(sleep, LONGEST_WAIT):
        return 0
    failed_for_good = _reconcile(services, notifier, now)
    with services.sessions() as session:
        due = session.execute(select(Reminder.id, Reminder.person).where(Reminder.state == PENDING,
                                                                          Reminder.due_at <= now)
                              .order_by(Reminder.due_at, Reminder.id).limit(limit)).all()
    by_person: dict[str, list[int]] = defaultdict(list)
    for reminder_id, person in due:
        if len(by_person[person]) < MAX_ITEMS_PER_DM:
            by_person[person].append(reminder_id)
    admins = services.people(services.policy.members("panel_admins"))
    people = list(by_person)
    sent = 0
    for start in range(0, len(people), CLAIM_BATCH):
        batch = people[start:start + CLAIM_BATCH]
        token = uuid.uuid4().hex
        claimed_by_person = _claim(services, [i for person in batch for i in by_person[person]], now, token)
        with services.sessions() as session:
            items_by_id = {item.id: item for item in _items(session, [i for ids in claimed_by_person.values()
                                                                       for i in ids])}
        waiting = list(claimed_by_person.items())
        rate_limited: set[str] = set()
        renewed = _lease_clock(services, now)
        while waiting:
            person, claimed = waiting.pop(0)
            if not gate.wait(sleep, LONGEST_WAIT):  # a long rate limit: the rest wait for a later sweep
                _unclaim(services, [i for _, ids in [(person, claimed), *waiting] for i in ids], token)
                return sent  # (admins owed a DM get it on the worker's next tick)
            if _lease_clock(services, now) - renewed >= services.claim_timeout / 3:
                renewed = _lease_clock(services, now)
                _renew(services, token, now)  # the heartbeat, whenever a third of the lease has gone
            items = sorted((items_by_id[i] for i in claimed if i in items_by_id), key=lambda i: (i.due_at, i.id))
            try:
                where = notifier.send_reminders(person, items)
            except DeliveryError as exc:
                if exc.code == "ratelimited" and not exc.maybe_sent and person not in rate_limited:
                    rate_limited.add(person)
                    gate.close_for(exc.retry_after or 1.0)  # (the notifier's own gate is closed already)
                    waiting.insert(0, (person, claimed))  # not sent: tried once more when the gate opens
                    continue
                failed_for_good = _release(services, claimed, token, now, exc, admins, person) or failed_for_good
                continue
            with services.engine.begin() as connection:
                connection.execute(_MARK_SENT, {"ids": claimed, "token": token, "at": now, "channel": where.channel,
                                                "ts": where.ts})
            sent += len(claimed)
    if failed_for_good:
        deliver_due(services, now, kinds=_ADMIN_NOTICES)
    return sent


_ADMIN_NOTICES = frozenset({Notice.REMINDERS_FAILED})
# Built once: the sweep runs it once a DM, and building it each time cost more than running it.
_MARK_SENT = (update(Reminder)
              .where(Reminder.id.in_(bindparam("ids", expanding=True)), Reminder.claim_token == bindparam("token"))
              .values(state=SENT, sent_at=bindparam("at"), sent_channel=bindparam("channel"), sent_ts=bindparam("ts"),
                      claim_token=None, lease_until=None))
