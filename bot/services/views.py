"""Plain views of stored rows (cases, bookings, the day's agenda), for messages on any chat surface."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from bot.domain.booking import Agenda, AgendaItem, BookingView, chair_role_for, forum_sittings
from bot.domain.calendar import PanelSitting, Slot, panel_sittings, slots_for_day
from bot.domain.cases import CaseView, PanelListing, Stage
from bot.domain.decisions import DecisionKind, DecisionView, Outcome, PanelAgenda
from bot.domain.routing import RequestType, RouteKind, Service
from bot.domain.visits import OfstedRating, ProvisionType, ProvisionView, Step, StepView, VisitKind, VisitView
from bot.services import Services
from store.models import ActionPlan, Case, Concern, Decision, ForumBooking, Placement, Provision, Visit, VisitStep


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


def view_of(services: Services, row: Case, *, full: bool, new: bool = False) -> CaseView:
    """The plain view of a stored case; free text only when `full`. `new`: the case was created in
    this transaction, so it has no booking or decisions to look up."""
    panel = None
    if row.panel_day is not None and row.panel_starts_at is not None and row.papers_due is not None:
        panel = PanelListing(day=row.panel_day, starts_at=row.panel_starts_at, location=row.panel_location or "",
                             papers_due=row.papers_due, late_for=row.panel_late_for)
    session = None if new else object_session(row)
    booking = live_booking(session, row.id) if session is not None else None
    decisions = session.scalars(select(Decision).where(Decision.case_id == row.id).order_by(Decision.id)).all() \
        if session is not None else []
    return CaseView(
        id=row.id, reference=row.reference, service=Service(row.service), request_type=RequestType(row.request_type),
        proposed_weekly=row.proposed_weekly, ras_weekly=row.ras_weekly, current_weekly=row.current_weekly,
        hours_per_month=row.hours_per_month, respite_weeks_per_year=row.respite_weeks_per_year, urgent=row.urgent,
        route=RouteKind(row.route), reasons=tuple(row.reasons), then=tuple(row.then),
        practitioner_must_attend=row.practitioner_must_attend, attendance=tuple(row.attendance),
        evidence_required=tuple(row.evidence_required), evidence_attached=tuple(row.evidence),
        stage=Stage(row.stage), submitter=row.submitter, team_manager=row.team_manager, attendee=row.attendee,
        deciders=deciders(services, row), submitted_at=row.submitted_at, panel=panel,
        slot=Slot(booking.starts_at, booking.ends_at) if booking else None,
        card_channel=row.card_channel, card_ts=row.card_ts, round=row.round,
        decisions=tuple(decision_view(decision, concern=False) for decision in decisions),
        record_link=row.record_link if full else None,
        strengths_and_needs=row.strengths_and_needs if full else None,
        outcomes=row.outcomes if full else None,
        alternatives=row.alternatives if full else None,
        urgent_reason=row.urgent_reason if full else None,
    )


def live_booking(session: Session, case_id: int) -> ForumBooking | None:
    return session.scalars(
        select(ForumBooking).where(ForumBooking.case_id == case_id, ForumBooking.cancelled_at.is_(None))
    ).first()


def chair_of(services: Services, day: date) -> tuple[str, tuple[str, ...]]:
    """(chair role, its Slack IDs) for a forum day."""
    forum = services.policy.forum
    role = chair_role_for(services.calendar, forum.chair_rota, forum.rota_start, day)
    return role, services.policy.members(role)


def booking_view(services: Services, booking: ForumBooking, case: Case) -> BookingView:
    role, chairs = chair_of(services, booking.day)
    return BookingView(case_id=case.id, reference=case.reference, slot=Slot(booking.starts_at, booking.ends_at),
                       worker=case.submitter, attendee=case.attendee, chair_role=role, chairs=chairs)


def agenda_for(services: Services, session: Session, day: date) -> Agenda:
    """The forum's day: every slot, booked or free, with the chair. `closed` says why there is none."""
    calendar, forum = services.calendar, services.policy.forum
    slots = slots_for_day(calendar, forum_sittings(forum.sittings.by_weekday()), day, forum.slot_minutes)
    if not slots:
        if day.weekday() >= 5:
            closed = "it is the weekend"
        elif calendar.is_bank_holiday(day):
            closed = "it is a bank holiday"
        elif day in calendar.closures:
            closed = "the council is closed"
        else:
            closed = "the forum does not sit on this day"
        return Agenda(day=day, items=(), chair_role=None, chairs=(), closed=closed)
    booked = {
        booking.starts_at: (booking, case)
        for booking, case in session.execute(
            select(ForumBooking, Case).join(Case, Case.id == ForumBooking.case_id)
            .where(ForumBooking.day == day, ForumBooking.cancelled_at.is_(None))
        ).all()
    }
    items = []
    for slot in slots:
        if slot.starts_at in booked:
            _, case = booked[slot.starts_at]
            items.append(AgendaItem(slot=slot, case_id=case.id, reference=case.reference,
                                    request_type=RequestType(case.request_type), proposed_weekly=case.proposed_weekly,
                                    worker=case.submitter, attendee=case.attendee))
        else:
            items.append(AgendaItem(slot=slot))
    role, chairs = chair_of(services, day)
    return Agenda(day=day, items=tuple(items), chair_role=role, chairs=chairs)


def decision_view(row: Decision, *, concern: bool = True) -> DecisionView:
    """A recorded decision; the practice concern only when `concern` (for the line manager)."""
    return DecisionView(
        kind=DecisionKind(row.kind), outcome=Outcome(row.outcome), reason=row.reason, decided_by=row.decided_by,
        decided_at=row.decided_at, amended_weekly=row.amended_weekly, conditions=row.conditions,
        info_needed=row.info_needed, practice_concern=row.practice_concern if concern else None,
        concern_actions=row.concern_actions if concern else None, stage_after=Stage(row.stage_after))


def send_sitting_on(services: Services, day: date) -> PanelSitting | None:
    """The SEND panel sitting on `day`, if the panel sits then."""
    panel = services.policy.send_panel
    [sitting] = panel_sittings(services.calendar, panel.rrule, panel.first_sitting, panel.start_time,
                               list(panel.locations), panel.papers_due_working_days, after=day, count=1)
    return sitting if sitting.day == day else None


def panel_agenda_for(services: Services, session: Session, day: date) -> PanelAgenda:
    """The SEND panel sitting on `day`: the cases listed for it, and the children's cases waiting for
    its endorsement or ratification."""
    policy = services.policy
    sitting = send_sitting_on(services, day)
    if sitting is None:
        raise ValueError(f"the SEND panel does not sit on {day}")
    cases = session.scalars(select(Case).where(Case.route == RouteKind.SEND_PANEL, Case.panel_day == day,
                                               Case.stage == Stage.LISTED).order_by(Case.submitted_at, Case.id)).all()
    follow_ons = session.scalars(select(Case).where(
        Case.service == Service.CHILDREN_SEND,
        Case.stage.in_([Stage.AWAITING_ENDORSEMENT, Stage.AWAITING_RATIFICATION])).order_by(Case.updated_at)).all()
    return PanelAgenda(
        day=day, starts_at=sitting.starts_at, location=sitting.location, papers_due=sitting.papers_due,
        chair=policy.members(policy.send_panel.chair), deputy=policy.members(policy.send_panel.deputy),
        cases=tuple(view_of(services, c, full=False) for c in cases),
        follow_ons=tuple(view_of(services, c, full=False) for c in follow_ons))


def provision_view(session: Session, row: Provision) -> ProvisionView:
    concern = session.scalars(
        select(Concern).where(Concern.provision_id == row.id, Concern.closed_at.is_(None))
    ).first()
    plan = session.scalars(
        select(ActionPlan).where(ActionPlan.provision_id == row.id).order_by(ActionPlan.id.desc())
    ).first()
    return ProvisionView(
        id=row.id,
        name=row.name,
        provision_type=ProvisionType(row.provision_type),
        rating=OfstedRating(row.ofsted_rating) if row.ofsted_rating else None,
        rated_on=row.rated_on,
        contact=row.contact,
        open_concern_since=concern.raised_on if concern else None,
        action_plan_requested_on=plan.requested_on if plan else None,
        action_plan_received_on=plan.received_on if plan else None,
    )


def visit_view(session: Session, row: Visit) -> VisitView:
    provision = session.get_one(Provision, row.provision_id)
    placement = session.get(Placement, row.placement_id) if row.placement_id else None
    steps = session.scalars(select(VisitStep).where(VisitStep.visit_id == row.id).order_by(VisitStep.id)).all()
    return VisitView(
        id=row.id,
        provision_id=provision.id,
        provision=provision.name,
        provision_type=ProvisionType(provision.provision_type),
        kind=VisitKind(row.kind),
        due_on=row.due_on,
        why=row.why,
        state=row.state,
        child_reference=placement.child_reference if placement else None,
        planned_on=row.planned_on,
        visitor=row.visitor,
        done_on=row.done_on,
        steps=tuple(
            StepView(
                step=Step(s.step),
                assignee=s.assignee,
                started_on=s.started_on,
                due_on=s.due_on,
                finished_on=s.finished_on,
                finished_by=s.finished_by,
            )
            for s in steps
        ),
    )
