"""The outbox: messages owed, written with the change they report, delivered by claiming rows.

A service queues a notice inside its own transaction (`queue_notice`), so a case is never stored
without the messages it owes, nor a message sent about a case that was rolled back. `deliver_due`
sends what is due: right after the request that queued it, and on every worker tick for anything
that failed. Each row is claimed with a conditional UPDATE (pending → sending); a row whose claim
count is not 1 was taken by another process and is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.booking import BookingChange
from bot.domain.calendar import Slot
from bot.domain.decisions import Decided
from bot.notify import About, ActionPlanAsk, DeliveryError, Notice, Sent, StepAssigned
from bot.services import Services
from bot.services.views import (
    agenda_for,
    booking_view,
    decision_view,
    panel_agenda_for,
    provision_view,
    view_of,
    visit_view,
)
from store.models import Case, Decision, ForumBooking, Outbox, Provision, Visit

logger = logging.getLogger("panelbot.outbox")


def _body(services: Services, payload: dict[str, Any], kind: str) -> str:
    """The body an agenda is for; rows queued before bodies were data name none: the first of its kind."""
    if payload.get("body"):
        return str(payload["body"])
    return next(key for key, body in services.policy.bodies.items() if body.kind == kind)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_ATTEMPTS = 8


def queue_notice(session: Session, notice: Notice, case_id: int | None, recipient: str, now: datetime,
                 *, key: str | None = None, payload: dict[str, Any] | None = None, fresh: bool = False) -> None:
    """Add one message to the caller's transaction. The key makes queuing the same message twice a
    no-op; by default it is the notice, case and recipient, so pass a key for a notice that can recur.

    `fresh=True` says the key cannot exist yet (it names a row this transaction created): the row is
    simply added and goes to the database with the transaction's other inserts, saving round trips.
    """
    key = key or f"{notice}:{case_id}:{recipient}"
    if fresh:
        session.add(Outbox(key=key, kind=str(notice), case_id=case_id, recipient=recipient, state=PENDING,
                           attempts=0, not_before=now, created_at=now, payload=payload))
        return
    if session.scalars(select(Outbox.id).where(Outbox.key == key)).first() is not None:
        return
    try:
        with session.begin_nested():  # another process may queue the same key at the same moment
            session.add(Outbox(key=key, kind=str(notice), case_id=case_id, recipient=recipient, state=PENDING,
                               attempts=0, not_before=now, created_at=now, payload=payload))
    except IntegrityError:
        pass


def _about(services: Services, session: Session, row: Outbox) -> About | None:
    """What the message is about, read fresh at send time. None: nothing to send (a card update
    before the card itself was posted: the card, when it goes, shows the current state)."""
    notice = Notice(row.kind)
    payload = row.payload or {}
    if notice in (Notice.AGENDA, Notice.CHAIR_AGENDA):
        return agenda_for(services, session, date.fromisoformat(payload["day"]), _body(services, payload, "meeting"))
    if notice is Notice.PANEL_AGENDA:
        day = date.fromisoformat(payload["day"])
        return panel_agenda_for(services, session, day, _body(services, payload, "panel"))
    if notice in (Notice.ACTION_PLAN_NEEDED, Notice.VISIT_PLANNED, Notice.STEP_ASSIGNED):
        if notice is Notice.ACTION_PLAN_NEEDED:
            return ActionPlanAsk(provision_view(session, session.get_one(Provision, payload["provision_id"])),
                                 payload["why"])
        visit = visit_view(session, session.get_one(Visit, payload["visit_id"]))
        if notice is Notice.VISIT_PLANNED:
            return visit
        return StepAssigned(visit, next(s for s in visit.steps if s.step == payload["step"]))
    if notice is Notice.SPOT_CHECK:
        from bot.services.spot_checks import spot_check_notice  # it queues notices through this module
        return spot_check_notice(services, session, payload)
    case = session.get_one(Case, row.case_id)
    if notice in (Notice.THREAD_REPLY, Notice.DECISION_NOTICE, Notice.PRACTICE_CONCERN):
        decision = session.get_one(Decision, payload["decision_id"])
        return Decided(view_of(services, case, full=False),
                       decision_view(decision, concern=notice is Notice.PRACTICE_CONCERN))
    if notice in (Notice.BOOKING_CONFIRMED, Notice.BOOKING_CANCELLED):
        booking = session.get_one(ForumBooking, payload["booking_id"])
        previous = payload.get("previous")
        return BookingChange(
            booking=booking_view(services, booking, case),
            previous=Slot(*map(datetime.fromisoformat, previous)) if previous else None,
            cancelled=notice is Notice.BOOKING_CANCELLED, by=booking.cancelled_by or booking.booked_by,
            at=booking.cancelled_at or booking.booked_at)
    view = view_of(services, case, full=False)
    if notice is Notice.CARD_UPDATE and view.card_ts is None:
        return None
    return view


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return timedelta(seconds=min(30 * 2 ** attempts, 3600))


@dataclass(frozen=True)
class _Claimed:
    notice: Notice
    about: About | None
    recipient: str
    attempts: int
    case_id: int | None


# Notices whose subject is the case as it stands, unchanged by sending them: one read serves them all.
_SHARED_VIEW = frozenset({Notice.CASE_CARD, Notice.RECEIPT, Notice.DECIDER_NOTICE})


def _claim(services: Services, row_id: int, now: datetime, views: dict[int, About | None]) -> _Claimed | None:
    """Claim one row (pending, or abandoned mid-send) and read what it is about, in one transaction.
    None when another process claimed it first."""
    with services.sessions.begin() as session:
        claimed = session.execute(
            update(Outbox)
            .where(Outbox.id == row_id, Outbox.not_before <= now,
                   or_(Outbox.state == PENDING,
                       (Outbox.state == SENDING) & (Outbox.claimed_at < now - services.claim_timeout)))
            .values(state=SENDING, claimed_at=now, attempts=Outbox.attempts + 1)
        )
        if claimed.rowcount != 1:
            return None
        row = session.get_one(Outbox, row_id)
        notice = Notice(row.kind)
        if notice in _SHARED_VIEW and row.case_id is not None:
            if row.case_id not in views:
                views[row.case_id] = _about(services, session, row)
            about = views[row.case_id]
        else:
            about = _about(services, session, row)
        return _Claimed(notice, about, row.recipient, row.attempts, row.case_id)


def deliver_due(services: Services, now: datetime, *, case_id: int | None = None, limit: int = 100) -> int:
    """Send what is due (only `case_id`'s messages, if given). Returns how many were sent."""
    if services.notifier is None:
        return 0
    with services.sessions() as session:
        query = select(Outbox.id).where(
            Outbox.not_before <= now,
            or_(Outbox.state == PENDING,
                (Outbox.state == SENDING) & (Outbox.claimed_at < now - services.claim_timeout)),
        )
        if case_id is not None:
            query = query.where(Outbox.case_id == case_id)
        due = session.scalars(query.order_by(Outbox.id).limit(limit)).all()

    sent = 0
    views: dict[int, About | None] = {}
    for row_id in due:
        claimed = _claim(services, row_id, now, views)
        if claimed is None:
            continue  # another process got there first
        if claimed.about is None:
            _mark_sent(services, row_id, None, now)
            continue
        try:
            where = services.notifier.send(claimed.notice, claimed.about, claimed.recipient, outbox_id=row_id)
        except DeliveryError as exc:
            _record_failure(services, row_id, claimed.notice, claimed.case_id, claimed.attempts, exc, now)
            continue
        card_of = claimed.case_id if claimed.notice is Notice.CASE_CARD else None
        _mark_sent(services, row_id, where, now, card_of=card_of)
        sent += 1
    return sent


def _mark_sent(services: Services, row_id: int, where: Sent | None, now: datetime, *,
               card_of: int | None = None) -> None:
    with services.sessions.begin() as session:
        session.execute(update(Outbox).where(Outbox.id == row_id).values(
            state=SENT, sent_at=now, sent_channel=where.channel if where else None,
            sent_ts=where.ts if where else None, error=None))
        if card_of is not None and where is not None:
            session.execute(update(Case).where(Case.id == card_of).values(card_channel=where.channel,
                                                                           card_ts=where.ts))


def _record_failure(services: Services, row_id: int, notice: Notice, case_id: int | None, attempts: int,
                    exc: DeliveryError, now: datetime) -> None:
    gave_up = exc.permanent or attempts >= MAX_ATTEMPTS
    with services.sessions.begin() as session:
        session.execute(update(Outbox).where(Outbox.id == row_id, Outbox.state == SENDING).values(
            state=FAILED if gave_up else PENDING, error=str(exc)[:100],
            not_before=now + _backoff(attempts, exc.retry_after)))
    logger.warning("outbox %s: %s for case id %s %s: %s", row_id, notice, case_id,
                   "failed for good" if gave_up else "will be retried", exc)


def worker_job(services: Services, now: datetime) -> int:
    """The worker's tick: retry whatever is due."""
    return deliver_due(services, now)
