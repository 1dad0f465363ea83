"""Spot checks of delegated decisions (seed 001): which decisions are drawn, and what a check can find.

Pure: no Slack, no database, no clock. The draw is reproducible: HMAC-SHA256 of the decision's id
under the policy's seed, read as a number from 0 (inclusive) to 100 (exclusive) with four decimal
places, so an auditor can recompute any decision's draw from the audit row and the policy.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.domain.cases import CaseView

SCALE = 10_000  # four decimal places of a per cent


class Why(StrEnum):
    RANDOM = "random"  # the draw fell under the policy's per cent
    OVER_WEEKLY = "over_weekly"  # agreed above `always_over_weekly`
    REQUEST_TYPE = "request_type"  # one of `request_types`


WHY_LABELS = {
    Why.RANDOM: "drawn at random",
    Why.OVER_WEEKLY: "over the amount always checked",
    Why.REQUEST_TYPE: "a request type always checked",
}


class Finding(StrEnum):
    AGREED = "agreed"  # the checker agrees with the decision
    CONCERN = "concern"  # a practice concern: recommended actions go to the decider's line manager
    REFERRED = "referred"  # referred to the policy's panel, which ratifies the decision or not


FINDING_LABELS = {
    Finding.AGREED: "Agreed: the decision stands",
    Finding.CONCERN: "Practice concern: recommended actions to the team manager",
    Finding.REFERRED: "Refer to panel",
}

OPEN = "open"


def draw_for(decision_id: int, seed: str) -> Decimal:
    """The decision's draw: 0 ≤ draw < 100, the same every time for the same id and seed."""
    digest = hmac.new(seed.encode("utf-8"), f"decision:{decision_id}".encode(), hashlib.sha256).digest()
    return Decimal(int.from_bytes(digest[:8], "big") % (100 * SCALE)) / SCALE


@dataclass(frozen=True)
class Drawn:
    draw: Decimal
    threshold: Decimal
    why: tuple[Why, ...]  # empty: not checked

    @property
    def checked(self) -> bool:
        return bool(self.why)


def draw_decision(decision_id: int, *, seed: str, percent: Decimal, agreed_weekly: Decimal, request_type: str,
                  always_over_weekly: Decimal | None, request_types: tuple[str, ...]) -> Drawn:
    """Whether a delegated decision that agreed funding is spot-checked, and why. "Over" is strictly
    more, as in routing: exactly the amount is not over it."""
    draw = draw_for(decision_id, seed)
    why: list[Why] = []
    if draw < percent:
        why.append(Why.RANDOM)
    if always_over_weekly is not None and agreed_weekly > always_over_weekly:
        why.append(Why.OVER_WEEKLY)
    if request_type in request_types:
        why.append(Why.REQUEST_TYPE)
    return Drawn(draw=draw, threshold=Decimal(percent), why=tuple(why))


@dataclass(frozen=True)
class SpotCheckView:
    """One spot check as the checker's queue and DM show it: references, amounts and dates only."""

    id: int
    case_id: int
    reference: str
    body_name: str
    request_type: str
    agreed_weekly: Decimal
    decided_by: str
    decided_at: datetime
    drawn_at: datetime
    why: tuple[Why, ...]
    state: str
    checked_by: str | None = None
    checked_at: datetime | None = None


@dataclass(frozen=True)
class SpotCheckNotice:
    """What a spot-check DM shows: to a checker (a new check), or to the team manager (a practice
    concern, with the recommended actions)."""

    check: SpotCheckView
    to_manager: bool
    actions: str | None = None


@dataclass(frozen=True)
class SpotCheckOpened:
    check: SpotCheckView
    case: CaseView
