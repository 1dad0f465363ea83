"""The deciding bodies of the council's policy as the services use them: which body a stored case is
with, who decides it, who is told, and where its card goes."""

from __future__ import annotations

from datetime import date

from bot.domain.bodies import BodyKind
from bot.domain.schedules import BodySitting, chair_role, sittings_on
from bot.policy import Body
from bot.services import Services
from store.models import Case


def body_of(services: Services, row: Case) -> Body:
    """The body deciding the case now: the one it was routed to, or the one its follow-on waits at."""
    return services.policy.bodies[row.route]


def follow_on_body(services: Services, row: Case) -> Body | None:
    return services.policy.bodies.get(row.follow_on_body) if row.follow_on_body else None


def chair_for(services: Services, body: Body, day: date) -> tuple[str | None, BodySitting | None]:
    """(the role chairing `body` on `day`, that sitting); (None, None) when it does not sit then."""
    sittings = sittings_on(services.calendar, body, day)
    if not sittings:
        return None, None
    return chair_role(services.calendar, body, sittings[0]), sittings[0]


def decider_roles(services: Services, body: Body, row: Case | None = None) -> tuple[str, ...]:
    """The roles told about a case waiting on `body`: the case's tier at a person body (the lowest
    that covers it), or the body's chairs and deputy."""
    if body.kind is BodyKind.PERSON and row is not None and row.tier_role and services.policy.bodies.get(
            row.route) is body:
        return (row.tier_role,)
    return body.decider_roles()


def decider_ids(services: Services, body: Body, row: Case | None = None) -> tuple[str, ...]:
    """Slack user or user-group IDs of the roles in `decider_roles`, each once."""
    return tuple(dict.fromkeys(member for role in decider_roles(services, body, row)
                               for member in services.policy.members(role)))


def role_words(role: str) -> str:
    return role.replace("_", " ")
