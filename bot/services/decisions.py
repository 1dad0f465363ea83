"""Deciding a case: who may, exactly once, and everything a decision sets going.

Exactly one decision: a unique constraint on (case, round, kind) and a conditional stage update
(`UPDATE … WHERE stage = <the stage the decider saw>`), so two chairs clicking at once, a double
click or a retried delivery record one decision; the others are told who decided and when.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.bodies import BodyKind
from bot.domain.cases import FOLLOW_ON_STAGES, CaseView, Stage, is_open
from bot.domain.decisions import (
    KIND_AT_STAGE,
    OUTCOMES_FOR,
    Decided,
    DecisionForm,
    DecisionKind,
    DecisionView,
    Outcome,
    agrees_funding,
    follow_ups,
    stage_after,
)
from bot.domain.reminders import ReminderKind
from bot.domain.routing import CaseRequest, RequestType, Service, covering_tiers, route_case
from bot.domain.schedules import next_sittings
from bot.errors import UserError
from bot.notify import Notice
from bot.policy import Body
from bot.refusals import Problem, Refusal
from bot.services import Services
from bot.services.attendance import present_at, quorum_shortfall
from bot.services.bodies import chair_for
from bot.services.outbox import queue_card_updates, queue_notice
from bot.services.reminders import on_decided, withdraw
from bot.services.views import decision_view, live_booking, view_of
from store.audit import record_audit
from store.db import rows_matched
from store.models import Case, Decision, FollowUp


class NotAllowed(UserError):
    """The person may not make this decision; its code (and facts) say who may."""


class DecisionRefused(UserError):
    """The decision cannot be recorded as asked (e.g. beyond delegated limits)."""


class AlreadyDecided(UserError):
    """Someone decided first. `decision` says who, when and what (None: the case has moved on)."""

    def __init__(self, reference: str, decision: DecisionView | None) -> None:
        super().__init__(Refusal.ALREADY_DECIDED, reference=reference)
        self.reference = reference
        self.decision = decision


def _deciding_body(services: Services, row: Case, kind: DecisionKind) -> Body:
    """The body that makes this decision: the case's own, or the one its endorsement or ratification
    goes to."""
    bodies = services.policy.bodies
    if kind is not DecisionKind.DECISION and row.follow_on_body in bodies:
        return bodies[row.follow_on_body]
    return bodies[row.route]


def refusal(services: Services, session: Session, row: Case, kind: DecisionKind, user: str) -> Problem | None:
    """None when `user` may make this decision on the case; otherwise the refusal saying who may and why."""
    if user == row.submitter:
        return Problem(Refusal.OWN_SUBMISSION)
    if user == row.attendee:
        return Problem(Refusal.OWN_ATTENDANCE)
    if kind is not DecisionKind.DECISION:
        decided_by = session.scalars(select(Decision.decided_by).where(
            Decision.case_id == row.id, Decision.round == row.round, Decision.kind == DecisionKind.DECISION)).first()
        if decided_by == user:
            return Problem(Refusal.OWN_DECISION, kind=kind)
    body = _deciding_body(services, row, kind)
    if body.kind is BodyKind.PERSON:
        return _person_refusal(services, body, row, user)
    holds = [role for role in body.decider_roles() if services.holds_role(user, role)]
    if body.kind is BodyKind.MEETING and kind is DecisionKind.DECISION:
        booking = live_booking(session, row.id)
        if booking is None:
            return Problem(Refusal.NO_SLOT_YET, reference=row.reference, body=body.name)
        role, _ = chair_for(services, body, booking.day)
        deputy = body.chair.deputy if body.chair else None
        if role is not None and (services.holds_role(user, role) or (deputy and services.holds_role(user, deputy))):
            return None
        return Problem(Refusal.NOT_SITTING_CHAIR, body=body.name, day=booking.day, role=role or "")
    if not holds:
        if body.kind is BodyKind.PANEL:
            return Problem(Refusal.NOT_PANEL_CHAIR, body=body.name)
        return Problem(Refusal.NOT_A_CHAIR, body=body.name)
    if body.kind is BodyKind.PANEL and body.quorum:
        return _quorum_refusal(services, session, body, row)
    return None


def _person_refusal(services: Services, body: Body, row: Case, user: str) -> Problem | None:
    weeks = services.policy.routing.weeks_per_year
    covering = covering_tiers(body, row.proposed_weekly, weeks)
    if any(services.holds_role(user, tier.role) for tier in covering):
        return None
    if not covering:
        return Problem(Refusal.OVER_EVERY_LIMIT, reference=row.reference, body=body.name)
    return Problem(Refusal.NOT_COVERING_TIER, roles=tuple(tier.role for tier in covering), weekly=row.proposed_weekly,
                   body=body.name)


def _sitting_day(services: Services, body: Body, row: Case) -> date | None:
    """The sitting a panel decision belongs to: today's, or else the latest before today."""
    today = services.calendar.local_date(services.now())
    recent = next_sittings(services.calendar, body, after=today - timedelta(days=45), count=40)
    held = [sitting.day for sitting in recent if sitting.day <= today]
    return held[-1] if held else row.panel_day


def _quorum_refusal(services: Services, session: Session, body: Body, row: Case) -> Problem | None:
    day = _sitting_day(services, body, row)
    if day is None:
        return Problem(Refusal.PANEL_NOT_SAT, body=body.name)
    missing = quorum_shortfall(services, body, present_at(session, _body_id(services, body), day))
    if not missing:
        return None
    return Problem(Refusal.NOT_QUORATE, body=body.name, day=day, missing=missing)


def _body_id(services: Services, body: Body) -> str:
    return next(key for key, value in services.policy.bodies.items() if value is body)


def _current(session: Session, row: Case, round_: int, kind: DecisionKind | None) -> DecisionView | None:
    query = select(Decision).where(Decision.case_id == row.id, Decision.round == round_)
    if kind is not None:
        query = query.where(Decision.kind == kind)
    latest = session.scalars(query.order_by(Decision.id.desc())).first()
    return decision_view(latest) if latest else None


def _waiting_for(services: Services, session: Session, case_id: int, round_: int,
                 user: str) -> tuple[Case, DecisionKind]:
    row = session.get(Case, case_id)
    if row is None:
        raise DecisionRefused(Refusal.CASE_GONE)
    kind = KIND_AT_STAGE.get(Stage(row.stage))
    if row.round != round_ or kind is None:
        raise AlreadyDecided(row.reference, _current(session, row, round_, None))
    if (why_not := refusal(services, session, row, kind, user)) is not None:
        raise NotAllowed(why_not.code, **why_not.facts)
    return row, kind


def start_decision(services: Services, case_id: int, round_: int, outcome: Outcome, user: str) -> CaseView:
    """Check, before the decision form opens, that `user` may decide now. Raises NotAllowed or AlreadyDecided."""
    with services.sessions() as session:
        row, kind = _waiting_for(services, session, case_id, round_, user)
        if outcome not in OUTCOMES_FOR[kind]:
            raise DecisionRefused(Refusal.WRONG_OUTCOME, reference=row.reference, kind=kind)
        return view_of(services, row, full=True)


def _within_authority(services: Services, row: Case, form: DecisionForm, user: str) -> None:
    """An amended amount must still be one this decider, and this body, may agree."""
    body = services.policy.bodies[row.route]
    if body.kind is not BodyKind.PERSON or form.amended_weekly is None:
        return
    amended = form.amended_weekly
    view = view_of(services, row, full=False)
    request_type, current = view.request_type, view.current_weekly
    if current is not None and request_type in (RequestType.INCREASE, RequestType.DECREASE):
        # An amount agreed below (above) the current cost makes the change the other way, or none.
        if amended == current:
            request_type, current = RequestType.NEW_PACKAGE, None
        else:
            request_type = RequestType.INCREASE if amended > current else RequestType.DECREASE
    again = route_case(services.policy, CaseRequest(
        service=view.service, request_type=request_type, proposed_weekly=amended,
        ras_weekly=view.ras_weekly, current_weekly=current, hours_per_month=view.hours_per_month,
        respite_weeks_per_year=view.respite_weeks_per_year, urgent=view.urgent))
    if again.body != row.route:
        # The first comparison that now fails or holds against it: "£420.00/wk is over the £350.00 threshold".
        why = next((reason for reason in again.reasons if " is over " in reason), again.reasons[0])
        raise DecisionRefused(Refusal.BEYOND_BODY, weekly=amended, body=body.name, other=again.name, reason=why)
    covering = covering_tiers(body, amended, services.policy.routing.weeks_per_year)
    if not any(services.holds_role(user, tier.role) for tier in covering):
        raise DecisionRefused(Refusal.OVER_YOUR_LIMIT, weekly=amended, roles=tuple(tier.role for tier in covering))


def decide(services: Services, case_id: int, round_: int, form: DecisionForm, user: str) -> Decided:
    """Record one decision, move the case on, and queue what it owes, in one transaction.

    Raises NotAllowed, DecisionRefused, or AlreadyDecided (someone was first; nothing changes).
    """
    now = services.now()
    try:
        with services.sessions.begin() as session:
            row, kind = _waiting_for(services, session, case_id, round_, user)
            if form.outcome not in OUTCOMES_FOR[kind]:
                raise DecisionRefused(Refusal.WRONG_OUTCOME, reference=row.reference, kind=kind)
            _within_authority(services, row, form, user)
            before = Stage(row.stage)
            after = stage_after(form.outcome, tuple(row.then))
            on_behalf = services.acting_for(user, lambda: refusal(services, session, row, kind, user) is None)
            decision = Decision(case_id=row.id, round=row.round, kind=kind, outcome=form.outcome, reason=form.reason,
                                amended_weekly=form.amended_weekly, conditions=form.conditions,
                                info_needed=form.info_needed, practice_concern=form.practice_concern,
                                concern_actions=form.concern_actions, stage_after=after, decided_by=user,
                                decided_for=on_behalf, decided_at=now)
            session.add(decision)
            session.flush()  # the unique constraint decides a race here
            moved = rows_matched(session,
                update(Case).where(Case.id == row.id, Case.stage == before, Case.round == round_)
                .values(stage=after, is_open=is_open(after), updated_at=now)
            )
            if moved != 1:
                raise IntegrityError("stage moved on", {}, Exception("conditional update matched no row"))
            session.refresh(row)
            record_audit(session, at=now, actor=user, on_behalf_of=on_behalf, action=f"case.{kind}",
                         subject_type="case",
                         subject_id=row.reference, before={"stage": before, "round": round_},
                         after={"stage": after, "outcome": form.outcome, "decision_id": decision.id,
                                "amended_weekly": str(form.amended_weekly) if form.amended_weekly else None})
            scheduled = []
            if kind is DecisionKind.DECISION and agrees_funding(form.outcome):
                scheduled = _schedule_follow_ups(services, session, row, now)
            if form.outcome is Outcome.NOT_ENDORSED:
                _cancel_follow_ups(session, row, now)  # the decision out of panel does not stand
            on_decided(services, session, row, form.outcome, scheduled, now)
            _queue_decision_notices(services, session, row, decision, now)
            from bot.services.spot_checks import on_decision as draw_spot_check  # one hunk: see issue 14
            draw_spot_check(services, session, row, decision, now)  # a person body's agreed decision is drawn
            if after in FOLLOW_ON_STAGES:
                _tell_follow_on_body(services, session, row, after, now)
            return Decided(view_of(services, row, full=False), decision_view(decision))
    except IntegrityError:
        with services.sessions() as session:
            row = session.get_one(Case, case_id)
            raise AlreadyDecided(row.reference, _current(session, row, round_, None)) from None


def _schedule_follow_ups(services: Services, session: Session, row: Case, now: datetime) -> list[FollowUp]:
    reviews = services.policy.reviews
    anchor = services.calendar.local_date(now)
    if row.renews_case_id is not None:
        # A renewal keeps the cycle of the package it renews: anchored on the first decision, not this one.
        renewed = session.scalars(select(FollowUp.due_on).where(
            FollowUp.case_id == row.renews_case_id, FollowUp.kind == "resubmission")
            .order_by(FollowUp.due_on.desc())).first()
        anchor = renewed or anchor
    rows = [FollowUp(case_id=row.id, round=row.round, kind=due.kind, due_on=due.due_on, why=due.why, created_at=now)
            for due in follow_ups(Service(row.service), anchor,
                                  send_review_months=reviews.send_review_months,
                                  send_resubmission_months=reviews.send_resubmission_months,
                                  adults_first_review_weeks=reviews.adults_first_review_weeks)]
    session.add_all(rows)
    session.flush()
    return rows


def _tell_follow_on_body(services: Services, session: Session, row: Case, stage: Stage, now: datetime) -> None:
    """The body that endorses or ratifies hears that a case waits in its queue (and sees it on its
    next agenda)."""
    kind = DecisionKind.ENDORSEMENT if stage is Stage.AWAITING_ENDORSEMENT else DecisionKind.RATIFICATION
    body = _deciding_body(services, row, kind)
    for person in services.people(m for role in body.decider_roles() for m in services.policy.members(role)):
        if person not in (row.submitter, row.attendee):
            queue_notice(session, Notice.DECIDER_NOTICE, row.id, person, now,
                         key=f"{Notice.DECIDER_NOTICE}:{row.id}:r{row.round}:{kind}:{person}",
                         payload={"follow_on": str(kind)})


def _cancel_follow_ups(session: Session, row: Case, now: datetime) -> None:
    """The reviews and resubmission an approval scheduled are no longer owed, nor reminded."""
    for follow_up in session.scalars(select(FollowUp).where(FollowUp.case_id == row.id,
                                                            FollowUp.done_at.is_(None))).all():
        follow_up.done_at = now
    withdraw(session, row.id, [ReminderKind.REVIEW_DUE, ReminderKind.RESUBMISSION_DUE], now)


def _queue_decision_notices(services: Services, session: Session, row: Case, decision: Decision, now: datetime
                            ) -> None:
    payload = {"decision_id": decision.id}
    tag = f"{row.id}:{decision.id}"
    queue_card_updates(services, session, row, now, f"{Notice.CARD_UPDATE}:{tag}", thread_reply=payload,
                       reply_key=f"{Notice.THREAD_REPLY}:{tag}")
    for person in dict.fromkeys(p for p in (row.submitter, row.attendee) if p):
        queue_notice(session, Notice.DECISION_NOTICE, row.id, person, now,
                     key=f"{Notice.DECISION_NOTICE}:{tag}:{person}", payload=payload)
    if decision.practice_concern:
        queue_notice(session, Notice.PRACTICE_CONCERN, row.id, row.team_manager, now,
                     key=f"{Notice.PRACTICE_CONCERN}:{tag}", payload=payload)

