"""Case stages, the transitions between them, and the plain view of a case that messages render.

Pure: no Slack, no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain.bodies import BodyKind
from bot.domain.calendar import Slot
from bot.domain.routing import RequestType, Service

if TYPE_CHECKING:  # decisions imports this module
    from bot.domain.decisions import DecisionView


class Stage(StrEnum):
    # Open: the case waits on someone.
    AWAITING_BOOKING = "awaiting_booking"  # forum: the worker books a slot
    BOOKED = "booked"  # forum: a slot is booked
    AWAITING_SIGN_OFF = "awaiting_sign_off"  # delegated: the team manager signs off
    LISTED = "listed"  # SEND panel: on the agenda of a sitting
    AWAITING_URGENT_DECISION = "awaiting_urgent_decision"  # urgent: the operations manager decides now
    AWAITING_ENDORSEMENT = "awaiting_endorsement"  # decided out of panel: the next panel endorses or not
    AWAITING_RATIFICATION = "awaiting_ratification"  # a change signed off outside panel: the panel ratifies
    DEFERRED = "deferred"  # more information needed: the worker resubmits the same case
    # Closed.
    APPROVED = "approved"
    APPROVED_WITH_CHANGES = "approved_with_changes"
    DECLINED = "declined"
    ENDORSED = "endorsed"
    NOT_ENDORSED = "not_endorsed"
    RATIFIED = "ratified"
    NOT_RATIFIED = "not_ratified"
    ENDED = "ended"  # a review found the package is no longer needed
    WITHDRAWN = "withdrawn"


# A case in an open stage is "in flight": at most one per case reference (a unique index).
OPEN_STAGES = frozenset(
    {Stage.AWAITING_BOOKING, Stage.BOOKED, Stage.AWAITING_SIGN_OFF, Stage.LISTED, Stage.AWAITING_URGENT_DECISION,
     Stage.AWAITING_ENDORSEMENT, Stage.AWAITING_RATIFICATION, Stage.DEFERRED}
)
# Stages in which the route's decider makes the decision.
DECISION_STAGES = frozenset(
    {Stage.AWAITING_BOOKING, Stage.BOOKED, Stage.AWAITING_SIGN_OFF, Stage.LISTED, Stage.AWAITING_URGENT_DECISION}
)

STAGE_LABELS = {
    Stage.AWAITING_BOOKING: "waiting for a slot to be booked",
    Stage.BOOKED: "booked into a sitting",
    Stage.AWAITING_SIGN_OFF: "waiting for sign-off",
    Stage.LISTED: "listed for a panel sitting",
    Stage.AWAITING_URGENT_DECISION: "waiting for an urgent decision",
    Stage.AWAITING_ENDORSEMENT: "decided out of panel, waiting for endorsement at the next sitting",
    Stage.AWAITING_RATIFICATION: "signed off, waiting for ratification at the next sitting",
    Stage.DEFERRED: "deferred for more information",
    Stage.APPROVED: "approved",
    Stage.APPROVED_WITH_CHANGES: "approved with changes",
    Stage.DECLINED: "declined",
    Stage.ENDORSED: "endorsed by the panel",
    Stage.NOT_ENDORSED: "not endorsed by the panel",
    Stage.RATIFIED: "ratified by the panel",
    Stage.NOT_RATIFIED: "not ratified by the panel",
    Stage.ENDED: "ended at a review",
    Stage.WITHDRAWN: "withdrawn",
}

def first_stage(kind: BodyKind, urgent: bool) -> Stage:
    """Where a new case starts, by the kind of body that decides it."""
    if kind is BodyKind.MEETING:
        return Stage.AWAITING_BOOKING
    if kind is BodyKind.PANEL:
        return Stage.LISTED
    return Stage.AWAITING_URGENT_DECISION if urgent else Stage.AWAITING_SIGN_OFF


# Waiting for another body's endorsement or ratification: the decision is made, so the reference is
# free for a correction of the package (a new case), while the follow-on stays in that body's queue.
FOLLOW_ON_STAGES = frozenset({Stage.AWAITING_ENDORSEMENT, Stage.AWAITING_RATIFICATION})

# What a decision may lead to, before any follow-on step is added (see bot/domain/decisions.py).
_DECIDED = frozenset({Stage.APPROVED, Stage.APPROVED_WITH_CHANGES, Stage.DEFERRED, Stage.DECLINED,
                      Stage.AWAITING_ENDORSEMENT, Stage.AWAITING_RATIFICATION, Stage.WITHDRAWN})

# The allowed moves. Anything not here is refused by the services.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.AWAITING_BOOKING: frozenset({Stage.BOOKED}) | _DECIDED,
    Stage.BOOKED: frozenset({Stage.AWAITING_BOOKING}) | _DECIDED,
    Stage.AWAITING_SIGN_OFF: _DECIDED,
    Stage.LISTED: _DECIDED,
    Stage.AWAITING_URGENT_DECISION: _DECIDED,
    Stage.AWAITING_ENDORSEMENT: frozenset({Stage.ENDORSED, Stage.NOT_ENDORSED, Stage.AWAITING_RATIFICATION}),
    Stage.AWAITING_RATIFICATION: frozenset({Stage.RATIFIED, Stage.NOT_RATIFIED}),
    # A review of an agreed package: a change goes to the panel for ratification; or it ends.
    **{agreed: frozenset({Stage.AWAITING_RATIFICATION, Stage.ENDED})
       for agreed in (Stage.APPROVED, Stage.APPROVED_WITH_CHANGES, Stage.ENDORSED, Stage.RATIFIED)},
    # A deferred case is resubmitted with what was missing: it starts its route again.
    Stage.DEFERRED: frozenset({Stage.AWAITING_BOOKING, Stage.AWAITING_SIGN_OFF, Stage.LISTED,
                               Stage.AWAITING_URGENT_DECISION, Stage.WITHDRAWN}),
}


def can_move(current: Stage, to: Stage) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


def is_open(stage: Stage) -> bool:
    """True while the case holds its reference: at most one such case per reference."""
    return stage in OPEN_STAGES and stage not in FOLLOW_ON_STAGES


def is_waiting(stage: Stage) -> bool:
    """True while somebody still has something to do on the case (follow-ons included)."""
    return stage in OPEN_STAGES


@dataclass(frozen=True)
class PanelListing:
    """The panel sitting a case is listed for."""

    day: date
    starts_at: datetime
    location: str
    papers_due: date
    late_for: date | None = None  # the sitting it missed because its papers were late, if any
    carried_from: date | None = None  # the sitting it was listed for and not heard at, if any


@dataclass(frozen=True)
class CaseView:
    """What a message needs to show a case. Free-text fields are None unless the viewer may see them.

    Channel messages (the case card) must never use the free-text fields; DMs and modals shown to
    people with a role on the case may.
    """

    id: int
    reference: str
    service: Service
    request_type: RequestType
    proposed_weekly: Decimal
    ras_weekly: Decimal | None
    current_weekly: Decimal | None
    hours_per_month: Decimal | None
    respite_weeks_per_year: Decimal | None
    urgent: bool
    route: str  # the deciding body's key in the policy
    body_name: str
    body_kind: BodyKind
    reasons: tuple[str, ...]
    then: tuple[str, ...]
    practitioner_must_attend: bool
    attendance: tuple[str, ...]
    evidence_required: tuple[str, ...]
    evidence_attached: tuple[str, ...]
    stage: Stage
    submitter: str  # Slack user ID of the practitioner
    team_manager: str | None
    attendee: str | None  # advanced practitioner / service manager attending with the worker
    deciders: tuple[str, ...]  # Slack user or user-group IDs who decide this route (for mentions)
    submitted_at: datetime
    tier_role: str | None = None  # the role whose limits cover the case, at a person body
    follow_on_name: str | None = None  # the body that endorses or ratifies the decision
    panel: PanelListing | None = None
    slot: Slot | None = None  # the forum slot booked for the case, if any
    card_channel: str | None = None  # where the case's first card was posted, once it has been
    card_ts: str | None = None
    cards: tuple[tuple[str, str], ...] = ()  # every card of the case: (channel, message id), first posted first
    round: int = 1  # 2 and up after a deferred case was resubmitted
    decisions: tuple[DecisionView, ...] = ()  # every decision so far, oldest first (all rounds)
    record_link: str | None = None
    # Free text: only for people with a role on the case, only in DMs and modals.
    strengths_and_needs: str | None = None
    outcomes: str | None = None
    alternatives: str | None = None
    urgent_reason: str | None = None

    def card_on(self, channel: str) -> str | None:
        """The id of the case's card in `channel`, if one was posted there."""
        for where, ts in self.cards:
            if where == channel:
                return ts
        return self.card_ts if channel == self.card_channel else None
