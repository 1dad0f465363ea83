"""Decisions: their outcomes, what each leads to, the decision form's rules, and the follow-ups
(reviews and resubmissions) an approval creates.

Pure: no Slack, no database, no clock (dates are passed in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from bot.domain.cases import CaseView, Stage
from bot.domain.routing import FollowOn, Service
from bot.refusals import Problem, Refusal


class DecisionKind(StrEnum):
    DECISION = "decision"  # the route's decider: chair, team manager, operations manager, SEND panel chair
    ENDORSEMENT = "endorsement"  # the next panel, of a decision made out of panel (urgent)
    RATIFICATION = "ratification"  # the next panel, of a change to a package signed off outside it


class Outcome(StrEnum):
    APPROVED = "approved"
    APPROVED_WITH_CHANGES = "approved_with_changes"
    DEFERRED = "deferred"  # for more information
    DECLINED = "declined"
    ENDORSED = "endorsed"
    NOT_ENDORSED = "not_endorsed"
    RATIFIED = "ratified"
    NOT_RATIFIED = "not_ratified"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


OUTCOME_LABELS = {
    Outcome.APPROVED: "Approved",
    Outcome.APPROVED_WITH_CHANGES: "Approved with changes",
    Outcome.DEFERRED: "Deferred: more information needed",
    Outcome.DECLINED: "Declined",
    Outcome.ENDORSED: "Endorsed",
    Outcome.NOT_ENDORSED: "Not endorsed",
    Outcome.RATIFIED: "Ratified",
    Outcome.NOT_RATIFIED: "Not ratified",
    Outcome.WITHDRAWN: "Withdrawn",
    Outcome.EXPIRED: "Expired",
}

# Which outcomes each kind of decision offers.
OUTCOMES_FOR = {
    DecisionKind.DECISION: (Outcome.APPROVED, Outcome.APPROVED_WITH_CHANGES, Outcome.DEFERRED, Outcome.DECLINED),
    DecisionKind.ENDORSEMENT: (Outcome.ENDORSED, Outcome.NOT_ENDORSED),
    DecisionKind.RATIFICATION: (Outcome.RATIFIED, Outcome.NOT_RATIFIED),
}

# Which kind of decision a case waits for, by stage.
KIND_AT_STAGE = {
    Stage.AWAITING_BOOKING: DecisionKind.DECISION,
    Stage.BOOKED: DecisionKind.DECISION,
    Stage.AWAITING_SIGN_OFF: DecisionKind.DECISION,
    Stage.LISTED: DecisionKind.DECISION,
    Stage.AWAITING_URGENT_DECISION: DecisionKind.DECISION,
    Stage.AWAITING_ENDORSEMENT: DecisionKind.ENDORSEMENT,
    Stage.AWAITING_RATIFICATION: DecisionKind.RATIFICATION,
}


def stage_after(outcome: Outcome, then: tuple[str, ...]) -> Stage:
    """The case's stage after `outcome`. An approval made out of panel waits for endorsement; a
    change signed off outside panel waits for ratification (`then`, from routing)."""
    if outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_CHANGES):
        if FollowOn.ENDORSEMENT in then:
            return Stage.AWAITING_ENDORSEMENT
        if FollowOn.RATIFICATION in then:
            return Stage.AWAITING_RATIFICATION
        return Stage(outcome.value)
    if outcome is Outcome.ENDORSED and FollowOn.RATIFICATION in then:
        # Endorsed at the same sitting that would ratify it: the endorsement ratifies the change too.
        return Stage.RATIFIED
    return {
        Outcome.DEFERRED: Stage.DEFERRED,
        Outcome.DECLINED: Stage.DECLINED,
        Outcome.ENDORSED: Stage.ENDORSED,
        Outcome.NOT_ENDORSED: Stage.NOT_ENDORSED,
        Outcome.RATIFIED: Stage.RATIFIED,
        Outcome.NOT_RATIFIED: Stage.NOT_RATIFIED,
        Outcome.WITHDRAWN: Stage.WITHDRAWN,
    }[outcome]


def agrees_funding(outcome: Outcome) -> bool:
    """True when the outcome lets support planning start (and so creates reviews)."""
    return outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_CHANGES)


@dataclass(frozen=True)
class FollowUpDue:
    kind: str  # "review" or "resubmission"
    due_on: date
    why: str


def follow_ups(service: Service, decided_on: date, *, send_review_months: int, send_resubmission_months: int,
               adults_first_review_weeks: int) -> list[FollowUpDue]:
    """The reviews an agreed package needs (seeds 000 and 001). Children's SEND: a review at the
    6-monthly Child in Need review and a resubmission to the panel 12 calendar months after the
    decision; adults: a first review some weeks after the package starts ("has the person's quality
    of life improved?"). Dates are calendar dates; the reminders move them onto working days."""
    if service is Service.CHILDREN_SEND:
        return [
            FollowUpDue("review", decided_on + relativedelta(months=send_review_months),
                        f"the {send_review_months}-monthly Child in Need review"),
            FollowUpDue("resubmission", decided_on + relativedelta(months=send_resubmission_months),
                        f"resubmission to the SEND panel {send_resubmission_months} months after the decision"),
        ]
    return [FollowUpDue("review", decided_on + timedelta(weeks=adults_first_review_weeks),
                        f"the first review, {adults_first_review_weeks} weeks after the package starts")]


class DecisionFormError(ValueError):
    """`errors` maps a decision-form field to its refusal, for each surface to word under the field."""

    def __init__(self, errors: Mapping[str, Problem]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = dict(errors)


MAX_TEXT = 3000
MAX_WEEKLY = Decimal("25000.00")


@dataclass(frozen=True)
class DecisionForm:
    outcome: Outcome
    reason: str
    amended_weekly: Decimal | None = None
    conditions: str | None = None
    info_needed: str | None = None
    practice_concern: str | None = None
    concern_actions: str | None = None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def read_decision(outcome: Outcome, raw: dict[str, str | list[str] | None]) -> DecisionForm:
    """Validate the decision modal's fields for `outcome`; every problem at once in DecisionFormError."""
    errors: dict[str, Problem] = {}
    texts = {name: _text(value if isinstance(value, str) else None) for name, value in raw.items()}
    for name, value in texts.items():
        if value is not None and len(value) > MAX_TEXT:
            errors[name] = Problem(Refusal.DECISION_TEXT_TOO_LONG, limit=MAX_TEXT)
    reason = texts.get("reason")
    if reason is None:
        errors["reason"] = Problem(Refusal.REASON_NEEDED)
    amended = None
    if outcome is Outcome.APPROVED_WITH_CHANGES:
        text = (texts.get("amended_weekly") or "").replace("£", "").replace(",", "")
        try:
            amended = Decimal(text)
            if not amended.is_finite() or amended < 0 or amended > MAX_WEEKLY or amended != amended.quantize(
                    Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            errors["amended_weekly"] = Problem(Refusal.AMENDED_WEEKLY_UNREADABLE)
        if texts.get("conditions") is None:
            errors["conditions"] = Problem(Refusal.CONDITIONS_NEEDED)
    if outcome is Outcome.DEFERRED and texts.get("info_needed") is None:
        errors["info_needed"] = Problem(Refusal.INFO_NEEDED_NEEDED)
    if texts.get("practice_concern") is not None and texts.get("concern_actions") is None:
        errors["concern_actions"] = Problem(Refusal.CONCERN_ACTIONS_NEEDED)
    if errors:
        raise DecisionFormError(errors)
    return DecisionForm(
        outcome=outcome, reason=reason or "", amended_weekly=amended.quantize(Decimal("0.01")) if amended else None,
        conditions=texts.get("conditions") if outcome is Outcome.APPROVED_WITH_CHANGES else None,
        info_needed=texts.get("info_needed") if outcome is Outcome.DEFERRED else None,
        practice_concern=texts.get("practice_concern"), concern_actions=texts.get("concern_actions"),
    )


@dataclass(frozen=True)
class DecisionView:
    """A recorded decision, as messages show it. `reason` and the other texts are shown in the case's
    thread and to people with a role on the case; the practice concern goes only to the line manager."""

    kind: DecisionKind
    outcome: Outcome
    reason: str
    decided_by: str
    decided_at: datetime
    amended_weekly: Decimal | None = None
    conditions: str | None = None
    info_needed: str | None = None
    practice_concern: str | None = None
    concern_actions: str | None = None
    stage_after: Stage | None = None
    decided_for: str | None = None  # whom the decider covered for, if anyone


@dataclass(frozen=True)
class PanelAgenda:
    """A panel sitting, as posted at the papers cut-off."""

    day: date
    starts_at: datetime
    location: str
    papers_due: date
    chair: tuple[str, ...]  # Slack user or user-group IDs
    deputy: tuple[str, ...]
    cases: tuple[CaseView, ...]  # listed for a decision, in submission order
    follow_ons: tuple[CaseView, ...]  # waiting for endorsement or ratification at this panel
    body: str = "send_panel"
    body_name: str = "SEND Quality Assurance Panel"
    quorum: tuple[str, ...] = ()  # the roles it needs present, in words; empty when it has no quorum


@dataclass(frozen=True)
class Decided:
    """A case with the decision just made on it: what the thread reply and notices show."""

    case: CaseView
    decision: DecisionView


@dataclass(frozen=True)
class Attendance:
    """A sitting's attendance: who was recorded present, and what its quorum still lacks."""

    body: str
    body_name: str
    day: date
    present: tuple[str, ...]
    missing: tuple[str, ...]  # e.g. "1 more of the parent representatives"; empty when quorate
    quorum: tuple[str, ...]  # the quorum in words, e.g. "1 of the parent representatives"

    @property
    def quorate(self) -> bool:
        return not self.missing
