"""Retention: pseudonymise a person's records once they are past the council's retention period, and
delete the Slack messages panelbot posted about them.

`pseudonymise_due_cases(services, now)` is the worker job. For each case reference whose cases are all
closed, whose placements have no open visit, and whose last activity is older than the policy's
`[retention]` period (`bot.domain.retention`), one transaction:
- writes the reference's stable pseudonym (`store.audit.pseudonym`) over it in cases and placements;
- replaces every free-text field (needs and strengths, outcomes, alternatives, urgent reason, record
  link; decisions' reasons, conditions, information needed, practice concerns and actions; review
  notes) with a tombstone, "[erased 2026-11-30 under retention]";
- withdraws anything still owed about it (reminders, unsent messages);
- queues the Slack messages it posted about the case (case card, thread replies, DMs; reminder DMs
  about this person alone) for deletion in `message_deletion`;
- appends a `case.pseudonymised` audit row.
The audit itself is untouched: it only ever held the pseudonym, so the chain still verifies.
Then `delete_erased_messages` asks Slack to delete each queued message, claiming each row first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.domain.retention import is_past_retention, kept_until, tombstone
from bot.notify import DeliveryError, MessageEraser
from bot.services import Services
from store.audit import (
    PSEUDONYM_PREFIX,
    SYSTEM_ACTOR,
    claim_delivery,
    hold_chain,
    pseudonym,
    record_audit,
    session_key,
)
from store.db import rows_matched
from store.models import (
    Case,
    CaseCard,
    Decision,
    FollowUp,
    ForumBooking,
    MessageDeletion,
    Outbox,
    Placement,
    Reminder,
    Review,
    SpotCheck,
    Visit,
    VisitStep,
)

logger = logging.getLogger("panelbot.retention")

PENDING, DELETING, DELETED, FAILED = "pending", "deleting", "deleted", "failed"
MAX_ATTEMPTS = 8
OPEN_VISIT = ("due", "planned")
CASE_TEXT = ("strengths_and_needs", "outcomes", "alternatives", "urgent_reason", "record_link")
DECISION_TEXT = ("reason", "conditions", "info_needed", "practice_concern", "concern_actions")


@dataclass(frozen=True)
class Held:
    """What retention needs to know about one reference."""

    reference: str
    services: list[str]  # the services of its cases, and "placements" if it has any
    open: bool  # an open case, or an open visit for one of its placements
    last_activity: date | None


def _latest(*dates: date | datetime | None) -> date | None:
    days = [d.date() if isinstance(d, datetime) else d for d in dates if d is not None]
    return max(days) if days else None


def held(session: Session, reference: str) -> Held:
    """The reference's services, whether anything is still open, and the day of its last activity:
    the latest submission, update, decision, booking, review, follow-up (done or due), placement start,
    visit (due, planned or done) or visit step (due or finished)."""
    cases = session.scalars(select(Case).where(Case.reference == reference)).all()
    case_ids = [row.id for row in cases]
    placements = session.scalars(select(Placement).where(Placement.child_reference == reference)).all()
    placement_ids = [row.id for row in placements]
    visits = session.scalars(select(Visit).where(Visit.placement_id.in_(placement_ids))).all()
    visit_ids = [row.id for row in visits]

    def latest(*columns: Any, where: Any) -> list[Any]:
        return list(session.execute(select(*(func.max(column) for column in columns)).where(where)).one())

    dates: list[Any] = [row.updated_at for row in cases] + [row.submitted_at for row in cases]
    dates += latest(Decision.decided_at, where=Decision.case_id.in_(case_ids))
    dates += latest(ForumBooking.starts_at, ForumBooking.cancelled_at, where=ForumBooking.case_id.in_(case_ids))
    dates += latest(Review.reviewed_at, where=Review.case_id.in_(case_ids))
    dates += latest(FollowUp.due_on, FollowUp.done_at, where=FollowUp.case_id.in_(case_ids))
    dates += [row.starts_on for row in placements] + [row.created_at for row in placements]
    dates += [d for row in visits for d in (row.due_on, row.planned_on, row.done_on)]
    dates += latest(VisitStep.due_on, VisitStep.finished_on, where=VisitStep.visit_id.in_(visit_ids))
    services = sorted({row.service for row in cases} | ({"placements"} if placements else set()))
    return Held(
        reference=reference,
        services=services,
        open=any(row.is_open for row in cases) or any(row.state in OPEN_VISIT for row in visits),
        last_activity=_latest(*dates),
    )


def is_due(services: Services, found: Held, today: date) -> bool:
    return (not found.open and found.last_activity is not None
            and is_past_retention(services.policy.retention, found.services, found.last_activity, today))


def candidates(session: Session, services: Services, today: date) -> list[str]:
    """References that might be past retention: closed, not yet pseudonymised, and with nothing newer
    than the shortest period. `held` decides for each."""
    retention = services.policy.retention
    cutoff = today - relativedelta(years=min(retention.adults, retention.children_send, retention.placements))
    found = set(session.scalars(select(Case.reference).distinct().where(
        ~Case.is_open, Case.updated_at < datetime.combine(cutoff, time.min, tzinfo=UTC),
        ~Case.reference.startswith(PSEUDONYM_PREFIX, autoescape=True))))
    found |= set(session.scalars(select(Placement.child_reference).distinct().where(
        Placement.starts_on < cutoff, ~Placement.child_reference.startswith(PSEUDONYM_PREFIX, autoescape=True))))
    return sorted(found)


def pseudonymise_due_cases(services: Services, now: datetime) -> int:
    """The worker job: once a day (the first tick of each London day claims it), pseudonymise every
    reference past retention; on every tick, delete what Slack still shows about them. Returns how
    many references were pseudonymised."""
    today = services.calendar.local_date(now)
    with services.sessions.begin() as session:
        first_today = claim_delivery(session, f"retention:{today.isoformat()}", now)
    done = 0
    if first_today:
        with services.sessions() as session:
            due = [reference for reference in candidates(session, services, today)
                   if is_due(services, held(session, reference), today)]
        done = sum(1 for reference in due if pseudonymise_reference(services, reference, now))
    delete_erased_messages(services, now)
    return done


def pseudonymise_reference(services: Services, reference: str, now: datetime) -> bool:
    """Pseudonymise one reference if it is (still) past retention. False when it no longer is."""
    today = services.calendar.local_date(now)
    erased = tombstone(today)
    with services.sessions.begin() as session:
        # The person's rows first, then the chain head: the order every audited change takes them in,
        # so retention never deadlocks with a service (PostgreSQL; SQLite has one write lock and
        # ignores FOR UPDATE). Holding the head makes a second worker wait, then find nothing due.
        session.execute(select(Case.id).where(Case.reference == reference).with_for_update())
        session.execute(select(Placement.id).where(Placement.child_reference == reference).with_for_update())
        hold_chain(session)
        found = held(session, reference)
        if not is_due(services, found, today):
            return False  # something happened since the scan, or another worker got there first
        assert found.last_activity is not None
        alias = pseudonym(session_key(session), reference)
        cases = session.scalars(select(Case).where(Case.reference == reference)).all()
        case_ids = [row.id for row in cases]
        placement_ids = list(session.scalars(select(Placement.id).where(Placement.child_reference == reference)))
        visit_ids = list(session.scalars(select(Visit.id).where(Visit.placement_id.in_(placement_ids))))
        messages = _messages_about(session, case_ids, visit_ids, cases)
        for row in cases:
            row.reference = alias
            for field in CASE_TEXT:
                if getattr(row, field) is not None:
                    setattr(row, field, erased)
            row.updated_at = now
        for decision in session.scalars(select(Decision).where(Decision.case_id.in_(case_ids))):
            for field in DECISION_TEXT:
                if getattr(decision, field) is not None:
                    setattr(decision, field, erased)
        session.execute(update(Review).where(Review.case_id.in_(case_ids), Review.notes.is_not(None))
                        .values(notes=erased))
        session.execute(update(SpotCheck).where(SpotCheck.case_id.in_(case_ids), SpotCheck.actions.is_not(None))
                        .values(actions=erased))
        session.execute(update(Placement).where(Placement.id.in_(placement_ids)).values(child_reference=alias))
        session.execute(update(Reminder).where(
            (Reminder.case_id.in_(case_ids)) | (Reminder.visit_id.in_(visit_ids)),
            Reminder.state.in_(("pending", "sending"))).values(state="withdrawn", closed_at=now))
        session.execute(update(Outbox).where(Outbox.case_id.in_(case_ids), Outbox.state.in_(("pending", "sending")))
                        .values(state="failed", error="withdrawn: erased under retention"))
        queued = _queue_deletions(session, messages, now)
        record_audit(
            session, at=now, actor=SYSTEM_ACTOR, action="case.pseudonymised", subject_type="case",
            subject_id=reference,
            before={"cases": case_ids, "placements": placement_ids, "services": found.services,
                    "last_activity": found.last_activity.isoformat(),
                    "kept_until": kept_until(services.policy.retention, found.services,
                                             found.last_activity).isoformat()},
            after={"reference": "pseudonymised", "free_text": erased, "slack_messages_to_delete": queued},
        )
    logger.info("pseudonymised a reference past retention: %d case(s), %d placement(s), %d message(s) to delete",
                len(case_ids), len(placement_ids), queued)
    return True


def _messages_about(session: Session, case_ids: list[int], visit_ids: list[int],
                    cases: Sequence[Case]) -> dict[tuple[str, str], int | None]:
    """The Slack messages panelbot posted about these cases and visits: (channel, ts) → case id."""
    found: dict[tuple[str, str], int | None] = {}
    for card in session.execute(select(CaseCard.case_id, CaseCard.channel, CaseCard.ts).where(
            CaseCard.case_id.in_([row.id for row in cases]))):
        found[(card.channel, card.ts)] = card.case_id
    for case_id, channel, ts in session.execute(select(Outbox.case_id, Outbox.sent_channel, Outbox.sent_ts).where(
            Outbox.case_id.in_(case_ids), Outbox.sent_ts.is_not(None))):
        if channel and ts:  # (a message is sent to a channel and stamped with both, or with neither)
            found.setdefault((channel, ts), case_id)
    # A reminder DM can list several people's cases: it goes only when every reminder in it is about this person.
    ours = session.execute(select(Reminder.case_id, Reminder.sent_channel, Reminder.sent_ts).where(
        (Reminder.case_id.in_(case_ids)) | (Reminder.visit_id.in_(visit_ids)), Reminder.sent_ts.is_not(None))).all()
    for case_id, channel, ts in ours:
        if not (channel and ts):
            continue
        others = session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.sent_channel == channel, Reminder.sent_ts == ts,
            ~((Reminder.case_id.in_(case_ids)) | (Reminder.visit_id.in_(visit_ids)))))
        if not others:
            found.setdefault((channel, ts), case_id)
    return found


def _queue_deletions(session: Session, messages: dict[tuple[str, str], int | None], now: datetime) -> int:
    queued = 0
    for (channel, ts), case_id in sorted(messages.items()):
        if session.scalar(select(MessageDeletion.id).where(MessageDeletion.channel == channel,
                                                           MessageDeletion.ts == ts)) is None:
            session.add(MessageDeletion(case_id=case_id, channel=channel, ts=ts, state=PENDING, attempts=0,
                                        created_at=now))
            queued += 1
    return queued


def delete_erased_messages(services: Services, now: datetime) -> int:
    """Ask Slack to delete each queued message, once: each row is claimed (pending → deleting) with a
    conditional update first. A row left `deleting` by a crash is claimed again after the claim
    timeout (deleting twice is harmless: a message already gone counts as deleted)."""
    eraser = services.notifier
    if not isinstance(eraser, MessageEraser):
        return 0  # no chat surface that can delete (a test or tool without one): the rows wait
    stale = now - services.claim_timeout
    claimable = (MessageDeletion.state == PENDING) | (
        (MessageDeletion.state == DELETING) & (MessageDeletion.claimed_at <= stale))
    with services.sessions() as session:
        ids = list(session.scalars(select(MessageDeletion.id).where(claimable).order_by(MessageDeletion.id)))
    deleted = 0
    for row_id in ids:
        with services.sessions.begin() as session:
            claim = update(MessageDeletion).where(MessageDeletion.id == row_id, claimable).values(
                state=DELETING, claimed_at=now, attempts=MessageDeletion.attempts + 1)
            claimed = rows_matched(session, claim)
            row = session.get_one(MessageDeletion, row_id) if claimed == 1 else None
            target = (row.channel, row.ts, row.attempts) if row else None
        if target is None:
            continue  # another worker process got there first
        channel, ts, attempts = target
        values: dict[str, Any]
        try:
            eraser.delete_message(channel, ts)
            values, deleted = {"state": DELETED, "done_at": now, "error": None}, deleted + 1
        except DeliveryError as exc:
            gives_up = exc.permanent or attempts >= MAX_ATTEMPTS
            values = {"state": FAILED if gives_up else PENDING, "error": str(exc)[:100],
                      "done_at": now if gives_up else None}
            logger.warning("could not delete a Slack message under retention (%s)%s", exc,
                           "; giving up" if gives_up else "; will retry")
        with services.sessions.begin() as session:
            session.execute(update(MessageDeletion).where(MessageDeletion.id == row_id).values(**values))
    return deleted
