"""Who was present at a panel's sitting, and whether that makes it quorate (DESIGN.md §2).

The chair, the deputy or a panel admin records who is present from the sitting's agenda; a panel
whose policy names a quorum decides only when the people recorded present hold the roles it needs.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain.bodies import BodyKind
from bot.domain.decisions import Attendance
from bot.domain.schedules import sittings_on
from bot.errors import UserError
from bot.policy import Body
from bot.refusals import Refusal
from bot.services import Services
from bot.services.bodies import role_words
from store.audit import record_audit
from store.models import SittingAttendance

RECORDERS = "panel_admins"  # besides the chair and the deputy, who may record attendance
MAX_PRESENT = 100  # Slack's multi-user select returns at most 100


class AttendanceRefused(UserError):
    """Attendance cannot be recorded as asked; its code says why."""


def quorum_shortfall(services: Services, body: Body,
                     present: list[str] | tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """What the people `present` lack of `body`'s quorum: (how many more, of which role) for each
    role short; empty when it is quorate."""
    missing = []
    for need in body.quorum:
        count = sum(1 for person in present if services.holds_role(person, need.role))
        if count < need.at_least:
            missing.append((need.at_least - count, need.role))
    return tuple(missing)


def missing_for_quorum(services: Services, body: Body, present: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """What the people `present` lack of `body`'s quorum, in words; empty when it is quorate."""
    return tuple(f"{more} more of the {role_words(role)}" for more, role in quorum_shortfall(services, body, present))


def present_at(session: Session, body_id: str, day: date) -> list[str]:
    return list(session.scalars(select(SittingAttendance.person).where(
        SittingAttendance.body == body_id, SittingAttendance.day == day).order_by(SittingAttendance.id)).all())


def _check(services: Services, body_id: str, day: date, user: str) -> Body:
    body = services.policy.bodies.get(body_id)
    if body is None or body.kind is not BodyKind.PANEL:
        raise AttendanceRefused(Refusal.NOT_A_PANEL)
    if not sittings_on(services.calendar, body, day):
        raise AttendanceRefused(Refusal.NOT_SITTING_ON, body=body.name, day=day)
    roles = (*body.decider_roles(), RECORDERS)
    if not any(services.holds_role(user, role) for role in roles):
        raise AttendanceRefused(Refusal.ATTENDANCE_NOT_YOURS, body=body.name)
    return body


def _view(services: Services, body_id: str, body: Body, day: date, present: list[str]) -> Attendance:
    quorum = tuple(f"{need.at_least} of the {role_words(need.role)}" for need in body.quorum)
    return Attendance(body=body_id, body_name=body.name, day=day, present=tuple(present),
                      missing=missing_for_quorum(services, body, present), quorum=quorum)


def attendance(services: Services, body_id: str, day: date, user: str) -> Attendance:
    """The attendance recorded so far for a sitting, for someone who may record it."""
    body = _check(services, body_id, day, user)
    with services.sessions() as session:
        return _view(services, body_id, body, day, present_at(session, body_id, day))


def record_attendance(services: Services, body_id: str, day: date, present: list[str], user: str) -> Attendance:
    """Record who is present at a sitting (replacing what was recorded before), with an audit row of
    before and after. Returns the attendance and what its quorum still lacks."""
    body = _check(services, body_id, day, user)
    people = list(dict.fromkeys(present))
    if len(people) > MAX_PRESENT:
        raise AttendanceRefused(Refusal.TOO_MANY_PRESENT, limit=MAX_PRESENT)
    now = services.now()
    with services.sessions.begin() as session:
        before = present_at(session, body_id, day)
        if before == people:
            return _view(services, body_id, body, day, before)  # a repeat changes nothing
        session.execute(delete(SittingAttendance).where(SittingAttendance.body == body_id,
                                                        SittingAttendance.day == day))
        session.add_all(SittingAttendance(body=body_id, day=day, person=person, recorded_by=user, recorded_at=now)
                        for person in people)
        record_audit(session, at=now, actor=user, action="sitting.attendance", subject_type="sitting",
                     subject_id=f"{body_id}:{day.isoformat()}", before={"present": before},
                     after={"present": people})
    return _view(services, body_id, body, day, people)
