"""Deciding a case: who may, exactly once, and everything a decision sets going.

Exactly one decision: a unique constraint on (case, round, kind) and a conditional stage update
(`UPDATE … WHERE stage = <the stage the decider saw>`), so two chairs clicking at once, a double
click or a retried delivery record one decision; the others are told who decided and when.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.calendar import long_date
from bot.domain.cases import CaseView, Stage, is_open
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
from bot.domain.routing import CaseRequest, RouteKind, Service, route_case
from bot.errors import UserError
from bot.notify import Notice
from bot.services import Services
from bot.services.outbox import queue_notice
from bot.services.reminders import on_decided
from bot.services.views import chair_of, decision_view, live_booking, view_of
from store.audit import record_audit
from store.models import Case, Decision, FollowUp


class NotAllowed(UserError):
    """The person may not make this decision; the message says who may."""


class DecisionRefused(UserError):
    """The decision cannot be recorded as asked (e.g. beyond delegated limits)."""


class AlreadyDecided(UserError):
    """Someone decided first. `decision` says who, when and what (None: the case has moved on)."""

    def __init__(self, reference: str, decision: DecisionView | None) -> None:
        super().__init__(f"Case {reference} was already decided.")
        self.reference = reference
        self.decision = decision


def _role_words(role: str) -> str:
    return role.replace("_", " ")


def _panel_of(row: Case) -> RouteKind:
    """The panel that endorses or ratifies: the forum for adults, the SEND panel for children."""
    return RouteKind.SEND_PANEL if Service(row.service) is Service.CHILDREN_SEND else RouteKind.FORUM


def refusal(services: Services, session: Session, row: Case, kind: DecisionKind, user: str) -> str | None:
    """None when `user` may make this decision on the case; otherwise a sentence saying who may."""
    if user == row.submitter:
        return "You submitted this case, so someone else must decide it."
    policy = services.policy
    panel = _panel_of(row) if kind is not DecisionKind.DECISION else RouteKind(row.route)
    if kind is DecisionKind.DECISION and panel is RouteKind.FORUM:
        booking = live_booking(session, row.id)
        if booking is None:
            return f"Case {row.reference} has no forum slot yet: the chair of its sitting decides it."
        role, _ = chair_of(services, booking.day)
        if services.holds_role(user, role):
            return None
        day = long_date(booking.day).rsplit(" ", 1)[0]  # "Tuesday 24 November"
        return f"Only the chair of the forum on {day} ({_role_words(role)}) can decide this."
    if kind is DecisionKind.DECISION and panel is RouteKind.DELEGATED:
        if user == row.team_manager and services.holds_role(user, policy.delegated.role):
            return None
        return f"Only <@{row.team_manager}>, the worker's team manager, can sign this case off."
    if kind is DecisionKind.DECISION and panel is RouteKind.URGENT:
        if services.holds_role(user, policy.urgent.role):
            return None
        return f"Only the {_role_words(policy.urgent.role)} can decide an urgent case."
    if panel is RouteKind.SEND_PANEL:
        if services.holds_role(user, policy.send_panel.chair) or services.holds_role(user, policy.send_panel.deputy):
            return None
        return "Only the SEND panel's chair, or the deputy in their absence, can decide this."
    # The forum endorses or ratifies at any sitting: any of its chairs.
    if any(services.holds_role(user, role) for role in policy.forum.chair_rota):
        return None
    return "Only a chair of the Enhanced Peer Forum can decide this."


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
        raise DecisionRefused("That case is no longer in panelbot.")
    kind = KIND_AT_STAGE.get(Stage(row.stage))
    if row.round != round_ or kind is None:
        raise AlreadyDecided(row.reference, _current(session, row, round_, None))
    if (why_not := refusal(services, session, row, kind, user)) is not None:
        raise NotAllowed(why_not)
    return row, kind


def start_decision(services: Services, case_id: int, round_: int, outcome: Outcome, user: str) -> CaseView:
    """Check, before the decision form opens, that `user` may decide now. Raises NotAllowed or AlreadyDecided."""
    with services.sessions() as session:
        row, kind = _waiting_for(services, session, case_id, round_, user)
        if outcome not in OUTCOMES_FOR[kind]:
            raise DecisionRefused(f"Case {row.reference} is waiting for {kind}, not that.")
        return view_of(services, row, full=True)


def _within_delegation(services: Services, row: Case, amended: DecisionForm) -> None:
    if RouteKind(row.route) is not RouteKind.DELEGATED or amended.amended_weekly is None:
        return
    view = view_of(services, row, full=False)
    again = route_case(services.policy, CaseRequest(
        service=view.service, request_type=view.request_type, proposed_weekly=amended.amended_weekly,
        ras_weekly=view.ras_weekly, current_weekly=view.current_weekly, hours_per_month=view.hours_per_month,
        respite_weeks_per_year=view.respite_weeks_per_year, urgent=view.urgent))
    if RouteKind(again.kind) is not RouteKind.DELEGATED:
        raise DecisionRefused(f"£{amended.amended_weekly}/wk is beyond what can be signed off outside panel "
                              f"({again.reasons[0]}). Defer or decline, and send it to the panel.")


def decide(services: Services, case_id: int, round_: int, form: DecisionForm, user: str) -> Decided:
    """Record one decision, move the case on, and queue what it owes, in one transaction.

    Raises NotAllowed, DecisionRefused, or AlreadyDecided (someone was first; nothing changes).
    """
    now = services.now()
    try:
        with services.sessions.begin() as session:
            row, kind = _waiting_for(services, session, case_id, round_, user)
            if form.outcome not in OUTCOMES_FOR[kind]:
                raise DecisionRefused(f"Case {row.reference} is waiting for {kind}, not that.")
            _within_delegation(services, row, form)
            before = Stage(row.stage)
            after = stage_after(form.outcome, tuple(row.then))
            decision = Decision(case_id=row.id, round=row.round, kind=kind, outcome=form.outcome, reason=form.reason,
                                amended_weekly=form.amended_weekly, conditions=form.conditions,
                                info_needed=form.info_needed, practice_concern=form.practice_concern,
                                concern_actions=form.concern_actions, stage_after=after, decided_by=user,
                                decided_at=now)
            session.add(decision)
            session.flush()  # the unique constraint decides a race here
            moved = session.execute(
                update(Case).where(Case.id == row.id, Case.stage == before, Case.round == round_)
                .values(stage=after, is_open=is_open(after), updated_at=now)
            ).rowcount
            if moved != 1:
                raise IntegrityError("stage moved on", {}, Exception("conditional update matched no row"))
            session.refresh(row)
            record_audit(session, at=now, actor=user, action=f"case.{kind}", subject_type="case",
                         subject_id=row.reference, before={"stage": before, "round": round_},
                         after={"stage": after, "outcome": form.outcome, "decision_id": decision.id,
                                "amended_weekly": str(form.amended_weekly) if form.amended_weekly else None})
            scheduled = []
            if kind is DecisionKind.DECISION and agrees_funding(form.outcome):
                scheduled = _schedule_follow_ups(services, session, row, now)
            on_decided(services, session, row, form.outcome, scheduled, now)
            _queue_decision_notices(session, row, decision, now)
            return Decided(view_of(services, row, full=False), decision_view(decision))
    except IntegrityError:
        with services.sessions() as session:
            row = session.get_one(Case, case_id)
            raise AlreadyDecided(row.reference, _current(session, row, round_, None)) from None


def _schedule_follow_ups(services: Services, session: Session, row: Case, now) -> list[FollowUp]:  # type: ignore[no-untyped-def]
    reviews = services.policy.reviews
    rows = [FollowUp(case_id=row.id, round=row.round, kind=due.kind, due_on=due.due_on, why=due.why, created_at=now)
            for due in follow_ups(Service(row.service), services.calendar.local_date(now),
                                  send_review_months=reviews.send_review_months,
                                  send_resubmission_months=reviews.send_resubmission_months,
                                  adults_first_review_weeks=reviews.adults_first_review_weeks)]
    session.add_all(rows)
    session.flush()
    return rows


def _queue_decision_notices(session: Session, row: Case, decision: Decision, now) -> None:  # type: ignore[no-untyped-def]
    payload = {"decision_id": decision.id}
    tag = f"{row.id}:{decision.id}"
    channel = row.card_channel or "card"
    queue_notice(session, Notice.CARD_UPDATE, row.id, channel, now, key=f"{Notice.CARD_UPDATE}:{tag}")
    queue_notice(session, Notice.THREAD_REPLY, row.id, channel, now, key=f"{Notice.THREAD_REPLY}:{tag}",
                 payload=payload)
    for person in dict.fromkeys(p for p in (row.submitter, row.attendee) if p):
        queue_notice(session, Notice.DECISION_NOTICE, row.id, person, now,
                     key=f"{Notice.DECISION_NOTICE}:{tag}:{person}", payload=payload)
    if decision.practice_concern:
        queue_notice(session, Notice.PRACTICE_CONCERN, row.id, row.team_manager, now,
                     key=f"{Notice.PRACTICE_CONCERN}:{tag}", payload=payload)

