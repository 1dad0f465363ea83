"""The outbox: messages owed, written with the change they report, delivered by claiming rows.

A service queues a notice inside its own transaction (`queue_notice`), so a case is never stored
without the messages it owes, nor a message sent about a case that was rolled back. `deliver_due`
sends what is due: right after the request that queued it, and on every worker tick for anything
that failed. Each row is claimed with a conditional UPDATE (pending → sending); a row whose claim
count is not 1 was taken by another process and is skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.notify import DeliveryError, Notice
from bot.services import Services
from bot.services.views import view_of
from store.models import Case, Outbox

logger = logging.getLogger("panelbot.outbox")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_ATTEMPTS = 8
# A row left in `sending` this long was abandoned by a process that died mid-send.
STALE_CLAIM = timedelta(minutes=5)


def queue_notice(session: Session, notice: Notice, case_id: int, recipient: str, now: datetime,
                 *, key: str | None = None) -> None:
    """Add one message to the caller's transaction. The key makes queuing the same message twice a no-op."""
    key = key or f"{notice}:{case_id}:{recipient}"
    if session.scalars(select(Outbox.id).where(Outbox.key == key)).first() is None:
        session.add(Outbox(key=key, kind=str(notice), case_id=case_id, recipient=recipient, state=PENDING,
                           attempts=0, not_before=now, created_at=now))


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return timedelta(seconds=min(30 * 2 ** attempts, 3600))


def _claim(services: Services, row_id: int, now: datetime) -> bool:
    with services.sessions.begin() as session:
        claimed = session.execute(
            update(Outbox)
            .where(Outbox.id == row_id, Outbox.not_before <= now,
                   or_(Outbox.state == PENDING,
                       (Outbox.state == SENDING) & (Outbox.claimed_at < now - STALE_CLAIM)))
            .values(state=SENDING, claimed_at=now, attempts=Outbox.attempts + 1)
        )
        return claimed.rowcount == 1


def deliver_due(services: Services, now: datetime, *, case_id: int | None = None, limit: int = 100) -> int:
    """Send what is due (only `case_id`'s messages, if given). Returns how many were sent."""
    if services.notifier is None:
        return 0
    with services.sessions() as session:
        query = select(Outbox.id).where(
            Outbox.not_before <= now,
            or_(Outbox.state == PENDING, (Outbox.state == SENDING) & (Outbox.claimed_at < now - STALE_CLAIM)),
        )
        if case_id is not None:
            query = query.where(Outbox.case_id == case_id)
        due = session.scalars(query.order_by(Outbox.id).limit(limit)).all()

    sent = 0
    for row_id in due:
        if not _claim(services, row_id, now):
            continue  # another process got there first
        with services.sessions() as session:
            row = session.get_one(Outbox, row_id)
            case = session.get_one(Case, row.case_id)
            view = view_of(services, case, full=True)
            notice, recipient, attempts = Notice(row.kind), row.recipient, row.attempts
        try:
            where = services.notifier.send(notice, view, recipient, outbox_id=row_id)
        except DeliveryError as exc:
            _record_failure(services, row_id, notice, view.reference, attempts, exc, now)
            continue
        with services.sessions.begin() as session:
            session.execute(update(Outbox).where(Outbox.id == row_id).values(
                state=SENT, sent_at=now, sent_channel=where.channel, sent_ts=where.ts, error=None))
            if notice is Notice.CASE_CARD:
                session.execute(update(Case).where(Case.id == view.id).values(
                    card_channel=where.channel, card_ts=where.ts))
        sent += 1
    return sent


def _record_failure(services: Services, row_id: int, notice: Notice, reference: str, attempts: int,
                    exc: DeliveryError, now: datetime) -> None:
    gave_up = exc.permanent or attempts >= MAX_ATTEMPTS
    with services.sessions.begin() as session:
        session.execute(update(Outbox).where(Outbox.id == row_id, Outbox.state == SENDING).values(
            state=FAILED if gave_up else PENDING, error=str(exc)[:100],
            not_before=now + _backoff(attempts, exc.retry_after)))
    logger.warning("outbox %s: %s for case %s %s: %s", row_id, notice, reference,
                   "failed for good" if gave_up else "will be retried", exc)


def worker_job(services: Services, now: datetime) -> int:
    """The worker's tick: retry whatever is due."""
    return deliver_due(services, now)
