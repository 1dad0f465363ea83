"""The plain `CaseView` of a stored case, for messages on any chat surface."""

from __future__ import annotations

from bot.domain.cases import CaseView, PanelListing, Stage
from bot.domain.routing import RequestType, RouteKind, Service
from bot.services import Services
from store.models import Case


def deciders(services: Services, row: Case) -> tuple[str, ...]:
    """Slack user or user-group IDs who decide this case's route."""
    policy = services.policy
    route = RouteKind(row.route)
    if route is RouteKind.DELEGATED:
        return (row.team_manager,)
    if route is RouteKind.URGENT:
        return policy.members(policy.urgent.role)
    if route is RouteKind.SEND_PANEL:
        return policy.members(policy.send_panel.chair) + policy.members(policy.send_panel.deputy)
    return tuple(member for role in policy.forum.chair_rota for member in policy.members(role))


def view_of(services: Services, row: Case, *, full: bool) -> CaseView:
    """The plain view of a stored case; free text only when `full`."""
    panel = None
    if row.panel_day is not None and row.panel_starts_at is not None and row.papers_due is not None:
        panel = PanelListing(day=row.panel_day, starts_at=row.panel_starts_at, location=row.panel_location or "",
                             papers_due=row.papers_due, late_for=row.panel_late_for)
    return CaseView(
        id=row.id, reference=row.reference, service=Service(row.service), request_type=RequestType(row.request_type),
        proposed_weekly=row.proposed_weekly, ras_weekly=row.ras_weekly, current_weekly=row.current_weekly,
        hours_per_month=row.hours_per_month, respite_weeks_per_year=row.respite_weeks_per_year, urgent=row.urgent,
        route=RouteKind(row.route), reasons=tuple(row.reasons), then=tuple(row.then),
        practitioner_must_attend=row.practitioner_must_attend, attendance=tuple(row.attendance),
        evidence_required=tuple(row.evidence_required), evidence_attached=tuple(row.evidence),
        stage=Stage(row.stage), submitter=row.submitter, team_manager=row.team_manager, attendee=row.attendee,
        deciders=deciders(services, row), submitted_at=row.submitted_at, panel=panel,
        record_link=row.record_link if full else None,
        strengths_and_needs=row.strengths_and_needs if full else None,
        outcomes=row.outcomes if full else None,
        alternatives=row.alternatives if full else None,
        urgent_reason=row.urgent_reason if full else None,
    )
