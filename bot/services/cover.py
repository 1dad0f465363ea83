"""Cover: a person away names a colleague who acts in their place (DESIGN.md §4: acting for whom).

While cover runs the colleague may do what the absent person's roles allow — chairing their sitting,
acting as a named team manager — except that a tier's limits are never lent (bot.services.Services.
holds_role), and nobody decides a case they submitted or attend for. Every action taken in cover
records both people in the audit ("@A for @B").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update

from bot.errors import UserError
from bot.refusals import Refusal
from bot.services import Services
from store.audit import record_audit
from store.db import lock_until_commit, rows_matched
from store.models import Cover

LONGEST = timedelta(days=183)  # cover is set for a spell of leave, not for good


class CoverRefused(UserError):
    """Cover cannot be set as asked. `field` is the form field to show the sentence under."""

    def __init__(self, code: Refusal, /, *, field: str = "colleague", **facts: object) -> None:
        super().__init__(code, field=field, **facts)


@dataclass(frozen=True)
class CoverView:
    id: int
    absent: str
    colleague: str
    first_day: date
    last_day: date


def active_covers(services: Services, day: date) -> dict[str, tuple[str, ...]]:
    """colleague -> the people they cover for on `day`."""
    with services.sessions() as session:
        rows = session.execute(select(Cover.colleague, Cover.absent).where(
            Cover.first_day <= day, Cover.last_day >= day, Cover.ended_at.is_(None)).order_by(Cover.id)).all()
    found: dict[str, list[str]] = {}
    for colleague, absent in rows:
        found.setdefault(colleague, []).append(absent)
    return {colleague: tuple(absent) for colleague, absent in found.items()}


def cover_for(services: Services, absent: str, day: date) -> str | None:
    """The colleague covering for `absent` on `day`, if any."""
    with services.sessions() as session:
        return session.scalars(select(Cover.colleague).where(
            Cover.absent == absent, Cover.first_day <= day, Cover.last_day >= day, Cover.ended_at.is_(None))
            .order_by(Cover.id.desc())).first()


def _shares_a_role(services: Services, absent: str, colleague: str) -> bool:
    """The colleague holds one of the absent person's roles, or decides at the same body (another chair
    in a rota, a deputy)."""
    policy = services.policy
    held = {role for role in policy.roles if services._holds_itself(absent, role)}
    if any(services._holds_itself(colleague, role) for role in held):
        return True
    for body in policy.bodies.values():
        roles = set(body.decider_roles())
        if roles & held and any(services._holds_itself(colleague, role) for role in roles):
            return True
    return False


def set_cover(services: Services, absent: str, colleague: str, first_day: date | None,
              last_day: date | None) -> CoverView:
    """`absent` is away from `first_day` to `last_day`; `colleague` acts in their place. Audited."""
    today = services.calendar.local_date(services.now())
    if first_day is None or last_day is None:
        raise CoverRefused(Refusal.AWAY_DAYS_NEEDED, field="first_day")
    if first_day < today:
        raise CoverRefused(Refusal.COVER_STARTS_PAST, field="first_day")
    if last_day < first_day:
        raise CoverRefused(Refusal.COVER_ENDS_BEFORE, field="last_day")
    if last_day - first_day > LONGEST:
        raise CoverRefused(Refusal.COVER_TOO_LONG, field="last_day")
    if colleague == absent:
        raise CoverRefused(Refusal.COVER_SELF)
    if not _shares_a_role(services, absent, colleague):
        raise CoverRefused(Refusal.COVER_NO_SHARED_ROLE)
    now = services.now()
    with services.sessions.begin() as session:
        # Two forms sent at once would both find no clash and both insert. A clash is an overlap of dates,
        # which no unique index expresses, and a person's first cover has no row to lock: a lock on the
        # person's name makes the second wait, then find the first's cover.
        lock_until_commit(session, f"cover:{absent}")
        clash = session.scalars(select(Cover).where(
            Cover.absent == absent, Cover.ended_at.is_(None), Cover.first_day <= last_day,
            Cover.last_day >= first_day)).first()
        if clash is not None:
            raise CoverRefused(Refusal.COVER_CLASH, field="first_day", first_day=clash.first_day,
                               last_day=clash.last_day)
        row = Cover(absent=absent, colleague=colleague, first_day=first_day, last_day=last_day, created_by=absent,
                    created_at=now)
        session.add(row)
        session.flush()
        record_audit(session, at=now, actor=absent, action="cover.set", subject_type="person", subject_id=absent,
                     before=None, after={"colleague": colleague, "first_day": first_day.isoformat(),
                                         "last_day": last_day.isoformat()})
        view = CoverView(row.id, absent, colleague, first_day, last_day)
    services.forget_cover()
    return view


def end_cover(services: Services, absent: str) -> int:
    """End `absent`'s cover now (back early, or a mistake). Returns how many were ended; audited."""
    now = services.now()
    with services.sessions.begin() as session:
        lock_until_commit(session, f"cover:{absent}")  # after a set_cover of the same moment, so it is ended too
        rows = session.scalars(select(Cover).where(Cover.absent == absent, Cover.ended_at.is_(None))).all()
        for row in rows:
            ended = rows_matched(session, update(Cover).where(Cover.id == row.id, Cover.ended_at.is_(None))
                                 .values(ended_at=now))
            if ended == 1:
                record_audit(session, at=now, actor=absent, action="cover.ended", subject_type="person",
                             subject_id=absent, before={"colleague": row.colleague,
                                                        "last_day": row.last_day.isoformat()},
                             after={"ended": now.isoformat()})
    services.forget_cover()
    return len(rows)
