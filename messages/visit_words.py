"""The words about monitoring visits that both surfaces say, as plain text: one definition each.

Slack escapes what holds council or provision text (messages/slack/visits.py); a Teams card shows it
as it is (messages/teams/visits.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.visits import RATING_LABELS, VISIT_LABELS, OfstedRating, ProvisionView, StepView, VisitView
from bot.domain.words import days
from messages.words import long_date


def overdue(due_on: date, today: date) -> str | None:
    """"⚠ overdue by 3 days" when `due_on` is past on `today`, else None."""
    late = (today - due_on).days
    return f"⚠ overdue by {days(late)}" if late > 0 else None


def rating_words(provision: ProvisionView) -> str | None:
    """"rated Good on Monday 2 November 2026", or None with no rating."""
    if provision.rating is None:
        return None
    words = f"rated {RATING_LABELS[OfstedRating(provision.rating)]}"
    return f"{words} on {long_date(provision.rated_on)}" if provision.rated_on else words


def visit_date(visit: VisitView) -> date:
    """The day of the visit: when it was done, else when it is planned, else when it is due."""
    return visit.done_on or visit.planned_on or visit.due_on


def placement(visit: VisitView) -> str:
    """" — placement of case 1234567", or nothing for a visit to the provision as a whole."""
    return f" — placement of case {visit.child_reference}" if visit.child_reference else ""


def sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def percent(share: float | None, none: str) -> str:
    return none if share is None else f"{share:.0%}"


def due_words(due: Sequence[VisitView]) -> str:
    """" Initial visit due by Thursday 3 December 2026." for each visit, or " No visit is due from this." """
    if not due:
        return " No visit is due from this."
    return "".join(f" {VISIT_LABELS[visit.kind]} due by {long_date(visit.due_on)}." for visit in due)


def counted(step: StepView) -> str:
    """" (5 working days from Tuesday 1 December 2026)", or nothing when the view does not say."""
    return f" ({step.counted} from {long_date(step.started_on)})" if step.counted else ""
