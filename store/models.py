"""SQLAlchemy models. Every timestamp is an aware UTC datetime (see `UTCDateTime`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.types import UTCDateTime

# Named constraints so Alembic migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# The length of a person's, a user group's or a channel's id on any surface, and of a message's id
# there. Slack's are short ("U0…", "C0…", a ts); Teams' are not: "teams:" + a 36-character Entra
# object id for a person, "teams:19:…@thread.tacv2" (about 80) for a channel, activity ids for messages.
SURFACE_ID = 255
# Idempotency keys name the person or channel they are for (see bot/services), so they outgrow an id.
KEY = 512


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Audit(Base):
    """One row per state change: who, acting for whom, what, before/after, when (UTC).

    Append-only: the migrations add triggers that refuse UPDATE and DELETE on both backends, and the
    app's database role may only INSERT and SELECT. Tamper-evident: `row_hash` is a keyed HMAC over
    the row and the previous row's hash (see store/audit.py). Rows carry pseudonyms of case
    references, row ids, amounts and stages, never references, names or free text.
    """

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(SURFACE_ID))  # a person's id, or "panelbot" for the system
    on_behalf_of: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The head of the audit chain: one row, the last audit row's id and hash.

    Every append updates it first, in the appending transaction, so appends are serialised (its row
    lock on PostgreSQL, the write lock on SQLite) and each new row follows the last committed one.
    """

    __tablename__ = "audit_chain"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class Delivery(Base):
    """A request or action already handled, by its idempotency key.

    Slack retries deliveries and people double-click; the unique key makes the second one a no-op
    inside the same transaction as the work it guards.
    """

    __tablename__ = "delivery"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime]


class Case(Base):
    """One funding request, from submission to decision.

    At most one open case per case reference: a partial unique index on `reference` where
    `is_open`, so two submissions racing for the same person give one case on both backends.
    Free-text fields (strengths and needs, outcomes, alternatives, urgent reason) are shown only in
    modals and DMs to people with a role on the case; they never go into channels, logs or audit rows.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("uq_case_open_reference", "reference", unique=True,
              sqlite_where=text("is_open"), postgresql_where=text("is_open")),
        # Reports read these columns of every case: from this narrow index, not past the free text.
        Index("ix_cases_report", "id", "route", "service", "request_type", "stage", "proposed_weekly",
              "current_weekly", "submitted_at", "updated_at", "follow_on_body"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(64), index=True)  # SQLite cannot use the partial index for lookups
    submission_key: Mapped[str] = mapped_column(String(SURFACE_ID), unique=True)  # the surface's form id
    service: Mapped[str] = mapped_column(String(32))
    request_type: Mapped[str] = mapped_column(String(32))
    proposed_weekly: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    ras_weekly: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    current_weekly: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    hours_per_month: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    respite_weeks_per_year: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    urgent: Mapped[bool] = mapped_column(Boolean)
    urgent_reason: Mapped[str | None] = mapped_column(Text)
    strengths_and_needs: Mapped[str] = mapped_column(Text)
    outcomes: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JSON)
    record_link: Mapped[str | None] = mapped_column(String(500))
    submitter: Mapped[str] = mapped_column(String(SURFACE_ID), index=True)
    team_manager: Mapped[str] = mapped_column(String(SURFACE_ID), index=True)
    attendee: Mapped[str | None] = mapped_column(String(SURFACE_ID), index=True)
    route: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    then: Mapped[list[str]] = mapped_column(JSON)
    practitioner_must_attend: Mapped[bool] = mapped_column(Boolean)
    attendance: Mapped[list[str]] = mapped_column(JSON)
    evidence_required: Mapped[list[str]] = mapped_column(JSON)
    stage: Mapped[str] = mapped_column(String(40))
    is_open: Mapped[bool] = mapped_column(Boolean)
    panel_day: Mapped[date | None] = mapped_column(Date)
    panel_starts_at: Mapped[datetime | None]
    panel_location: Mapped[str | None] = mapped_column(String(64))
    papers_due: Mapped[date | None] = mapped_column(Date)
    panel_late_for: Mapped[date | None] = mapped_column(Date)
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # +1 on each resubmission
    tier_role: Mapped[str | None] = mapped_column(String(64))  # a person body: the tier whose limits cover it
    follow_on_body: Mapped[str | None] = mapped_column(String(32))  # who endorses or ratifies the decision
    carried_from: Mapped[date | None] = mapped_column(Date)  # a panel sitting it was listed for and not heard at
    renews_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)  # the package it renews
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseCard(Base):
    """A case's card in one channel: where it was posted (`channel`, as the case's body names it) and
    the message's id there (`ts`: Slack's timestamp, Teams' activity id). A body may post its cards in
    a Slack channel and a Teams channel both: one row each. Card updates and the decision's thread reply
    go to every card of the case; a case moved to a body with other channels gets new cards there.
    """

    __tablename__ = "case_cards"
    __table_args__ = (UniqueConstraint("case_id", "channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(SURFACE_ID))
    ts: Mapped[str] = mapped_column(String(SURFACE_ID))
    posted_at: Mapped[datetime]


class Outbox(Base):
    """A message panelbot owes someone, written in the same transaction as the change it reports.

    The sender claims a row with a conditional update (`state` from pending to sending, a fresh
    `claim_token`, `lease_until` a short while ahead), sends, then records the Slack message it made.
    A claim whose lease ran out belonged to a process that died (or a send whose answer was lost):
    the message carries the row's id in its metadata, so it is looked for in Slack before any resend.
    `state` is pending, sending, sent, failed, or unknown (a channel message whose fate Slack did
    not tell us; the panel admin is asked to check).
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "not_before"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(KEY), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(SURFACE_ID))
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    sent_channel: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    sent_ts: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    error: Mapped[str | None] = mapped_column(String(100))  # an error code, never message text
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]  # the claim is live until then; its owner renews it
    payload: Mapped[dict[str, Any] | None]  # what the message needs beyond its case: ids and dates only
    created_at: Mapped[datetime]


class ForumBooking(Base):
    """A case's slot at a meeting body (the Enhanced Peer Forum). Cancelled bookings are kept.

    Two partial unique indexes make double booking impossible in the database itself, on SQLite
    and PostgreSQL alike: one live booking per body and slot start, and one live booking per case.
    """

    __tablename__ = "forum_booking"
    __table_args__ = (
        Index("uq_forum_booking_live_slot", "body", "starts_at", unique=True,
              sqlite_where=text("cancelled_at IS NULL"), postgresql_where=text("cancelled_at IS NULL")),
        Index("uq_forum_booking_live_case", "case_id", unique=True,
              sqlite_where=text("cancelled_at IS NULL"), postgresql_where=text("cancelled_at IS NULL")),
        Index("ix_forum_booking_day", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    body: Mapped[str] = mapped_column(String(32), default="forum", server_default="forum")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)  # the sitting's local date
    booked_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    booked_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(SURFACE_ID))


class Decision(Base):
    """A decision, endorsement or ratification. Exactly one of each kind per case and round: the
    unique constraint is what makes two chairs clicking at once, a double click or a Slack retry
    give one decision. Reasons and conditions are shown in the case's thread; the practice concern
    only to the worker's line manager."""

    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("case_id", "round", "kind", name="uq_decision_once"),
        # Reports select decisions by when they were made and read only these columns (not the reasons).
        Index("ix_decision_report", "decided_at", "kind", "outcome", "case_id", "round", "amended_weekly"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    amended_weekly: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    conditions: Mapped[str | None] = mapped_column(Text)
    info_needed: Mapped[str | None] = mapped_column(Text)
    practice_concern: Mapped[str | None] = mapped_column(Text)
    concern_actions: Mapped[str | None] = mapped_column(Text)
    stage_after: Mapped[str] = mapped_column(String(40))
    decided_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    decided_for: Mapped[str | None] = mapped_column(String(SURFACE_ID))  # whom the decider covered for, if anyone
    decided_at: Mapped[datetime]


class SittingAttendance(Base):
    """Who was present at a panel's sitting, as its chair or admin recorded it (for quorum)."""

    __tablename__ = "sitting_attendance"
    __table_args__ = (UniqueConstraint("body", "day", "person", name="uq_sitting_attendance_once"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    body: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    person: Mapped[str] = mapped_column(String(SURFACE_ID))
    recorded_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    recorded_at: Mapped[datetime]


class Cover(Base):
    """A person away (`absent`) and the colleague who acts in their place, from `first_day` to
    `last_day` inclusive (local dates); `ended_at` when cancelled early."""

    __tablename__ = "cover"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    absent: Mapped[str] = mapped_column(String(SURFACE_ID), index=True)
    colleague: Mapped[str] = mapped_column(String(SURFACE_ID), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class FollowUp(Base):
    """A review or resubmission an agreed package needs, with its due date (used by the reminders)."""

    __tablename__ = "follow_up"
    # One follow-up of a kind per case and due date (a case has a review after every review).
    __table_args__ = (UniqueConstraint("case_id", "kind", "due_on", name="uq_follow_up_due"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # "review" or "resubmission"
    due_on: Mapped[date] = mapped_column(Date, index=True)
    why: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class Reminder(Base):
    """A nudge panelbot owes someone: who, about which case, why, when, and where it has got to.

    Written by the services when something happens; `due_at` is already inside working hours. The
    sender claims due rows with a conditional update (pending → sending, with a claim token and a
    lease it renews while it works); the DM carries the rows' ids in its metadata, so a row whose
    lease ran out is reconciled with Slack before any resend. `key` makes writing the same reminder
    twice a no-op.
    """

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(KEY), unique=True)
    person: Mapped[str] = mapped_column(String(SURFACE_ID))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)  # None: about a visit
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    about_id: Mapped[int | None] = mapped_column(BigInteger)  # the booking, follow-up or visit step it is about
    why: Mapped[str] = mapped_column(String(300))
    late_person: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12))  # pending, sending, sent, done, withdrawn, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    sent_channel: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    sent_ts: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    error: Mapped[str | None] = mapped_column(String(100))  # an error code, never message text
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]  # the claim is live until then; its owner renews it
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Review(Base):
    """A review of an agreed package (seed 001: has the person's quality of life improved?)."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up.id"))
    quality_of_life: Mapped[str] = mapped_column(String(20))
    package: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)  # free text: shown only to people with a role on the case
    reviewed_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    reviewed_at: Mapped[datetime]


def provision_key(name: str) -> str:
    """What makes two provisions' names the same: case and the spaces around them do not count."""
    return name.strip().casefold()


class Provision(Base):
    """A provider's setting that placement commissioning officers visit (seed 002). Organisations are
    named; children never are (placements carry the child's case reference only)."""

    __tablename__ = "provision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    # One provision a name, whatever its case: "Oakwood House" and "oakwood house" are the same home.
    name_key: Mapped[str] = mapped_column(String(200), unique=True, default=lambda context: provision_key(
        context.get_current_parameters()["name"]))
    provision_type: Mapped[str] = mapped_column(String(40))
    ofsted_rating: Mapped[str | None] = mapped_column(String(30))
    rated_on: Mapped[date | None] = mapped_column(Date)
    contact: Mapped[str | None] = mapped_column(String(300))  # the provider's contact (an organisation's)
    created_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Placement(Base):
    """A child placed at a provision: the child's case reference, never a name."""

    __tablename__ = "placement"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"), index=True)
    child_reference: Mapped[str] = mapped_column(String(64), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    social_worker: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    iro: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    sen_officer: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    created_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    created_at: Mapped[datetime]


class Concern(Base):
    """An issue or concern raised about a provision; a second one while it is open joins it."""

    __tablename__ = "concern"
    __table_args__ = (
        Index("uq_concern_open", "provision_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"))
    raised_on: Mapped[date] = mapped_column(Date)
    raised_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    joined: Mapped[int] = mapped_column(Integer, default=0)  # further concerns raised while it was open
    closed_at: Mapped[datetime | None]


class ActionPlan(Base):
    """The Ofsted action plan the SQAO requests after an Inadequate or Requires improvement rating."""

    __tablename__ = "action_plan"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"), index=True)
    requested_on: Mapped[date] = mapped_column(Date)
    requested_by: Mapped[str] = mapped_column(String(SURFACE_ID))
    received_on: Mapped[date | None] = mapped_column(Date)


class Visit(Base):
    """A monitoring visit that is due, planned or done, with the rule that made it due."""

    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"), index=True)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id"))
    kind: Mapped[str] = mapped_column(String(30))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    why: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(12))  # due, planned, done, superseded
    planned_on: Mapped[date | None] = mapped_column(Date)
    visitor: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    done_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]


class VisitStep(Base):
    """One step of the chain after a visit; its deadline runs from when the previous step finished."""

    __tablename__ = "visit_step"
    __table_args__ = (UniqueConstraint("visit_id", "step", name="uq_visit_step_once"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    step: Mapped[str] = mapped_column(String(30))
    assignee: Mapped[str] = mapped_column(String(SURFACE_ID))  # a person's or a user group's id
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    finished_on: Mapped[date | None] = mapped_column(Date)
    finished_by: Mapped[str | None] = mapped_column(String(SURFACE_ID))



class MessageDeletion(Base):
    """A Slack message panelbot posted about a case that retention has pseudonymised: to delete.

    Queued in the pseudonymising transaction; the retention job claims each row (pending → deleting)
    and asks Slack to delete the message. One row per message (`channel`, `ts`).
    """

    __tablename__ = "message_deletion"
    __table_args__ = (
        UniqueConstraint("channel", "ts", name="uq_message_deletion_message"),
        Index("ix_message_deletion_due", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(SURFACE_ID))
    ts: Mapped[str] = mapped_column(String(SURFACE_ID))
    state: Mapped[str] = mapped_column(String(12))  # pending, deleting, deleted, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
class SpotCheck(Base):
    """A delegated decision drawn for a quality check (seed 001), and what the checker found.

    One per decision (unique). `state` goes from open to agreed, concern or referred exactly once, by
    a conditional update. `actions` is free text (recommended actions after a practice concern): shown
    only to the checker and the case's team manager, never in a channel, log or audit row.
    """

    __tablename__ = "spot_check"
    __table_args__ = (Index("ix_spot_check_state", "state", "drawn_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"), unique=True)
    round: Mapped[int] = mapped_column(Integer)
    draw: Mapped[Decimal] = mapped_column(Numeric(7, 4))  # 0 ≤ draw < 100, from the decision id and the seed
    threshold: Mapped[Decimal] = mapped_column(Numeric(7, 4))  # the policy's percent when drawn
    why: Mapped[list[str]] = mapped_column(JSON)  # "random", "over_weekly", "request_type"
    state: Mapped[str] = mapped_column(String(12))  # open, agreed, concern, referred
    actions: Mapped[str | None] = mapped_column(Text)
    drawn_at: Mapped[datetime]
    opened_by: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    opened_at: Mapped[datetime | None]
    checked_by: Mapped[str | None] = mapped_column(String(SURFACE_ID))
    checked_at: Mapped[datetime | None]


class TeamsAddress(Base):
    """Where Teams reaches a person or a channel panelbot knows by its id (`address`): a person's
    "teams:<Entra object id>", a channel's "teams:19:…@thread.tacv2".

    The Bot Connector posts into a conversation at a service URL, and neither can be derived from the
    id: both are learnt from the activities Teams sends (an install, a message) and kept here, the
    latest winning. A person's display name too, as Teams sends it (`from.name`), for the cards
    (handlers/teams/names.py): staff only, never anyone a case is about. No email addresses.
    """

    __tablename__ = "teams_addresses"
    __table_args__ = (CheckConstraint("kind IN ('person', 'channel')", name="kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(SURFACE_ID), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "person" or "channel"
    user_id: Mapped[str | None] = mapped_column(String(SURFACE_ID))  # a person's Bot Framework id, "29:…"
    conversation_id: Mapped[str] = mapped_column(String(512))  # the personal chat's or the channel's
    service_url: Mapped[str] = mapped_column(String(512))
    tenant_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(256))  # a person's, as Teams last sent it
    updated_at: Mapped[datetime]
