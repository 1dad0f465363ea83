"""Submitting a case, and looking cases up: `submit_case`, `cases_of`, `look_up_case`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.calendar import panel_for_submission, panel_sittings
from bot.domain.cases import FIRST_STAGE, STAGE_LABELS, CaseView, PanelListing, Stage, is_open
from bot.domain.routing import Route, RouteKind, route_case
from bot.domain.submission import Submission
from bot.errors import UserError
from bot.notify import Notice
from bot.services import Services
from bot.services.outbox import queue_notice
from bot.services.reminders import on_resubmitted, on_waiting_for_decision
from bot.services.views import view_of
from store.audit import record_audit
from store.models import Case

ROUTE_PLACES = {
    RouteKind.FORUM: "the Enhanced Peer Forum",
    RouteKind.DELEGATED: "delegated sign-off",
    RouteKind.SEND_PANEL: "the SEND Quality Assurance Panel",
    RouteKind.URGENT: "the urgent decisions queue",
}


class SubmissionProblem(UserError):
    """The submission cannot be stored as it is; `field` is the form field to show the message under."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class CaseInFlight(SubmissionProblem):
    """A case with this reference is already open; the message names its stage and where it is."""

    def __init__(self, message: str) -> None:
        super().__init__("reference", message)


@dataclass(frozen=True)
class SubmitResult:
    case: CaseView
    created: bool  # False when this was a repeat of a submission already stored (a double click)


@dataclass(frozen=True)
class LookUp:
    case: CaseView
    full: bool  # True when the viewer has a role on the case and may see its details


def route_channel(services: Services, route: RouteKind) -> str:
    policy = services.policy
    return {
        RouteKind.FORUM: policy.forum.channel,
        RouteKind.DELEGATED: policy.delegated.channel,
        RouteKind.SEND_PANEL: policy.send_panel.channel,
        RouteKind.URGENT: policy.urgent.channel,
    }[route]


def send_panel_listing(services: Services, submitted_at: datetime) -> PanelListing:
    """The SEND panel a case submitted now goes to: the first whose papers are not yet due."""
    policy, calendar = services.policy, services.calendar
    panel = policy.send_panel
    today = calendar.local_date(submitted_at)
    args = (calendar, panel.rrule, panel.first_sitting, panel.start_time, list(panel.locations),
            panel.papers_due_working_days)
    sitting = panel_for_submission(*args, submitted_on=today)
    next_sitting = panel_sittings(*args, after=today + timedelta(days=1), count=1)[0]
    late_for = next_sitting.day if next_sitting.day < sitting.day else None
    return PanelListing(day=sitting.day, starts_at=sitting.starts_at, location=sitting.location,
                        papers_due=sitting.papers_due, late_for=late_for)


def _open_case(session: Session, reference: str) -> Case | None:
    return session.scalars(select(Case).where(Case.reference == reference, Case.is_open)).first()


def _in_flight(row: Case) -> CaseInFlight:
    stage = STAGE_LABELS[Stage(row.stage)]
    where = ROUTE_PLACES[RouteKind(row.route)]
    return CaseInFlight(f"Case {row.reference} is already in flight: {stage} ({where}). "
                        f"Use `/panel case {row.reference}` to see it.")


def submit_case(services: Services, submission: Submission, *, key: str) -> SubmitResult:
    """Store a new case with its route, an audit row and the messages it owes, in one transaction.

    `key` identifies the submission (the form's view id): a repeat with the same key returns the
    case already stored and changes nothing. Raises CaseInFlight when the reference has an open case.
    """
    now = services.now()
    route = route_case(services.policy, submission.to_case_request())
    told = _people_to_tell(services, RouteKind(route.kind), submission)
    if RouteKind(route.kind) is RouteKind.FORUM and submission.attendee is None:
        raise SubmissionProblem("attendee", "This goes to the Enhanced Peer Forum: choose the advanced practitioner "
                                            "or service manager who will attend with you.")
    try:
        with services.sessions.begin() as session:
            existing = session.scalars(select(Case).where(Case.submission_key == key)).first()
            if existing is not None:
                return SubmitResult(view_of(services, existing, full=True), created=False)
            if (open_case := _open_case(session, submission.reference)) is not None:
                if Stage(open_case.stage) is Stage.DEFERRED and submission.submitter in (open_case.submitter,
                                                                                          open_case.attendee):
                    return _resubmit(services, session, open_case, submission, route, key, told, now)
                raise _in_flight(open_case)
            row = _new_case(services, submission, route, key, now)
            session.add(row)
            session.flush()
            record_audit(session, at=now, actor=submission.submitter, action="case.submitted", subject_type="case",
                         subject_id=row.reference, after=_audit_facts(row))
            _queue_submission_notices(services, session, row, told, now)
            on_waiting_for_decision(services, session, row, told, now)
            return SubmitResult(view_of(services, row, full=True, new=True), created=True)
    except IntegrityError:
        # Lost a race: the same form submitted twice at once, or another case for this reference.
        with services.sessions() as session:
            existing = session.scalars(select(Case).where(Case.submission_key == key)).first()
            if existing is not None:
                return SubmitResult(view_of(services, existing, full=True), created=False)
            if (open_case := _open_case(session, submission.reference)) is not None:
                raise _in_flight(open_case) from None
        raise


# What a resubmission replaces; the case keeps its id, card, first submission time and decisions.
RESUBMITTED = ("submission_key", "service", "request_type", "proposed_weekly", "ras_weekly", "current_weekly",
               "hours_per_month", "respite_weeks_per_year", "urgent", "urgent_reason", "strengths_and_needs",
               "outcomes", "alternatives", "evidence", "record_link", "team_manager", "attendee", "route", "reasons",
               "then", "practitioner_must_attend", "attendance", "evidence_required", "stage", "is_open", "panel_day",
               "panel_starts_at", "panel_location", "papers_due", "panel_late_for")


def _resubmit(services: Services, session: Session, row: Case, submission: Submission, route: Route, key: str,
              told: list[str], now: datetime) -> SubmitResult:
    """A deferred case comes back with what was missing: same case, next round, its route worked out
    again; earlier rounds' decisions stay with it."""
    fresh = _new_case(services, submission, route, key, now)
    before = _audit_facts(row)
    old_channel = route_channel(services, RouteKind(row.route))
    for column in RESUBMITTED:
        setattr(row, column, getattr(fresh, column))
    row.round += 1
    row.updated_at = now
    if route_channel(services, RouteKind(row.route)) != old_channel:
        row.card_channel = row.card_ts = None  # a new card in the new route's channel
    session.flush()
    record_audit(session, at=now, actor=submission.submitter, action="case.resubmitted", subject_type="case",
                 subject_id=row.reference, before=before, after={**_audit_facts(row), "round": row.round})
    _queue_submission_notices(services, session, row, told, now)
    on_resubmitted(session, row, now)
    on_waiting_for_decision(services, session, row, told, now)
    return SubmitResult(view_of(services, row, full=True), created=True)


def _new_case(services: Services, submission: Submission, route: Route, key: str, now: datetime) -> Case:
    route_kind = RouteKind(route.kind)
    panel = send_panel_listing(services, now) if route_kind is RouteKind.SEND_PANEL else None
    stage = FIRST_STAGE[route_kind]
    return Case(
        reference=submission.reference, submission_key=key, service=submission.service,
        request_type=submission.request_type, proposed_weekly=submission.proposed_weekly,
        ras_weekly=submission.ras_weekly, current_weekly=submission.current_weekly,
        hours_per_month=submission.hours_per_month, respite_weeks_per_year=submission.respite_weeks_per_year,
        urgent=submission.urgent, urgent_reason=submission.urgent_reason,
        strengths_and_needs=submission.strengths_and_needs, outcomes=submission.outcomes,
        alternatives=submission.alternatives, evidence=list(submission.evidence), record_link=submission.record_link,
        submitter=submission.submitter, team_manager=submission.team_manager, attendee=submission.attendee,
        route=route_kind, reasons=list(route.reasons), then=[str(step) for step in route.then],
        practitioner_must_attend=route.practitioner_must_attend, attendance=list(route.attendance),
        evidence_required=list(route.evidence), stage=stage, is_open=is_open(stage),
        panel_day=panel.day if panel else None, panel_starts_at=panel.starts_at if panel else None,
        panel_location=panel.location if panel else None, papers_due=panel.papers_due if panel else None,
        panel_late_for=panel.late_for if panel else None, submitted_at=now, updated_at=now,
    )


def _audit_facts(row: Case) -> dict[str, object]:
    """What the audit keeps of a case: references, amounts, route and stage. Never free text."""
    return {
        "reference": row.reference, "service": row.service, "request_type": row.request_type,
        "proposed_weekly": str(row.proposed_weekly),
        "ras_weekly": None if row.ras_weekly is None else str(row.ras_weekly),
        "current_weekly": None if row.current_weekly is None else str(row.current_weekly),
        "route": row.route, "stage": row.stage, "urgent": row.urgent,
        "panel_day": row.panel_day.isoformat() if row.panel_day else None,
    }


def _people_to_tell(services: Services, route: RouteKind, submission: Submission) -> list[str]:
    """Who gets a DM that a new case waits on them: the team manager, or every operations manager
    (user groups expanded, so each member is told). Asked before the transaction opens, since the
    directory may call Slack. Forum and panel chairs hear through the agenda instead."""
    if route is RouteKind.DELEGATED:
        members: tuple[str, ...] = (submission.team_manager,)
    elif route is RouteKind.URGENT:
        members = services.policy.members(services.policy.urgent.role)
    else:
        return []
    return [person for person in services.people(members) if person != submission.submitter]


def _queue_submission_notices(services: Services, session: Session, row: Case, told: list[str],
                              now: datetime) -> None:
    channel = route_channel(services, RouteKind(row.route))
    # Keys name this case and round, which this transaction created: they cannot exist yet.
    suffix = "" if row.round == 1 else f":r{row.round}"  # a resubmission owes its messages again
    card = Notice.CASE_CARD if row.card_ts is None else Notice.CARD_UPDATE
    queue_notice(session, card, row.id, channel, now, key=f"{card}:{row.id}{suffix}", fresh=True)
    queue_notice(session, Notice.RECEIPT, row.id, row.submitter, now, key=f"{Notice.RECEIPT}:{row.id}{suffix}",
                 fresh=True)
    for person in told:
        queue_notice(session, Notice.DECIDER_NOTICE, row.id, person, now,
                     key=f"{Notice.DECIDER_NOTICE}:{row.id}{suffix}:{person}", fresh=True)


def cases_of(services: Services, user: str) -> list[CaseView]:
    """The cases `user` submitted or attends, newest first."""
    with services.sessions() as session:
        rows = session.scalars(
            select(Case).where((Case.submitter == user) | (Case.attendee == user))
            .order_by(Case.submitted_at.desc(), Case.id.desc()).limit(200)
        ).all()
        return [view_of(services, row, full=False) for row in rows]


def has_role_on(services: Services, row: Case, user: str) -> bool:
    """The submitter, the attendee, the team manager, or a decider of the case's route."""
    if user in (row.submitter, row.attendee, row.team_manager):
        return True
    policy = services.policy
    route = RouteKind(row.route)
    roles: tuple[str, ...] = {
        RouteKind.FORUM: policy.forum.chair_rota,
        RouteKind.SEND_PANEL: (policy.send_panel.chair, policy.send_panel.deputy, *policy.send_panel.members),
        RouteKind.URGENT: (policy.urgent.role,),
        RouteKind.DELEGATED: (),
    }[route]
    return any(services.holds_role(user, role) for role in roles)


def look_up_case(services: Services, reference: str, viewer: str) -> LookUp | None:
    """The open case with this reference (or else the newest), full only for people with a role on it."""
    with services.sessions() as session:
        row = _open_case(session, reference) or session.scalars(
            select(Case).where(Case.reference == reference).order_by(Case.submitted_at.desc(), Case.id.desc())
        ).first()
        if row is None:
            return None
        full = has_role_on(services, row, viewer)
        return LookUp(view_of(services, row, full=full), full)


def case_by_id(services: Services, case_id: int, viewer: str) -> LookUp | None:
    with services.sessions() as session:
        row = session.get(Case, case_id)
        if row is None:
            return None
        full = has_role_on(services, row, viewer)
        return LookUp(view_of(services, row, full=full), full)
