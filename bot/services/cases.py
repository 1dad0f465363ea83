"""Submitting a case, and looking cases up: `submit_case`, `cases_of`, `look_up_case`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.bodies import BodyKind
from bot.domain.cases import DECISION_STAGES, CaseView, PanelListing, Stage, first_stage, is_open
from bot.domain.decisions import Decided, DecisionKind, Outcome
from bot.domain.reminders import ReminderKind
from bot.domain.routing import Route, route_case
from bot.domain.schedules import sitting_for_papers
from bot.domain.submission import Submission
from bot.errors import UserError
from bot.notify import Notice
from bot.policy import Body
from bot.refusals import Refusal
from bot.services import Services
from bot.services.bodies import decider_ids, follow_on_body
from bot.services.outbox import drop_cards_elsewhere, queue_card_updates, queue_cards, queue_notice
from bot.services.reminders import on_resubmitted, on_waiting_for_decision, withdraw
from bot.services.spot_checks import is_spot_checker_of
from bot.services.views import decision_view, live_booking, view_of
from store.audit import record_audit
from store.db import rows_matched
from store.models import Audit, Case, Decision, FollowUp


class SubmissionProblem(UserError):
    """The submission cannot be stored as it is; `field` is the form field to show the refusal under."""

    field: str

    def __init__(self, code: Refusal, /, *, field: str, **facts: object) -> None:
        super().__init__(code, field=field, **facts)


class CaseInFlight(SubmissionProblem):
    """A case with this reference is already open; the refusal names its stage and where it is."""

    def __init__(self, reference: str, stage: Stage, body: str) -> None:
        super().__init__(Refusal.CASE_IN_FLIGHT, field="reference", reference=reference, stage=stage, body=body)


@dataclass(frozen=True)
class SubmitResult:
    case: CaseView
    created: bool  # False when this was a repeat of a submission already stored (a double click)
    corrected: tuple[str, ...] = ()  # a correction of the case before its decision: what changed, in words


@dataclass(frozen=True)
class LookUp:
    case: CaseView
    full: bool  # True when the viewer has a role on the case and may see its details


def panel_listing(services: Services, body: Body, submitted_at: datetime) -> PanelListing:
    """The sitting of a panel a case submitted now goes to: the first whose papers are not yet due,
    and the sitting it missed when its papers came too late for that one."""
    sitting, missed = sitting_for_papers(services.calendar, body, submitted_at)
    return PanelListing(day=sitting.day, starts_at=sitting.starts_at, location=sitting.location or "",
                        papers_due=sitting.papers_due or sitting.day,
                        late_for=missed.day if missed is not None else None)


def _open_case(session: Session, reference: str) -> Case | None:
    return session.scalars(select(Case).where(Case.reference == reference, Case.is_open)).first()


def _in_flight(services: Services, row: Case) -> CaseInFlight:
    body = services.policy.bodies.get(row.route)
    where = body.name if body is not None else row.route
    return CaseInFlight(row.reference, Stage(row.stage), where)


def submit_case(services: Services, submission: Submission, *, key: str) -> SubmitResult:
    """Store a new case with its route, an audit row and the messages it owes, in one transaction.

    `key` identifies the submission (the form's view id): a repeat with the same key returns the
    case already stored and changes nothing. Raises CaseInFlight when the reference has an open case.
    """
    now = services.now()
    policy = services.policy
    route = route_case(policy, submission.to_case_request())
    body = policy.bodies[route.body]
    if not services.holds_role(submission.team_manager, policy.case_form.team_manager_role):
        raise SubmissionProblem(Refusal.TEAM_MANAGER_NOT_IN_ROLE, field="team_manager",
                                role=policy.case_form.team_manager_role)
    told = _people_to_tell(services, route, submission)
    if body.attendee_required and submission.attendee is None:
        if body.attendance:
            raise SubmissionProblem(Refusal.ATTENDEE_NEEDED, field="attendee", body=body.name,
                                    attendance=tuple(body.attendance))
        raise SubmissionProblem(Refusal.ATTENDEE_NEEDED_ANYONE, field="attendee", body=body.name)
    try:
        with services.sessions.begin() as session:
            # The form stored already (a retry), and the reference's open case, in one look-up.
            found = session.scalars(select(Case).where(
                (Case.submission_key == key) | ((Case.reference == submission.reference) & Case.is_open))).all()
            existing = next((case for case in found if case.submission_key == key), None)
            if existing is not None:
                return SubmitResult(view_of(services, existing, full=True), created=False)
            if (open_case := next((case for case in found if case.is_open), None)) is not None:
                if Stage(open_case.stage) is Stage.DEFERRED and submission.submitter in (open_case.submitter,
                                                                                          open_case.attendee):
                    return _resubmit(services, session, open_case, submission, route, key, told, now)
                if open_case.submission_key == key:  # the same form again, seen once the first was stored
                    return SubmitResult(view_of(services, open_case, full=True), created=False)
                if Stage(open_case.stage) in DECISION_STAGES and submission.submitter == open_case.submitter:
                    return _correct(services, session, open_case, submission, route, key, told, now)
                raise _in_flight(services, open_case)
            row = _new_case(services, submission, route, key, now)
            session.add(row)
            session.flush()
            _link_renewal(session, row, now)
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
                raise _in_flight(services, open_case) from None
        raise


def _link_renewal(session: Session, row: Case, now: datetime) -> None:
    """A case for a reference whose agreed package is due for resubmission renews that package: the
    link keeps the cycle anchored on the first decision, and the resubmission is no longer owed."""
    due = session.execute(
        select(FollowUp, Case).join(Case, Case.id == FollowUp.case_id)
        .where(Case.reference == row.reference, Case.id != row.id, FollowUp.kind == "resubmission",
               FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on)
    ).first()
    if due is None:
        return
    follow_up, renewed = due
    row.renews_case_id = renewed.id
    follow_up.done_at = now
    withdraw(session, renewed.id, [ReminderKind.RESUBMISSION_DUE], now, about_id=follow_up.id)


# What a resubmission replaces; the case keeps its id, card, first submission time and decisions.
RESUBMITTED = ("submission_key", "service", "request_type", "proposed_weekly", "ras_weekly", "current_weekly",
               "hours_per_month", "respite_weeks_per_year", "urgent", "urgent_reason", "strengths_and_needs",
               "outcomes", "alternatives", "evidence", "record_link", "team_manager", "attendee", "route", "reasons",
               "then", "practitioner_must_attend", "attendance", "evidence_required", "stage", "is_open", "panel_day",
               "panel_starts_at", "panel_location", "papers_due", "panel_late_for", "tier_role", "follow_on_body",
               "carried_from")


def _resubmit(services: Services, session: Session, row: Case, submission: Submission, route: Route, key: str,
              told: list[str], now: datetime) -> SubmitResult:
    """A deferred case comes back with what was missing: same case, next round, its route worked out
    again; earlier rounds' decisions stay with it."""
    fresh = _new_case(services, submission, route, key, now)
    before = _audit_facts(row)
    for column in RESUBMITTED:
        setattr(row, column, getattr(fresh, column))
    row.round += 1
    row.updated_at = now
    session.flush()
    drop_cards_elsewhere(services, session, row)  # new cards in the new route's channels
    record_audit(session, at=now, actor=submission.submitter, action="case.resubmitted", subject_type="case",
                 subject_id=row.reference, before=before, after={**_audit_facts(row), "round": row.round})
    _queue_submission_notices(services, session, row, told, now)
    on_resubmitted(session, row, now)
    on_waiting_for_decision(services, session, row, told, now)
    return SubmitResult(view_of(services, row, full=True), created=True)


# What a correction compares, in the words it says what changed with.
_CORRECTABLE = (("service", "service"), ("request_type", "request type"), ("proposed_weekly", "proposed cost"),
                ("ras_weekly", "RAS"), ("current_weekly", "current cost"), ("hours_per_month", "hours a month"),
                ("respite_weeks_per_year", "respite weeks a year"), ("urgent", "urgent"),
                ("evidence", "evidence"), ("team_manager", "team manager"), ("attendee", "attending"),
                ("age_band", None), ("team", None), ("top_up", None))


def _changes(row: Case, fresh: Case) -> list[str]:
    """What a correction changed, in words: amounts and choices, never free text."""
    changed = []
    for column, words in _CORRECTABLE:
        if words is None or not hasattr(row, column):
            continue
        old, new = getattr(row, column), getattr(fresh, column)
        if old != new:
            if column in ("team_manager", "attendee"):
                changed.append(f"{words} changed")
            elif column == "evidence":
                changed.append("evidence changed")
            else:
                changed.append(f"{words} {_word(old)} → {_word(new)}")
    return changed


def _word(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, Decimal):
        return f"£{value:,.2f}"
    return str(value).replace("_", " ")


def _correct(services: Services, session: Session, row: Case, submission: Submission, route: Route, key: str,
             told: list[str], now: datetime) -> SubmitResult:
    """The worker corrects a case before its decision: the same case and round, its figures, evidence and
    people replaced, its route worked out again; a slot at a meeting it no longer goes to is freed; the
    audit keeps what it was."""
    fresh = _new_case(services, submission, route, key, now)
    changes = _changes(row, fresh)
    before = _audit_facts(row)
    old_body, old_stage = row.route, Stage(row.stage)
    for column in RESUBMITTED:
        if column in ("panel_day", "panel_starts_at", "panel_location", "papers_due", "panel_late_for") and \
                row.route == fresh.route:
            continue  # still the same panel: it keeps its place on the agenda
        setattr(row, column, getattr(fresh, column))
    if fresh.route == old_body and old_stage is Stage.BOOKED:
        row.stage = Stage.BOOKED  # the same meeting: the slot stands
    elif (booking := live_booking(session, row.id)) is not None:
        booking.cancelled_at, booking.cancelled_by = now, submission.submitter
    if fresh.route != old_body:
        changes.append(f"now goes to the {services.policy.bodies[fresh.route].name}")
    row.updated_at = now
    session.flush()
    drop_cards_elsewhere(services, session, row)  # new cards in the new body's channels
    record_audit(session, at=now, actor=submission.submitter, action="case.corrected", subject_type="case",
                 subject_id=row.reference, before=before, after={**_audit_facts(row), "changed": changes})
    corrections = session.scalar(select(func.count()).select_from(Audit).where(
        Audit.action == "case.corrected", Audit.subject_id == row.reference))
    suffix = f":c{corrections}"
    queue_cards(services, session, row, now, f"{row.id}{suffix}")
    queue_notice(session, Notice.RECEIPT, row.id, row.submitter, now, key=f"{Notice.RECEIPT}:{row.id}{suffix}")
    for person in told:
        queue_notice(session, Notice.DECIDER_NOTICE, row.id, person, now,
                     key=f"{Notice.DECIDER_NOTICE}:{row.id}{suffix}:{person}")
    if fresh.route != old_body:  # the old body's deciders are no longer waited on
        withdraw(session, row.id, [ReminderKind.DECISION_WAITING, ReminderKind.DECISION_OVERDUE], now)
    on_waiting_for_decision(services, session, row, told, now)
    return SubmitResult(view_of(services, row, full=True), created=True, corrected=tuple(changes) or
                        ("nothing changed in the figures, evidence or people",))


def _new_case(services: Services, submission: Submission, route: Route, key: str, now: datetime) -> Case:
    body = services.policy.bodies[route.body]
    panel = panel_listing(services, body, now) if body.kind is BodyKind.PANEL else None
    stage = first_stage(body.kind, submission.urgent)
    return Case(
        reference=submission.reference, submission_key=key, service=submission.service,
        request_type=submission.request_type, proposed_weekly=submission.proposed_weekly,
        ras_weekly=submission.ras_weekly, current_weekly=submission.current_weekly,
        hours_per_month=submission.hours_per_month, respite_weeks_per_year=submission.respite_weeks_per_year,
        urgent=submission.urgent, urgent_reason=submission.urgent_reason,
        strengths_and_needs=submission.strengths_and_needs, outcomes=submission.outcomes,
        alternatives=submission.alternatives, evidence=list(submission.evidence), record_link=submission.record_link,
        submitter=submission.submitter, team_manager=submission.team_manager, attendee=submission.attendee,
        route=route.body, tier_role=route.tier, follow_on_body=route.then_at, reasons=list(route.reasons),
        then=[str(step) for step in route.then],
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


def _people_to_tell(services: Services, route: Route, submission: Submission) -> list[str]:
    """Who gets a DM that a new case waits on them: everyone holding the tier that covers it at a person
    body (user groups expanded, so each member is told), the named team manager among them first.
    Asked before the transaction opens, since the directory may call Slack. Chairs of meetings and
    panels hear through the agenda instead."""
    if route.tier is None:
        return []
    members = services.people(services.policy.members(route.tier))
    if submission.team_manager in members:
        members = [submission.team_manager, *(m for m in members if m != submission.team_manager)]
    return [person for person in members if person not in (submission.submitter, submission.attendee)]


def _queue_submission_notices(services: Services, session: Session, row: Case, told: list[str],
                              now: datetime) -> None:
    # Keys name this case and round, which this transaction created: they cannot exist yet.
    suffix = "" if row.round == 1 else f":r{row.round}"  # a resubmission owes its messages again
    queue_cards(services, session, row, now, f"{row.id}{suffix}", fresh=row.round == 1)
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
    """The submitter, the attendee, the team manager, or a decider or member of the case's body or of
    the body that endorses or ratifies it."""
    if user in (row.submitter, row.attendee, row.team_manager):
        return True
    if is_spot_checker_of(services, row, user):  # the spot checker of a case drawn for a check
        return True
    roles: list[str] = []
    for body in (services.policy.bodies.get(row.route), follow_on_body(services, row)):
        if body is not None:
            roles.extend((*body.decider_roles(), *body.members))
    return any(services.holds_role(user, role) for role in dict.fromkeys(roles))


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


class WithdrawRefused(UserError):
    """The case cannot be withdrawn by this person now; its code says why."""


WITHDRAWABLE = frozenset({*DECISION_STAGES, Stage.DEFERRED})


def _withdrawable(services: Services, session: Session, case_id: int | None, reference: str | None,
                  user: str) -> Case:
    row = session.get(Case, case_id) if case_id is not None else _open_case(session, reference or "")
    if row is None:
        raise WithdrawRefused(Refusal.NO_OPEN_CASE)
    if user not in (row.submitter, row.team_manager) and not set(services.covering(user)) & {row.submitter,
                                                                                             row.team_manager}:
        raise WithdrawRefused(Refusal.WITHDRAW_NOT_YOURS, reference=row.reference)
    if Stage(row.stage) not in WITHDRAWABLE:
        raise WithdrawRefused(Refusal.WITHDRAW_TOO_LATE, reference=row.reference, stage=Stage(row.stage))
    return row


def start_withdrawal(services: Services, reference: str, user: str) -> CaseView:
    """The open case `user` may withdraw (for the form). Raises WithdrawRefused."""
    with services.sessions() as session:
        return view_of(services, _withdrawable(services, session, None, reference, user), full=True)


def withdraw_case(services: Services, case_id: int, reason: str, user: str) -> Decided:
    """Withdraw an open case with a reason, once: its slot is freed, its reminders withdrawn, the card
    updated, and the worker, the person attending and the deciders told. Raises WithdrawRefused (also
    when someone withdrew or decided it first: its facts say what it is now)."""
    now = services.now()
    try:
        with services.sessions.begin() as session:
            row = _withdrawable(services, session, case_id, None, user)
            before, old_round = Stage(row.stage), row.round
            round_ = old_round + 1 if before is Stage.DEFERRED else old_round  # a deferral is that round's decision
            decision = Decision(case_id=row.id, round=round_, kind=DecisionKind.DECISION, outcome=Outcome.WITHDRAWN,
                                reason=reason, stage_after=Stage.WITHDRAWN, decided_by=user, decided_at=now)
            session.add(decision)
            session.flush()  # one decision of a kind a round: a second withdrawal or a decision loses here
            moved = rows_matched(session,
                update(Case).where(Case.id == row.id, Case.stage == before, Case.round == old_round)
                .values(stage=Stage.WITHDRAWN, is_open=False, round=round_, updated_at=now))
            if moved != 1:
                raise IntegrityError("stage moved on", {}, Exception("conditional update matched no row"))
            session.refresh(row)
            booking = live_booking(session, row.id)
            if booking is not None:
                booking.cancelled_at, booking.cancelled_by = now, user
            withdraw(session, row.id, list(ReminderKind), now)
            record_audit(session, at=now, actor=user, action="case.withdrawn", subject_type="case",
                         subject_id=row.reference,
                         before={"stage": before, "round": old_round,
                                 "slot": booking.starts_at.isoformat() if booking else None},
                         after={"stage": Stage.WITHDRAWN, "round": round_, "decision_id": decision.id, "slot": None})
            tag = f"{row.id}:{decision.id}"
            queue_card_updates(services, session, row, now, f"{Notice.CARD_UPDATE}:{tag}",
                               thread_reply={"decision_id": decision.id}, reply_key=f"{Notice.THREAD_REPLY}:{tag}")
            body = services.policy.bodies.get(row.route)
            deciders = services.people(decider_ids(services, body, row)) if body is not None else []
            for person in dict.fromkeys([p for p in (row.submitter, row.attendee, row.team_manager) if p]
                                        + deciders):
                if person != user:
                    queue_notice(session, Notice.DECISION_NOTICE, row.id, person, now,
                                 key=f"{Notice.DECISION_NOTICE}:{tag}:{person}", payload={"decision_id": decision.id})
            return Decided(view_of(services, row, full=False), decision_view(decision))
    except IntegrityError:
        with services.sessions() as session:
            row = session.get_one(Case, case_id)
            raise WithdrawRefused(Refusal.WITHDRAW_RACE, reference=row.reference, stage=Stage(row.stage)) from None
