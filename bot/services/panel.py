"""The monthly SEND Quality Assurance Panel: its agenda goes to the panel channel when the papers'
cut-off has passed (DESIGN.md §2, seed 000)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.calendar import panel_sittings
from bot.notify import Notice
from bot.services import Services
from bot.services.outbox import queue_notice


def post_panel_agenda(services: Services, now: datetime) -> int:
    """The worker's job: from 08:00 on the first working day after the papers were due, queue the next
    sitting's agenda for the panel channel, once (its outbox key makes a repeat a no-op)."""
    calendar, panel = services.calendar, services.policy.send_panel
    local = now.astimezone(calendar.tz)
    today = local.date()
    [sitting] = panel_sittings(calendar, panel.rrule, panel.first_sitting, panel.start_time, list(panel.locations),
                               panel.papers_due_working_days, after=today, count=1)
    if not (sitting.papers_due < today and calendar.is_working_day(today) and local.hour >= 8):
        return 0
    day = sitting.day.isoformat()
    with services.sessions.begin() as session:
        queue_notice(session, Notice.PANEL_AGENDA, None, panel.channel, now, key=f"panel_agenda:{day}",
                     payload={"day": day})
    return 1
