"""The outbox: messages owed, written with the change they report, delivered by claiming rows.

A service queues a notice inside its own transaction (`queue_notice`), so a case is never stored
without the messages it owes, nor a message sent about a case that was rolled back. `deliver_due`
sends what is due: right after the request that queued it, and on every worker tick for anything
that failed.

Exactly once. Each row is claimed with a conditional UPDATE (pending → sending) that gives it a
fresh `claim_token` and a lease (`Services.claim_timeout`); a row whose claim count is not 1 was
taken by another process and is skipped. Marking it sent needs the same token. A claim whose lease
ran out (its process died between claiming and marking, or a send's answer was lost: a timeout, a
dropped connection; for DMs also a 500 or 504) may have reached Slack, so whoever takes it over looks before sending:
- a DM: the app's DM history with the person (every page since the claim) is searched for the
  message carrying the row's id in its metadata; found, the row is marked sent;
- a card update: `chat.update` changes nothing when repeated, so it is simply sent again;
- a post in a channel: panelbot does not read channel history (it would read everything people
  write in the forum and panel channels), so the row is marked `unknown` and the panel admins are
  told which case and channel to check. Nothing is posted twice; nothing is lost without a person
  being told. The same for a channel post answered 500 or 504 ("it's possible some aspect of the
  operation succeeded"): in an outage that can be many, each one a person checks, and none doubled.
Permanent errors fail the row at once with Slack's error code; passing ones are retried with
backoff; after a 429 the process-wide `RateGate` holds every later call until Retry-After.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    bindparam,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from bot.addresses import is_person, surface_of
from bot.domain.booking import BookingChange, CalendarInvite, calendar_uid
from bot.domain.calendar import Slot
from bot.domain.cases import CaseView
from bot.domain.decisions import Decided
from bot.notify import (
    About,
    ActionPlanAsk,
    DeliveryError,
    FateUnknown,
    Notice,
    RateGate,
    RemindersFailed,
    Sent,
    StepAssigned,
)
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
from store.db import insert_once, rows_matched
from store.models import Case, CaseCard, Cover, Decision, ForumBooking, Outbox, Provision, Reminder, Visit

logger = logging.getLogger("panelbot.outbox")


def _body(services: Services, payload: dict[str, Any], kind: str) -> str:
    """The body an agenda is for; rows queued before bodies were data name none: the first of its kind."""
    if payload.get("body"):
        return str(payload["body"])
    return next(key for key, body in services.policy.bodies.items() if body.kind == kind)

PENDING, SENDING, SENT, FAILED, UNKNOWN = "pending", "sending", "sent", "failed", "unknown"
MAX_ATTEMPTS = 8
LONGEST_WAIT = 30.0  # seconds the worker waits for a rate limit before leaving the rest for its next tick
CLOCK_SKEW = timedelta(minutes=10)  # how far Slack's clock may be behind ours, when reading history "since"
# Sending these again changes nothing: no need to look in Slack first.
# (A calendar file sent twice holds the same UID and SEQUENCE: the calendar changes nothing.)
_IDEMPOTENT = frozenset({Notice.CARD_UPDATE, Notice.HOME, Notice.CALENDAR_INVITE})
# A DM of these kinds means something of the person's changed: their Home tab is published again.
_REFRESH_HOME = frozenset({Notice.RECEIPT, Notice.DECIDER_NOTICE, Notice.DECISION_NOTICE, Notice.BOOKING_CONFIRMED,
                           Notice.BOOKING_CANCELLED, Notice.PRACTICE_CONCERN, Notice.STEP_ASSIGNED})


def queue_notice(session: Session, notice: Notice, case_id: int | None, recipient: str, now: datetime,
                 *, key: str | None = None, payload: dict[str, Any] | None = None, fresh: bool = False) -> None:
    """Add one message to the caller's transaction. The key makes queuing the same message twice a
    no-op; by default it is the notice, case and recipient, so pass a key for a notice that can recur.

    `fresh=True` says the key cannot exist yet (it names a row this transaction created): the row is
    simply added and goes to the database with the transaction's other inserts, saving round trips.
    """
    key = key or f"{notice}:{case_id}:{recipient}"
    recipient = _in_cover(session, recipient, now)
    if notice in _REFRESH_HOME:
        _add(session, Notice.HOME, case_id, recipient, now, f"home:{key}", None, fresh)
    _add(session, notice, case_id, recipient, now, key, payload, fresh)


def _add(session: Session, notice: Notice, case_id: int | None, recipient: str, now: datetime, key: str,
         payload: dict[str, Any] | None, fresh: bool) -> None:
    session.info.setdefault(_QUEUED, set()).add(case_id)
    if fresh:
        session.add(Outbox(key=key, kind=str(notice), case_id=case_id, recipient=recipient, state=PENDING,
                           attempts=0, not_before=now, created_at=now, payload=payload))
        return
    # Another process may queue the same key at the same moment: the first to commit wins.
    insert_once(session, Outbox, "key", {"key": key, "kind": str(notice), "case_id": case_id, "recipient": recipient,
                                         "state": PENDING, "attempts": 0, "not_before": now, "created_at": now,
                                         "payload": payload})


# Every transaction that queues a message tells PostgreSQL's `LISTEN`ers on this channel when it commits:
# the worker, when it sends what changes queue (bot.deliveries). The payload is the case's row id
# (empty for messages about no case): panelbot's own number, never a reference or anything typed.
WAKE_CHANNEL = "panelbot_outbox"
_QUEUED = "outbox_queued"  # `Session.info`: the case ids (None: no case) this transaction queued messages for
_COVERS = "outbox_covers"  # `Session.info`: (day, {absent: colleague}) read by this transaction


@event.listens_for(Session, "before_commit", insert=True)  # before the audit chain's head is locked (store.audit)
def _wake_the_sender(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_QUEUED):
        return  # a savepoint's release (queuing may use one), or nothing queued
    cases = session.info.pop(_QUEUED)
    if session.get_bind().dialect.name == "postgresql":
        # Transactional: delivered at this commit, dropped with a rollback.
        for case_id in sorted(cases, key=lambda found: found or 0):
            session.execute(select(func.pg_notify(WAKE_CHANNEL, "" if case_id is None else str(case_id))))


@event.listens_for(Session, "after_transaction_end")
def _forget_queued(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)
        session.info.pop(_COVERS, None)


def card_channels(services: Services, session: Session, row: Case) -> list[str]:
    """The channels a case's card is in, or is owed in: its body's channels (its own first), then
    any other channel it has a card in."""
    body = services.policy.bodies.get(row.route)
    channels = list(body.channels()) if body is not None else []
    for channel in session.scalars(select(CaseCard.channel).where(CaseCard.case_id == row.id).order_by(CaseCard.id)):
        if channel not in channels:
            channels.append(channel)
    return channels


def _per_channel(key: str, index: int, channel: str) -> str:
    """A notice's key in each of a case's channels: the first keeps the key it always had (so an
    upgrade queues nothing twice), the others name their channel."""
    return key if index == 0 else f"{key}:{channel}"


def queue_cards(services: Services, session: Session, row: Case, now: datetime, tag: str, *,
                fresh: bool = False) -> None:
    """The case's card in each of its body's channels: posted where it has none, updated where it has.
    `tag` names this change (the case and its round, say); `fresh`: the case was created in this
    transaction, so it has no card anywhere and the keys cannot exist yet."""
    posted = set() if fresh else set(session.scalars(select(CaseCard.channel).where(CaseCard.case_id == row.id)))
    for index, channel in enumerate(card_channels(services, session, row) if not fresh else
                                    services.policy.bodies[row.route].channels()):
        notice = Notice.CARD_UPDATE if channel in posted else Notice.CASE_CARD
        queue_notice(session, notice, row.id, channel, now, key=_per_channel(f"{notice}:{tag}", index, channel),
                     fresh=fresh)


def queue_card_updates(services: Services, session: Session, row: Case, now: datetime, key: str, *,
                       thread_reply: dict[str, Any] | None = None, reply_key: str | None = None) -> None:
    """Update the case's card in every channel it is in (a card not yet posted shows the change when it
    goes); with `thread_reply`, the decision is also replied in each card's thread."""
    for index, channel in enumerate(card_channels(services, session, row)):
        queue_notice(session, Notice.CARD_UPDATE, row.id, channel, now, key=_per_channel(key, index, channel))
        if thread_reply is not None and reply_key is not None:
            queue_notice(session, Notice.THREAD_REPLY, row.id, channel, now,
                         key=_per_channel(reply_key, index, channel), payload=thread_reply)


def drop_cards_elsewhere(services: Services, session: Session, row: Case) -> None:
    """The case moved to a body with other channels: its cards in channels that body does not post in
    are forgotten (they stay in Slack or Teams as they were), and new cards go to the new channels."""
    body = services.policy.bodies.get(row.route)
    keep = body.channels() if body is not None else ()
    session.execute(delete(CaseCard).where(CaseCard.case_id == row.id, CaseCard.channel.not_in(keep))
                    .execution_options(synchronize_session=False))


def _in_cover(session: Session, recipient: str, now: datetime) -> str:
    """A DM to someone away goes to the colleague covering for them (bot.services.cover). The day is
    read in UTC, so cover starts and ends at midnight UTC (an hour early in British Summer Time).
    The day's cover is read once a transaction (a change that queues ten DMs asks once)."""
    if not is_person(recipient):
        return recipient  # a channel
    day = now.astimezone(UTC).date()
    known = session.info.get(_COVERS)
    if known is None or known[0] != day:
        covering: dict[str, str] = {}
        # Messages added before this read need not be flushed for it: they go with the transaction's
        # other inserts, in one statement.
        with session.no_autoflush:
            found = session.execute(select(Cover.absent, Cover.colleague).where(
                Cover.first_day <= day, Cover.last_day >= day, Cover.ended_at.is_(None)).order_by(Cover.id)).all()
        for absent, colleague in found:
            covering[absent] = colleague  # the newest cover of a person wins
        known = session.info[_COVERS] = (day, covering)
    return known[1].get(recipient, recipient)


def _about(services: Services, session: Session, row: Any) -> About | None:
    """What the message is about, read fresh at send time (`row` has the outbox row's kind, payload,
    recipient, case_id and created_at). None: nothing to send (a card update before the card itself
    was posted: the card, when it goes, shows the current state)."""
    notice = Notice(row.kind)
    payload = row.payload or {}
    if notice is Notice.REMINDERS_FAILED:
        references = session.execute(
            select(Case.reference, Provision.name).select_from(Reminder)
            .outerjoin(Case, Case.id == Reminder.case_id).outerjoin(Visit, Visit.id == Reminder.visit_id)
            .outerjoin(Provision, Provision.id == Visit.provision_id)
            .where(Reminder.id.in_(payload["reminder_ids"]))).all()
        return RemindersFailed(payload["person"], tuple(sorted({r or p or "" for r, p in references})),
                               payload["error"], unknown=bool(payload.get("unknown")))
    if notice is Notice.DELIVERY_UNKNOWN:
        reference = session.get_one(Case, row.case_id).reference if row.case_id is not None else ""
        return FateUnknown(Notice(payload["kind"]), reference, payload["channel"])
    if notice in (Notice.AGENDA, Notice.CHAIR_AGENDA):
        return agenda_for(services, session, date.fromisoformat(payload["day"]), _body(services, payload, "meeting"))
    if notice is Notice.HOME:
        from bot.services.home import home_of  # home reads views of cases, as this module's callers do

        return home_of(services, row.recipient)
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
    if notice is Notice.CALENDAR_INVITE:
        booking = session.get_one(ForumBooking, payload["booking_id"])
        return CalendarInvite(booking=booking_view(services, booking, case), uid=calendar_uid(case.id),
                              sequence=int(payload["sequence"]), cancelled=bool(payload["cancelled"]),
                              stamp=row.created_at)
    if notice in (Notice.BOOKING_CONFIRMED, Notice.BOOKING_CANCELLED):
        booking = session.get_one(ForumBooking, payload["booking_id"])
        previous = payload.get("previous")
        return BookingChange(
            booking=booking_view(services, booking, case),
            previous=Slot(*map(datetime.fromisoformat, previous)) if previous else None,
            cancelled=notice is Notice.BOOKING_CANCELLED, by=booking.cancelled_by or booking.booked_by,
            at=booking.cancelled_at or booking.booked_at)
    view = view_of(services, case, full=False)
    if notice is Notice.CARD_UPDATE and view.card_on(row.recipient) is None and \
            (surface_of(row.recipient) is not None or view.card_ts is None):  # ("card": queued before 0015)
        return None
    return view


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return timedelta(seconds=min(30 * 2 ** attempts, 3600))


def lease_clock(services: Services, now: datetime) -> datetime:
    """The time leases are measured on: the clock, or the sweep's `now` when that is later (a sweep
    may be run for a given moment). A sweep that runs for minutes renews its leases on the clock,
    so another worker never takes its live claims for abandoned ones."""
    return max(now, services.now())


def new_token() -> str:
    return uuid.uuid4().hex


def is_dm(recipient: str) -> bool:
    return is_person(recipient)


def abandoned(model: Any, at: Any, cutoff: Any) -> ColumnElement[bool]:
    """Claims whose lease ran out by `at` (rows claimed before leases existed: claimed by `cutoff`, which
    is `at` less the claim timeout). `at` and `cutoff` are times, or parameters of a statement built once."""
    return (model.state == SENDING) & or_(model.lease_until <= at,
                                          model.lease_until.is_(None) & (model.claimed_at <= cutoff))


@dataclass(frozen=True)
class _Claimed:
    notice: Notice
    about: About | None
    recipient: str
    attempts: int
    case_id: int | None
    token: str
    taken_over: bool  # it was in `sending` under a lease that ran out: it may be in Slack already
    since: datetime  # when the claim that may have reached Slack began
    reference: str
    covers: int | None = None  # a Home tab: the newest of the person's pending Home rows it was read after


# What people in a channel see of a case: sent before its DMs (handlers.slack.replies.deliver), and within one
# pass DMs go before Home tabs and calendar files (each Home tab is read fresh and is the slowest to build).
CHANNEL_POSTS = frozenset({Notice.CASE_CARD, Notice.CARD_UPDATE, Notice.THREAD_REPLY})
_LAST = frozenset({Notice.HOME, Notice.CALENDAR_INVITE})

# Notices whose subject is the case as it stands, unchanged by sending them: one read serves them all.
_SHARED_VIEW = frozenset({Notice.CASE_CARD, Notice.RECEIPT, Notice.DECIDER_NOTICE})


def _claim_statement() -> Any:
    """The claim of one row, built once (the worker claims every message it sends): one conditional
    UPDATE, no read before it (a SQLite transaction that reads, then writes, can be refused when
    another process wrote in between), returning what the message is. A claim taken over keeps its
    `claimed_at`: the message may be in Slack since then. A row another transaction is claiming right
    now is skipped, not waited for (PostgreSQL's SKIP LOCKED; SQLite's changes go one at a time): the
    worker's tick had waited past the lock timeout behind a claim."""
    at = bindparam("at", type_=Outbox.claimed_at.type)
    cutoff = bindparam("cutoff", type_=Outbox.claimed_at.type)  # `at` less the claim timeout
    due = (Outbox.not_before <= bindparam("now", type_=Outbox.not_before.type),
           or_(Outbox.state == PENDING, abandoned(Outbox, at, cutoff)))
    free = select(Outbox.id).where(Outbox.id == bindparam("row_id"), *due).with_for_update(skip_locked=True)
    return (update(Outbox).where(Outbox.id == free.scalar_subquery(), *due)
            .values(state=SENDING, claim_token=bindparam("token"),
                    lease_until=bindparam("lease_until", type_=Outbox.lease_until.type),
                    claimed_at=case((Outbox.state == SENDING, Outbox.claimed_at), else_=at),
                    attempts=Outbox.attempts + 1)
            .returning(Outbox.claimed_at, Outbox.created_at, Outbox.kind, Outbox.recipient, Outbox.case_id,
                       Outbox.attempts, Outbox.payload))


_CLAIM = _claim_statement()
# A Home row is left to a later one of the same person, queued by a later change, unless it has waited
# this long: a team manager's Home is published once for a burst of cases, not once per case, and at
# least this often while the burst lasts.
HOME_LAG = timedelta(seconds=5)
_later = Outbox.__table__.alias("later")
# A pending Home row younger than HOME_LAG is marked sent ("superseded") when a later Home row of the
# same person is due now: one statement, before any claim, so a burst's Homes cost one write each.
_SUPERSEDED = (update(Outbox).where(
    Outbox.id == bindparam("row_id"), Outbox.kind == str(Notice.HOME), Outbox.state == PENDING,
    Outbox.created_at > bindparam("since", type_=Outbox.created_at.type),
    exists().where(_later.c.kind == str(Notice.HOME), _later.c.recipient == Outbox.recipient,
                   _later.c.state == PENDING, _later.c.id > Outbox.id,
                   _later.c.not_before <= bindparam("now", type_=Outbox.not_before.type)))
    .values(state=SENT, sent_at=bindparam("now", type_=Outbox.sent_at.type), error="superseded"))
_REFERENCE = select(Case.reference).where(Case.id == bindparam("case_id"))


def _claim(services: Services, row_id: int, kind: str, now: datetime,
           views: dict[int, About | None]) -> _Claimed | None:
    """Claim one row (pending, or abandoned under a lease that ran out), then read what it is about.
    None when another process claimed it first, or when it is a Home a later Home row covers.

    The claim commits before the read: a write transaction holds SQLite's one write lock (and, on
    PostgreSQL, the row) until it ends, and a Home read inside it kept people's changes waiting for
    the lock (bench/bench_submit.py)."""
    at = lease_clock(services, now)
    token = new_token()
    with services.sessions.begin() as session:
        if kind == Notice.HOME and cast(CursorResult[Any], session.connection().execute(_SUPERSEDED, {
                "row_id": row_id, "since": now - HOME_LAG, "now": now})).rowcount:
            return None  # a later change queued this person's Home again, due now: that publish shows this one
        # Core on the session's connection: the statement is complete, and the ORM's bookkeeping of
        # it cost the worker more than the statement (py-spy, bench/bench_slow_slack.py).
        row = session.connection().execute(_CLAIM, {
            "row_id": row_id, "now": now, "at": at, "cutoff": at - services.claim_timeout, "token": token,
            "lease_until": at + services.claim_timeout}).one_or_none()
        if row is None:
            return None
        covers = None
        if row.kind == Notice.HOME:
            # Every Home row of this person queued so far is read by the one publish below: it is
            # read after them (home_of opens its session after this query), so it shows their changes.
            covers = session.scalar(select(func.max(Outbox.id)).where(
                Outbox.kind == str(Notice.HOME), Outbox.recipient == row.recipient, Outbox.state == PENDING))
    notice = Notice(row.kind)
    with services.sessions() as session:
        try:
            if notice in _SHARED_VIEW and row.case_id is not None:
                if row.case_id not in views:
                    views[row.case_id] = _about(services, session, row)
                about = views[row.case_id]
            else:
                about = _about(services, session, row)
        except NoResultFound:  # what it was about was erased since it was queued: nothing to send
            about = None
        if isinstance(about, CaseView):
            reference = about.reference
        elif row.case_id is not None:
            reference = session.scalar(_REFERENCE, {"case_id": row.case_id}) or ""
        else:
            reference = ""
    return _Claimed(notice, about, row.recipient, row.attempts, row.case_id, token, row.claimed_at != at,
                    row.claimed_at or row.created_at, reference, covers)


def deliver_due(services: Services, now: datetime, *, case_id: int | None = None, limit: int = 100,
                longest_wait: float = 0.0, sleep: Callable[[float], None] = time.sleep,
                kinds: frozenset[Notice] | None = None, caseless: bool = False) -> int:
    """Send what is due (only `case_id`'s messages, or only those about no case with `caseless`, or
    only these `kinds`, if given). Returns how many were sent.

    While a rate limit holds, it waits up to `longest_wait` seconds for it (the worker), else leaves
    the rest for later (a request thread never waits)."""
    notifier = services.notifier
    if notifier is None:
        return 0
    gate: RateGate = getattr(notifier, "gate", None) or RateGate()
    at = lease_clock(services, now)
    with services.sessions() as session:
        query = select(Outbox.id).where(
            Outbox.not_before <= now,
            or_(Outbox.state == PENDING, abandoned(Outbox, at, at - services.claim_timeout)),
        )
        if case_id is not None:
            query = query.where(Outbox.case_id == case_id)
        elif caseless:
            query = query.where(Outbox.case_id.is_(None))
        if kinds is not None:
            query = query.where(Outbox.kind.in_([str(kind) for kind in kinds]))
        order = case((Outbox.kind.in_([str(kind) for kind in CHANNEL_POSTS]), 0),
                     (Outbox.kind.in_([str(kind) for kind in _LAST]), 2), else_=1)
        due = session.execute(query.add_columns(Outbox.kind).order_by(order, Outbox.id).limit(limit)).all()

    sent = 0
    views: dict[int, About | None] = {}
    for row_id, kind in due:
        if not gate.wait(sleep, longest_wait):
            break  # a 429's Retry-After holds: the rest wait for a later pass
        claimed = _claim(services, row_id, kind, now, views)
        if claimed is None:
            continue  # another process got there first
        if claimed.about is None:
            _mark_sent(services, row_id, claimed.token, None, now)
            continue
        if claimed.taken_over and claimed.notice not in _IDEMPOTENT and _settled(services, row_id, claimed, now):
            continue
        if claimed.attempts > MAX_ATTEMPTS:  # certainly not in Slack, and every try has been made
            _record_failure(services, row_id, claimed, DeliveryError("gave up", permanent=True, code="gave_up"), now)
            continue
        try:
            where = notifier.send(claimed.notice, claimed.about, claimed.recipient, outbox_id=row_id)
        except DeliveryError as exc:
            _record_failure(services, row_id, claimed, exc, now)
            continue
        card_of = claimed.case_id if claimed.notice is Notice.CASE_CARD else None
        _mark_sent(services, row_id, claimed.token, where, now, card_of=card_of, card_in=claimed.recipient)
        if claimed.covers is not None:
            _supersede_homes(services, claimed.recipient, claimed.covers, now)
        sent += 1
    return sent


def _supersede_homes(services: Services, recipient: str, upto: int, now: datetime) -> None:
    """Mark sent the person's pending Home rows that a publish just covered: a busy team manager's
    Home is published once for fifty cases submitted at once, not fifty times (each read of a Home
    reads every case waiting on them)."""
    with services.sessions.begin() as session:
        session.execute(update(Outbox).where(
            Outbox.kind == str(Notice.HOME), Outbox.recipient == recipient, Outbox.state == PENDING,
            Outbox.id <= upto).values(state=SENT, sent_at=now, error="superseded"))


def _settled(services: Services, row_id: int, claimed: _Claimed, now: datetime) -> bool:
    """Before sending a message again that may be in Slack already: True when that is settled
    without sending (found and marked sent; a channel post marked unknown; or history unreadable
    for now, so the row waits), False when it is certainly not in Slack."""
    notifier = services.notifier
    assert notifier is not None
    if not is_dm(claimed.recipient) or claimed.notice is Notice.THREAD_REPLY:
        _mark_unknown(services, row_id, claimed, "no_answer", now)
        return True
    try:
        found = notifier.outbox_already_sent(claimed.recipient, row_id, claimed.since - CLOCK_SKEW)
    except DeliveryError as exc:
        if exc.permanent:  # no history to look in (Teams keeps none a bot can read): a person checks
            _mark_unknown(services, row_id, claimed, exc.code, now)
        else:
            _park(services, row_id, claimed, exc, now)
        return True
    if found is None:
        return False
    _mark_sent(services, row_id, claimed.token, found, now, card_of=claimed.case_id
               if claimed.notice is Notice.CASE_CARD else None, card_in=claimed.recipient)
    logger.info("outbox %s: %s for case id %s was already in Slack; not sent again", row_id, claimed.notice,
                claimed.case_id)
    return True


# Marking a message sent, built once (every message sent is marked) and run through Core.
_SENT = (update(Outbox).where(Outbox.id == bindparam("row_id"), Outbox.claim_token == bindparam("token"))
         .values(state=SENT, sent_at=bindparam("now", type_=Outbox.sent_at.type), sent_channel=bindparam("channel"),
                 sent_ts=bindparam("ts"), error=None, claim_token=None, lease_until=None))
_CARD_GONE = delete(CaseCard).where(CaseCard.case_id == bindparam("case_id"), CaseCard.channel == bindparam("channel"))
_CARD = insert(CaseCard).values(case_id=bindparam("case_id"), channel=bindparam("channel"), ts=bindparam("ts"),
                                posted_at=bindparam("now", type_=CaseCard.posted_at.type))


def _mark_sent(services: Services, row_id: int, token: str, where: Sent | None, now: datetime, *,
               card_of: int | None = None, card_in: str = "") -> None:
    with services.sessions.begin() as session:
        connection = session.connection()
        marked = connection.execute(_SENT, {"row_id": row_id, "token": token, "now": now,
                                            "channel": where.channel if where else None,
                                            "ts": where.ts if where else None}).rowcount
        if marked != 1:
            logger.warning("outbox %s: sent, but its claim had been taken over", row_id)
        if card_of is not None and where is not None:  # the card in this channel (a newer one replaces it)
            card = {"case_id": card_of, "channel": card_in or where.channel, "ts": where.ts, "now": now}
            connection.execute(_CARD_GONE, card)
            connection.execute(_CARD, card)


def _park(services: Services, row_id: int, claimed: _Claimed, exc: DeliveryError, now: datetime) -> None:
    """The message may be in Slack: keep the row in `sending` under a lease that runs out after the
    backoff, so the next pass after it looks in Slack before sending."""
    at = lease_clock(services, now)
    wait = _backoff(claimed.attempts, exc.retry_after)
    with services.sessions.begin() as session:
        session.execute(update(Outbox).where(Outbox.id == row_id, Outbox.claim_token == claimed.token).values(
            claim_token=None, lease_until=at + wait, not_before=now + wait, error=exc.code[:100]))
    logger.warning("outbox %s: %s for case id %s: %s; Slack is checked before it is sent again", row_id,
                   claimed.notice, claimed.case_id, exc.code)


def _mark_unknown(services: Services, row_id: int, claimed: _Claimed, code: str, now: datetime) -> None:
    """A channel post whose fate Slack did not tell us: not posted again. In the same transaction,
    each panel admin is owed a DM saying which case and channel to check (itself an outbox row, so
    that it, too, goes exactly once)."""
    channel = claimed.recipient
    if surface_of(channel) is None and isinstance(claimed.about, Decided) and claimed.about.case.card_channel:
        channel = claimed.about.case.card_channel  # a reply queued before 0015 named no channel
    admins = services.people(services.policy.members("panel_admins"))  # (may ask Slack: not inside the transaction)
    with services.sessions.begin() as session:
        marked = rows_matched(session, update(Outbox).where(Outbox.id == row_id, Outbox.claim_token == claimed.token)
                              .values(state=UNKNOWN, error=code[:100], claim_token=None, lease_until=None))
        if marked != 1:
            return
        for admin in admins:
            queue_notice(session, Notice.DELIVERY_UNKNOWN, claimed.case_id, admin, now,
                         key=f"{Notice.DELIVERY_UNKNOWN}:{row_id}:{admin}",
                         payload={"kind": str(claimed.notice), "channel": channel})
    logger.warning("outbox %s: %s for case id %s may or may not be in channel %s (%s); the panel admins are told",
                   row_id, claimed.notice, claimed.case_id, channel, code)


def _record_failure(services: Services, row_id: int, claimed: _Claimed, exc: DeliveryError, now: datetime) -> None:
    # A DM that may be in Slack is looked for before it is sent again. A channel post that may be
    # there (no answer, or a 500 or 504: "some aspect of the operation may have succeeded") is marked
    # unknown and a person checks: it is never posted twice.
    dm = is_dm(claimed.recipient) and claimed.notice is not Notice.THREAD_REPLY
    if exc.maybe_sent and claimed.notice not in _IDEMPOTENT:
        if dm:  # never given up here: the next pass looks in Slack first
            _park(services, row_id, claimed, exc, now)
        else:
            _mark_unknown(services, row_id, claimed, exc.code, now)
        return
    gave_up = exc.permanent or claimed.attempts >= MAX_ATTEMPTS
    with services.sessions.begin() as session:
        session.execute(update(Outbox).where(Outbox.id == row_id, Outbox.claim_token == claimed.token).values(
            state=FAILED if gave_up else PENDING, error=exc.code[:100], claim_token=None, lease_until=None,
            claimed_at=None, not_before=now + _backoff(claimed.attempts, exc.retry_after)))
    logger.warning("outbox %s: %s for case id %s %s: %s", row_id, claimed.notice, claimed.case_id,
                   "failed for good" if gave_up else "will be retried", exc.code)


def worker_job(services: Services, now: datetime) -> int:
    """The worker's tick: retry whatever is due, waiting out short rate limits."""
    return deliver_due(services, now, longest_wait=LONGEST_WAIT)
