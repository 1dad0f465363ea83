"""Spot checks of delegated decisions (seed 001): drawn when a person body agrees funding, queued for
the policy's checkers, opened, and found agreed, a practice concern, or referred to a panel, once.

Every step writes an audit row with before and after. The recommended actions of a practice concern
are free text: they go to the case's team manager by DM and nowhere else (no channel, log or audit).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from bot.addresses import is_person
from bot.domain.bodies import BodyKind
from bot.domain.calendar import long_date
from bot.domain.cases import Stage, is_open
from bot.domain.decisions import DecisionKind, Outcome, agrees_funding
from bot.domain.reminders import ReminderKind
from bot.domain.spot_checks import OPEN, Finding, SpotCheckNotice, SpotCheckOpened, SpotCheckView, Why, draw_decision
from bot.errors import UserError
from bot.notify import Notice
from bot.refusals import Refusal
from bot.services import Services
from bot.services.outbox import queue_card_updates, queue_notice
from bot.services.reminders import after_working_days, hours, remind, withdraw
from bot.services.views import view_of
from store.audit import SYSTEM_ACTOR, record_audit
from store.db import rows_matched
from store.models import Case, Decision, SpotCheck

REMINDERS = (ReminderKind.SPOT_CHECK_DUE, ReminderKind.SPOT_CHECK_OVERDUE)


class SpotCheckRefused(UserError):
    """The person may not see or record this spot check, or it was already recorded."""


def _agreed_weekly(row: Case, decision: Decision) -> Decimal:
    return decision.amended_weekly if decision.amended_weekly is not None else row.proposed_weekly


def _view(services: Services, check: SpotCheck, row: Case, decision: Decision) -> SpotCheckView:
    body = services.policy.bodies.get(row.route)
    return SpotCheckView(id=check.id, case_id=row.id, reference=row.reference,
                         body_name=body.name if body else row.route, request_type=row.request_type,
                         agreed_weekly=_agreed_weekly(row, decision), decided_by=decision.decided_by,
                         decided_at=decision.decided_at, drawn_at=check.drawn_at,
                         why=tuple(Why(w) for w in check.why), state=check.state, checked_by=check.checked_by,
                         checked_at=check.checked_at)


def checkers(services: Services, row: Case, decided_by: str) -> list[str]:
    """Who checks: the policy's spot-check role, never the decider or someone on the case."""
    people = services.people(services.policy.members(services.policy.spot_checks.role))
    return [p for p in people if p not in (decided_by, row.submitter, row.attendee)]


def on_decision(services: Services, session: Session, row: Case, decision: Decision, now: datetime) -> None:
    """Called in the decision's transaction: a person body's decision that agrees funding is drawn
    (audited either way, with the draw and the threshold), and a drawn one is queued for the checkers."""
    body = services.policy.bodies.get(row.route)
    if body is None or body.kind is not BodyKind.PERSON or decision.kind != DecisionKind.DECISION \
            or not agrees_funding(Outcome(decision.outcome)):
        return
    policy = services.policy.spot_checks
    agreed = _agreed_weekly(row, decision)
    drawn = draw_decision(decision.id, seed=policy.seed, percent=policy.percent, agreed_weekly=agreed,
                          request_type=row.request_type, always_over_weekly=policy.always_over_weekly,
                          request_types=tuple(str(t) for t in policy.request_types))
    record_audit(session, at=now, actor=SYSTEM_ACTOR, action="spot_check.draw", subject_type="case",
                 subject_id=row.reference, before={"decision_id": decision.id},
                 after={"decision_id": decision.id, "draw": str(drawn.draw), "threshold": str(drawn.threshold),
                        "agreed_weekly": str(agreed), "checked": drawn.checked, "why": [str(w) for w in drawn.why]})
    if not drawn.checked:
        return
    check = SpotCheck(case_id=row.id, decision_id=decision.id, round=row.round, draw=drawn.draw,
                      threshold=drawn.threshold, why=[str(w) for w in drawn.why], state=OPEN, drawn_at=now)
    session.add(check)
    session.flush()
    calendar, span = services.calendar, hours(services)
    since = f"spot check drawn {long_date(calendar.local_date(now))}"
    people = checkers(services, row, decision.decided_by)
    for person in people:
        queue_notice(session, Notice.SPOT_CHECK, row.id, person, now, key=f"{Notice.SPOT_CHECK}:{check.id}:{person}",
                     payload={"spot_check_id": check.id})
        remind(session, kind=ReminderKind.SPOT_CHECK_DUE, case_id=row.id, person=person, now=now, why=since,
               due_at=after_working_days(calendar, span, now, policy.nudge_after_working_days), about_id=check.id)
    if policy.escalate_to is not None:
        for manager in services.people(services.policy.members(policy.escalate_to)):
            if manager not in (decision.decided_by, row.submitter, row.attendee):
                remind(session, kind=ReminderKind.SPOT_CHECK_OVERDUE, case_id=row.id, person=manager, now=now,
                       why=since, due_at=after_working_days(calendar, span, now, policy.escalate_after_working_days),
                       about_id=check.id, late_person=people[0] if len(people) == 1 else None)


def is_spot_checker_of(services: Services, row: Case, user: str) -> bool:
    """True when `user` holds the spot-check role and the case has a spot check (so may see it)."""
    if not services.holds_role(user, services.policy.spot_checks.role):
        return False
    session = object_session(row)
    return session is not None and session.scalars(
        select(SpotCheck.id).where(SpotCheck.case_id == row.id)).first() is not None


def _may_check(services: Services, user: str) -> None:
    if not services.holds_role(user, services.policy.spot_checks.role):
        raise SpotCheckRefused(Refusal.SPOT_CHECKERS_ONLY)


def _load(session: Session, check_id: int) -> tuple[SpotCheck, Case, Decision]:
    check = session.get(SpotCheck, check_id)
    if check is None:
        raise SpotCheckRefused(Refusal.SPOT_CHECK_GONE)
    return check, session.get_one(Case, check.case_id), session.get_one(Decision, check.decision_id)


def _not_own(row: Case, decision: Decision, user: str) -> None:
    if user in (decision.decided_by, row.submitter, row.attendee):
        raise SpotCheckRefused(Refusal.OWN_SPOT_CHECK, reference=row.reference)


def open_spot_checks(services: Services, user: str, *, limit: int = 40) -> list[SpotCheckView]:
    """The open spot checks, oldest first, for a holder of the spot-check role (their own decisions left out)."""
    _may_check(services, user)
    with services.sessions() as session:
        rows = session.execute(
            select(SpotCheck, Case, Decision).join(Case, Case.id == SpotCheck.case_id)
            .join(Decision, Decision.id == SpotCheck.decision_id)
            .where(SpotCheck.state == OPEN, Decision.decided_by != user, Case.submitter != user)
            .order_by(SpotCheck.drawn_at, SpotCheck.id).limit(limit)).all()
        return [_view(services, check, row, decision) for check, row, decision in rows]


def open_spot_check(services: Services, check_id: int, user: str) -> SpotCheckOpened:
    """The check and the whole case for its checker; the first opening is recorded (audited), once
    however many open it at the same moment."""
    _may_check(services, user)
    now = services.now()
    with services.sessions.begin() as session:
        check, row, decision = _load(session, check_id)
        _not_own(row, decision, user)
        if check.state == OPEN and check.opened_at is None:
            # Opened at once by several presses: the one whose update matched records the opening.
            opened = rows_matched(session, update(SpotCheck).where(
                SpotCheck.id == check.id, SpotCheck.state == OPEN, SpotCheck.opened_at.is_(None))
                .values(opened_at=now, opened_by=user))
            if opened == 1:
                record_audit(session, at=now, actor=user, action="spot_check.opened", subject_type="case",
                             subject_id=row.reference, before={"spot_check_id": check.id, "opened_at": None},
                             after={"spot_check_id": check.id, "opened_at": now.isoformat()})
            session.refresh(check)
        return SpotCheckOpened(_view(services, check, row, decision), view_of(services, row, full=True))


def record_spot_check(services: Services, check_id: int, user: str, finding: Finding,
                      actions: str | None) -> SpotCheckView:
    """Record the finding exactly once (a conditional update from open). A practice concern sends the
    recommended actions to the case's team manager; a referral sends the case to the policy's
    `refer_to` body to be ratified. Raises SpotCheckRefused."""
    _may_check(services, user)
    if finding is Finding.CONCERN and not (actions and actions.strip()):
        raise SpotCheckRefused(Refusal.RECOMMENDATION_NEEDED)
    now = services.now()
    try:
        with services.sessions.begin() as session:
            check, row, decision = _load(session, check_id)
            _not_own(row, decision, user)
            if check.state != OPEN:
                on = services.calendar.local_date(check.checked_at or now)
                if check.checked_by is not None and is_person(check.checked_by):
                    raise SpotCheckRefused(Refusal.SPOT_CHECK_DONE_BY, reference=row.reference, state=check.state,
                                           person=check.checked_by, day=on)
                raise SpotCheckRefused(Refusal.SPOT_CHECK_DONE, reference=row.reference, state=check.state, day=on)
            refer_to = services.policy.spot_checks.refer_to or services.policy.routing.default
            if finding is Finding.REFERRED and Stage(row.stage) not in (Stage.APPROVED, Stage.APPROVED_WITH_CHANGES):
                raise SpotCheckRefused(Refusal.SPOT_CHECK_NOT_REFERABLE, reference=row.reference,
                                       stage=Stage(row.stage))
            moved = rows_matched(session,
                update(SpotCheck).where(SpotCheck.id == check.id, SpotCheck.state == OPEN)
                .values(state=str(finding), checked_by=user, checked_at=now,
                        actions=actions.strip() if finding is Finding.CONCERN and actions else None))
            if moved != 1:
                raise SpotCheckRefused(Refusal.SPOT_CHECK_RACE, reference=row.reference)
            record_audit(session, at=now, actor=user, action="spot_check.recorded", subject_type="case",
                         subject_id=row.reference, before={"spot_check_id": check.id, "state": OPEN},
                         after={"spot_check_id": check.id, "state": str(finding)})
            withdraw(session, row.id, REMINDERS, now, about_id=check.id)
            if finding is Finding.CONCERN:
                queue_notice(session, Notice.SPOT_CHECK, row.id, row.team_manager, now,
                             key=f"{Notice.SPOT_CHECK}:{check.id}:concern", payload={"spot_check_id": check.id,
                                                                                     "to_manager": True})
            if finding is Finding.REFERRED:
                _refer(services, session, row, refer_to, now, user)
            session.refresh(check)
            return _view(services, check, row, decision)
    except IntegrityError:
        raise SpotCheckRefused(Refusal.REFER_FAILED) from None


def _refer(services: Services, session: Session, row: Case, body_id: str, now: datetime, user: str) -> None:
    """The case goes to `body_id` to be ratified, as a follow-on of its decision."""
    before = {"stage": row.stage, "follow_on_body": row.follow_on_body}
    after = Stage.AWAITING_RATIFICATION
    moved = rows_matched(session, update(Case).where(Case.id == row.id, Case.stage == row.stage)
                         .values(stage=after, is_open=is_open(after), follow_on_body=body_id, updated_at=now))
    if moved != 1:  # the case moved on meanwhile (a review, say): nothing of this finding is kept
        raise SpotCheckRefused(Refusal.CASE_CHANGED, reference=row.reference)
    session.refresh(row)
    record_audit(session, at=now, actor=user, action="case.referred_by_spot_check", subject_type="case",
                 subject_id=row.reference, before=before, after={"stage": after, "follow_on_body": body_id})
    body = services.policy.bodies[body_id]
    for person in services.people(m for role in body.decider_roles() for m in services.policy.members(role)):
        if person not in (row.submitter, row.attendee):
            queue_notice(session, Notice.DECIDER_NOTICE, row.id, person, now,
                         key=f"{Notice.DECIDER_NOTICE}:{row.id}:r{row.round}:spot:{person}",
                         payload={"follow_on": str(DecisionKind.RATIFICATION)})
    queue_card_updates(services, session, row, now, f"{Notice.CARD_UPDATE}:{row.id}:spot:{row.round}")


def spot_check_notice(services: Services, session: Session, payload: dict[str, object]) -> SpotCheckNotice:
    """What an outbox row of kind SPOT_CHECK is about, read at send time."""
    check, row, decision = _load(session, int(str(payload["spot_check_id"])))
    to_manager = bool(payload.get("to_manager"))
    return SpotCheckNotice(_view(services, check, row, decision), to_manager,
                           check.actions if to_manager else None)
