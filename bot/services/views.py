"""Plain views of stored rows (cases, bookings, the day's agenda), for messages on any chat surface."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from bot.domain.bodies import BodyKind
from bot.domain.booking import Agenda, AgendaItem, BookingView
from bot.domain.calendar import Slot
from bot.domain.cases import CaseView, PanelListing, Stage
from bot.domain.decisions import DecisionKind, DecisionView, Outcome, PanelAgenda
from bot.domain.routing import RequestType, Service
from bot.domain.schedules import BodySitting, sittings_on, slots_on
from bot.domain.visits import (
    OfstedRating,
    ProvisionType,
    ProvisionView,
    Step,
    StepView,
    VisitKind,
    VisitView,
    step_counted,
)
from bot.policy import Body, Visits
from bot.services import Services
from store.models import (
    ActionPlan,
    Case,
    CaseCard,
    Concern,
    Decision,
    ForumBooking,
    Placement,
    Provision,
    Visit,
    VisitStep,
)


def deciders(services: Services, row: Case) -> tuple[str, ...]:
    """Slack user or user-group IDs who decide this case now (for mentions): the tier that covers it,
    or the chairs of its body (or of the body its endorsement or ratification waits at)."""
    from bot.services.bodies import decider_ids

    bodies = services.policy.bodies
    if Stage(row.stage) in (Stage.AWAITING_ENDORSEMENT, Stage.AWAITING_RATIFICATION) and row.follow_on_body in bodies:
        return decider_ids(services, bodies[row.follow_on_body])
    body = bodies.get(row.route)
    return decider_ids(services, body, row) if body is not None else ()


def view_of(services: Services, row: Case, *, full: bool, new: bool = False) -> CaseView:
    """The plain view of a stored case; free text only when `full`. `new`: the case was created in
    this transaction, so it has no booking or decisions to look up."""
    panel = None
    if row.panel_day is not None and row.panel_starts_at is not None and row.papers_due is not None:
        panel = PanelListing(day=row.panel_day, starts_at=row.panel_starts_at, location=row.panel_location or "",
                             papers_due=row.papers_due, late_for=row.panel_late_for, carried_from=row.carried_from)
    bodies = services.policy.bodies
    body = bodies.get(row.route)
    follow_on = bodies.get(row.follow_on_body) if row.follow_on_body else None
    session = None if new else object_session(row)
    booking = live_booking(session, row.id) if session is not None else None
    decisions = session.scalars(select(Decision).where(Decision.case_id == row.id).order_by(Decision.id)).all() \
        if session is not None else []
    cards = tuple((channel, ts) for channel, ts in session.execute(
        select(CaseCard.channel, CaseCard.ts).where(CaseCard.case_id == row.id).order_by(CaseCard.id))) \
        if session is not None else ()
    return CaseView(
        id=row.id, reference=row.reference, service=Service(row.service), request_type=RequestType(row.request_type),
        proposed_weekly=row.proposed_weekly, ras_weekly=row.ras_weekly, current_weekly=row.current_weekly,
        hours_per_month=row.hours_per_month, respite_weeks_per_year=row.respite_weeks_per_year, urgent=row.urgent,
        route=row.route, body_name=body.name if body else row.route,
        body_kind=body.kind if body else BodyKind.PERSON, reasons=tuple(row.reasons), then=tuple(row.then),
        practitioner_must_attend=row.practitioner_must_attend, attendance=tuple(row.attendance),
        evidence_required=tuple(row.evidence_required), evidence_attached=tuple(row.evidence),
        stage=Stage(row.stage), submitter=row.submitter, team_manager=row.team_manager, attendee=row.attendee,
        deciders=deciders(services, row), tier_role=row.tier_role,
        follow_on_name=follow_on.name if follow_on else None, submitted_at=row.submitted_at, panel=panel,
        slot=Slot(booking.starts_at, booking.ends_at) if booking else None,
        card_channel=cards[0][0] if cards else None, card_ts=cards[0][1] if cards else None, cards=cards,
        round=row.round,
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


def chair_of(services: Services, body: Body, day: date) -> tuple[str, tuple[str, ...]]:
    """(chair role, its Slack IDs) for a meeting's or panel's sitting day ("" when it does not sit)."""
    from bot.services.bodies import chair_for

    role, _ = chair_for(services, body, day)
    return (role or ""), (services.policy.members(role) if role else ())


def booking_view(services: Services, booking: ForumBooking, case: Case) -> BookingView:
    body = services.policy.bodies[booking.body]
    role, chairs = chair_of(services, body, booking.day)
    return BookingView(case_id=case.id, reference=case.reference, slot=Slot(booking.starts_at, booking.ends_at),
                       worker=case.submitter, attendee=case.attendee, chair_role=role, chairs=chairs,
                       body_name=body.name)


def agenda_for(services: Services, session: Session, day: date, body_id: str) -> Agenda:
    """A meeting's day: every slot, booked or free, with the chair, and the cases waiting for its
    endorsement or ratification. `closed` says why there is no sitting."""
    calendar, body = services.calendar, services.policy.bodies[body_id]
    slots = slots_on(calendar, body, day)
    if not slots:
        if day.weekday() >= 5:
            closed = "it is the weekend"
        elif calendar.is_bank_holiday(day):
            closed = "it is a bank holiday"
        elif day in calendar.closures or (body.schedule and day in body.schedule.closed_days()):
            closed = "the council is closed" if day in calendar.closures else f"the {body.name} is closed"
        else:
            closed = f"the {body.name} does not sit on this day"
        return Agenda(day=day, items=(), chair_role=None, chairs=(), closed=closed, body_name=body.name)
    booked = {
        booking.starts_at: (booking, case)
        for booking, case in session.execute(
            select(ForumBooking, Case).join(Case, Case.id == ForumBooking.case_id)
            .where(ForumBooking.day == day, ForumBooking.body == body_id, ForumBooking.cancelled_at.is_(None))
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
    role, chairs = chair_of(services, body, day)
    follow_ons = _follow_ons(services, session, body_id)
    return Agenda(day=day, items=tuple(items), chair_role=role, chairs=chairs, body_name=body.name,
                  follow_ons=tuple(view_of(services, c, full=False) for c in follow_ons))


def _follow_ons(services: Services, session: Session, body_id: str) -> list[Case]:
    return list(session.scalars(select(Case).where(
        Case.follow_on_body == body_id,
        Case.stage.in_([Stage.AWAITING_ENDORSEMENT, Stage.AWAITING_RATIFICATION])).order_by(Case.updated_at,
                                                                                            Case.id)).all())


def decision_view(row: Decision, *, concern: bool = True) -> DecisionView:
    """A recorded decision; the practice concern only when `concern` (for the line manager)."""
    return DecisionView(
        kind=DecisionKind(row.kind), outcome=Outcome(row.outcome), reason=row.reason, decided_by=row.decided_by,
        decided_for=row.decided_for,
        decided_at=row.decided_at, amended_weekly=row.amended_weekly, conditions=row.conditions,
        info_needed=row.info_needed, practice_concern=row.practice_concern if concern else None,
        concern_actions=row.concern_actions if concern else None, stage_after=Stage(row.stage_after))


def sitting_on(services: Services, body: Body, day: date) -> BodySitting | None:
    """The body's sitting on `day`, if it sits then."""
    found = sittings_on(services.calendar, body, day)
    return found[0] if found else None


def panel_agenda_for(services: Services, session: Session, day: date, body_id: str) -> PanelAgenda:
    """A panel's sitting on `day`: the cases listed for it (those carried from an earlier sitting
    marked so), and the cases waiting for its endorsement or ratification."""
    policy = services.policy
    body = policy.bodies[body_id]
    sitting = sitting_on(services, body, day)
    if sitting is None:
        raise ValueError(f"the {body.name} does not sit on {day}")
    cases = session.scalars(select(Case).where(Case.route == body_id, Case.panel_day == day,
                                               Case.stage == Stage.LISTED).order_by(Case.submitted_at, Case.id)).all()
    follow_ons = _follow_ons(services, session, body_id)
    _, chairs = chair_of(services, body, day)
    deputy = body.chair.deputy if body.chair else None
    return PanelAgenda(
        day=day, starts_at=sitting.starts_at, location=sitting.location or "",
        papers_due=sitting.papers_due or day, chair=chairs, deputy=policy.members(deputy) if deputy else (),
        cases=tuple(view_of(services, c, full=False) for c in cases),
        follow_ons=tuple(view_of(services, c, full=False) for c in follow_ons),
        body=body_id, body_name=body.name,
        quorum=tuple(f"{need.at_least} of the {need.role.replace('_', ' ')}" for need in body.quorum))


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


def visit_view(session: Session, row: Visit, visits_policy: Visits | None = None) -> VisitView:
    """The visit and its steps; with `visits_policy`, each step says how its deadline is counted."""
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
                counted=step_counted(visits_policy, Step(s.step)) if visits_policy else "",
            )
            for s in steps
        ),
    )
