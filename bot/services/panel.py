"""Panels with a listed agenda: the agenda goes to the panel's channel when its papers' cut-off has
passed (DESIGN.md §2, seed 000), and a case not heard at its sitting is carried to the next one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

from sqlalchemy import select

from bot.domain.bodies import BodyKind
from bot.domain.cases import Stage
from bot.domain.decisions import PanelAgenda
from bot.domain.schedules import BodySitting, next_sittings
from bot.notify import Notice
from bot.policy import Body
from bot.services import Services
from bot.services.outbox import queue_notice
from bot.services.views import panel_agenda_for
from store.audit import record_audit
from store.models import Case


def panel_bodies(services: Services) -> list[str]:
    return [key for key, body in services.policy.bodies.items() if body.kind is BodyKind.PANEL]


def _next_sittings(services: Services, today: date) -> Iterator[tuple[str, Body, BodySitting]]:
    """Each panel body with its next sitting on or after `today` (panels whose schedule has ended are left out)."""
    for body_id in panel_bodies(services):
        body = services.policy.bodies[body_id]
        upcoming = next_sittings(services.calendar, body, after=today, count=1)
        if upcoming:
            yield body_id, body, upcoming[0]


def panel_agenda(services: Services, body_id: str, after: date) -> PanelAgenda | None:
    """The agenda of a panel's first sitting on or after `after` (None when its schedule has ended)."""
    body = services.policy.bodies[body_id]
    upcoming = next_sittings(services.calendar, body, after=after, count=1)
    if not upcoming:
        return None
    with services.sessions() as session:
        return panel_agenda_for(services, session, upcoming[0].day, body_id)


def post_panel_agenda(services: Services, now: datetime) -> int:
    """The worker's job: from 08:00 on the first working day after a panel's papers were due, queue its
    next sitting's agenda for its channel, once (its outbox key makes a repeat a no-op)."""
    calendar = services.calendar
    local = now.astimezone(calendar.tz)
    today = local.date()
    posted = 0
    for body_id, body, sitting in _next_sittings(services, today):
        # Without a cut-off, the agenda goes out the working day before the sitting.
        due_at = sitting.papers_due_at or calendar.instant(calendar.add_working_days(sitting.day, -1), time())
        if not (now > due_at and calendar.is_working_day(today) and local.hour >= 8):
            continue
        day = sitting.day.isoformat()
        # The first panel keeps the key it always had, so an upgrade does not post an agenda twice.
        tag = "" if body_id == panel_bodies(services)[0] else f"{body_id}:"
        with services.sessions.begin() as session:
            for index, channel in enumerate(body.channels()):
                queue_notice(session, Notice.PANEL_AGENDA, None, channel, now,
                             key=f"panel_agenda:{tag}{day}" + (f":{channel}" if index else ""),
                             payload={"day": day, "body": body_id})
        posted += 1
    return posted


def carry_forward(services: Services, now: datetime) -> int:
    """The worker's job: a case still listed for a sitting that has passed goes onto the next sitting's
    agenda, marked as carried from the one it missed. Returns how many moved."""
    calendar = services.calendar
    today = calendar.local_date(now)
    moved = 0
    for body_id, _, sitting in _next_sittings(services, today):
        with services.sessions.begin() as session:
            rows = session.scalars(select(Case).where(
                Case.route == body_id, Case.stage == Stage.LISTED, Case.panel_day < today)).all()
            for row in rows:
                before = row.panel_day
                row.carried_from = row.panel_day
                row.panel_day, row.panel_starts_at = sitting.day, sitting.starts_at
                row.panel_location = sitting.location
                row.updated_at = now
                record_audit(session, at=now, actor="panelbot", action="case.carried", subject_type="case",
                             subject_id=row.reference, before={"panel_day": before.isoformat() if before else None},
                             after={"panel_day": sitting.day.isoformat()})
                moved += 1
    return moved
