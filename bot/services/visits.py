"""Monitoring visits (seed 002): provisions and placements, when each visit is due, planning a visit,
and the chain of steps after it, each deadline counted from when the previous step actually finished.
Reminders and escalations come from the reminders engine (`bot.services.reminders`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.addresses import is_person
from bot.domain.calendar import long_date
from bot.domain.privacy import personal_data_in
from bot.domain.reminders import ReminderKind, morning_of
from bot.domain.visits import (
    SQAO,
    STEP_ASSIGNEE,
    STEP_DONE_BY,
    VISITOR,
    ActionPlanNeeded,
    DueVisit,
    OfstedRating,
    ProvisionType,
    ProvisionView,
    Step,
    VisitKind,
    VisitsOverview,
    VisitView,
    action_plan_visit_due,
    annual_visit_due,
    concern_visit_due,
    confirmation_due,
    initial_visit_due,
    next_step,
    on_time_share,
    rating_visit_due,
    step_due,
)
from bot.errors import UserError
from bot.notify import Notice
from bot.refusals import Refusal
from bot.services import Services
from bot.services.outbox import queue_notice
from bot.services.reminders import hours, remind, withdraw
from bot.services.views import provision_view, visit_view
from store.audit import record_audit, text_fingerprint
from store.models import ActionPlan, Concern, Placement, Provision, Visit, VisitStep, provision_key

PCO_ROLE = "placement_commissioning_officers"
FIRST_STEP = next(iter(Step))  # the chain starts with the report to the SQAO
OPEN_VISIT = ("due", "planned")
MAX_PROVISION_NAME = 200


class VisitRefused(UserError):
    """Bad input or a step that is not the person's: its code says what to do; nothing changed.
    `field` names the form field to show it under, when there is one."""


def same_name(name: str) -> ColumnElement[bool]:
    """A provision called `name`, whatever its case; the typed name is compared as it is (no wildcards).
    The unique `name_key` (migration 0017) holds the same rule."""
    return Provision.name_key == provision_key(name)


def _today(services: Services) -> date:
    return services.calendar.local_date(services.now())


VISITS_ROLES = (PCO_ROLE, SQAO)  # who manages provisions, placements and visits, and sees them all


def _is_officer(services: Services, user: str) -> bool:
    return any(services.holds_role(user, role) for role in VISITS_ROLES)


def _require_officer(services: Services, user: str) -> None:
    if not _is_officer(services, user):
        raise VisitRefused(Refusal.VISIT_OFFICERS_ONLY)


def provisions(services: Services) -> list[ProvisionView]:
    with services.sessions() as session:
        return [provision_view(session, row) for row in session.scalars(select(Provision).order_by(Provision.name))]


def find_provision(services: Services, name: str) -> ProvisionView | None:
    with services.sessions() as session:
        row = session.scalars(select(Provision).where(same_name(name))).first()
        return provision_view(session, row) if row else None


def provisions_for(services: Services, user: str) -> list[ProvisionView]:
    """The provisions, for the placement form: the visits roles only. Raises VisitRefused."""
    _require_officer(services, user)
    return provisions(services)


def provision_to_edit(services: Services, user: str, name: str) -> ProvisionView | None:
    """The provision called `name` for the provision form (None for a blank name: a new provision):
    the visits roles only. Raises VisitRefused."""
    _require_officer(services, user)
    return find_provision(services, name) if name.strip() else None


def _provision_facts(session: Session, row: Provision) -> dict[str, str | None]:
    """A provision as its audit rows keep it: the name and contact were typed, so only as fingerprints."""
    return {
        "name": text_fingerprint(session, row.name),
        "type": row.provision_type,
        "rating": row.ofsted_rating,
        "rated_on": str(row.rated_on) if row.rated_on else None,
        "contact": text_fingerprint(session, row.contact),
    }


def _visit_facts(visit: Visit | None) -> dict[str, object] | None:
    """A visit as its audit rows keep it (ids, dates, state, who visits)."""
    if visit is None:
        return None
    return {
        "visit": visit.id,
        "kind": visit.kind,
        "state": visit.state,
        "due_on": str(visit.due_on),
        "planned_on": str(visit.planned_on) if visit.planned_on else None,
        "visitor": visit.visitor,
        "done_on": str(visit.done_on) if visit.done_on else None,
    }


def _for_whom(user: str, owner: str | None) -> str | None:
    """Whom `user` acts for: the person the visit or step belongs to, when it is someone else (a
    senior QA officer recording it for the visitor). Nobody when it belongs to a group or to them."""
    return owner if owner and owner != user and is_person(owner) else None


def _open_of_kind(session: Session, provision_id: int, kind: str) -> Visit | None:
    return session.scalars(
        select(Visit).where(Visit.provision_id == provision_id, Visit.kind == kind, Visit.state.in_(OPEN_VISIT),
                            Visit.placement_id.is_(None))
    ).first()


# -- making visits due -----------------------------------------------------------------------------


def _make_due(
    services: Services,
    session: Session,
    provision: Provision,
    due: DueVisit,
    now: datetime,
    placement: Placement | None = None,
) -> Visit:
    """A visit of this kind for this provision (and placement); an open one of the same kind is moved."""
    open_visit = session.scalars(
        select(Visit).where(
            Visit.provision_id == provision.id,
            Visit.kind == due.kind,
            Visit.state.in_(OPEN_VISIT),
            Visit.placement_id == placement.id if placement else Visit.placement_id.is_(None),
        )
    ).first()
    if open_visit is not None:
        if due.due_on < open_visit.due_on:
            withdraw(session, None, [ReminderKind.VISIT_DUE, ReminderKind.VISIT_OVERDUE], now, visit_id=open_visit.id)
            open_visit.due_on, open_visit.why = due.due_on, due.why
            _remind_due(services, session, open_visit, provision, now)
        return open_visit
    visit = Visit(
        provision_id=provision.id,
        placement_id=placement.id if placement else None,
        kind=due.kind,
        due_on=due.due_on,
        why=due.why,
        state="due",
        created_at=now,
    )
    session.add(visit)
    session.flush()
    _remind_due(services, session, visit, provision, now)
    return visit


# The placement commissioning officers hear of a visit this many days before it is due (or at once).
VISIT_DUE_NOTICE_DAYS = 7


def _remind_due(services: Services, session: Session, visit: Visit, provision: Provision, now: datetime) -> None:
    """A visit falling due is DMed to the PCOs in working hours; once overdue by the policy's working
    days, the senior QA officers hear. Both go when the visit is done or another covers it."""
    calendar, span = services.calendar, hours(services)
    today = calendar.local_date(now)
    notice_on = max(visit.due_on - timedelta(days=VISIT_DUE_NOTICE_DAYS), today)
    why = f"{provision.name}: {visit.kind.replace('_', ' ')} visit due {long_date(visit.due_on)}"
    for person in services.people(services.policy.members(PCO_ROLE)):
        remind(session, kind=ReminderKind.VISIT_DUE, case_id=None, visit_id=visit.id, person=person,
               due_at=morning_of(calendar, span, notice_on), why=why, now=now, about_id=visit.due_on.toordinal())
    overdue_on = calendar.add_working_days(visit.due_on, services.policy.reminders.escalate_after_working_days)
    for person in services.people(services.policy.members(SQAO)):
        remind(session, kind=ReminderKind.VISIT_OVERDUE, case_id=None, visit_id=visit.id, person=person,
               due_at=morning_of(calendar, span, overdue_on), why=f"{why}, not yet done", now=now,
               about_id=visit.due_on.toordinal())


def _covered(session: Session, visit: Visit, done_on: date, now: datetime) -> list[Visit]:
    """The other open visits a visit just made satisfies, which are superseded: a visit to the provision
    (annual, rating, concern, action plan) covers every provision-wide visit that fell due on or before
    the day it was made (its reason, an Ofsted judgement or a concern, came before the visit); a
    placement's visit (initial, 16+) covers that placement's own."""
    same = Visit.placement_id.is_(None) if visit.placement_id is None else Visit.placement_id == visit.placement_id
    others = [other for other in session.scalars(select(Visit).where(
        Visit.provision_id == visit.provision_id, Visit.id != visit.id, Visit.state.in_(OPEN_VISIT), same)).all()
        if other.created_at.date() <= done_on]
    for other in others:
        other.state = "superseded"
        withdraw(session, None, list(VISIT_KINDS_OF_REMINDER), now, visit_id=other.id)
    return list(others)


VISIT_KINDS_OF_REMINDER = (ReminderKind.VISIT_DUE, ReminderKind.VISIT_OVERDUE, ReminderKind.VISIT_CONFIRM)


def _unchanged(row: Provision, name: str, kind: ProvisionType, contact: str | None, judged: OfstedRating | None,
               rated_on: date | None) -> bool:
    """True when saving these answers would leave the provision as it is (no judgement keeps its own)."""
    same_rating = judged is None or (row.ofsted_rating, row.rated_on) == (judged, rated_on)
    return same_rating and (row.name, row.provision_type, row.contact) == (name, kind, (contact or "").strip() or None)


def save_provision(
    services: Services,
    user: str,
    *,
    provision_id: int | None,
    name: str,
    provision_type: str,
    rating: str | None,
    rated_on: date | None,
    contact: str | None,
) -> tuple[ProvisionView, list[VisitView]]:
    """Add or edit a provision. A new or changed Ofsted rating makes a visit due (Good/Outstanding) or
    asks the SQAO for the action plan (Inadequate/Requires improvement). Raises VisitRefused."""
    _require_officer(services, user)
    now, today = services.now(), _today(services)
    name = (name or "").strip()
    if not name or len(name) > MAX_PROVISION_NAME:
        raise VisitRefused(Refusal.PROVISION_NAME_NEEDED, field="name", limit=MAX_PROVISION_NAME)
    if found := personal_data_in(name):
        # The name goes into messages, logs and the audit trail: the organisation's name only.
        raise VisitRefused(Refusal.PROVISION_NAME_PERSONAL, field="name", found=found)
    try:
        kind = ProvisionType(provision_type)
    except ValueError:
        raise VisitRefused(Refusal.PROVISION_TYPE_NEEDED, field="provision_type") from None
    try:
        judged = OfstedRating(rating) if rating else None
    except ValueError:
        raise VisitRefused(Refusal.OFSTED_RATING_UNKNOWN, field="rating") from None
    if judged and rated_on is None:
        raise VisitRefused(Refusal.RATED_ON_NEEDED, field="rated_on")
    if rated_on and (rated_on > today or rated_on < today - relativedelta(years=10)):
        raise VisitRefused(Refusal.RATED_ON_OUT_OF_RANGE, field="rated_on")
    with services.sessions.begin() as session:
        clash = session.scalars(select(Provision).where(same_name(name))).first()
        row = session.get(Provision, provision_id, with_for_update=True) if provision_id else None
        if provision_id and row is None:
            raise VisitRefused(Refusal.PROVISION_GONE)
        if clash is not None and clash is not row:
            raise VisitRefused(Refusal.PROVISION_EXISTS, field="name", name=clash.name)
        if row is not None and _unchanged(row, name, kind, contact, judged, rated_on):
            return provision_view(session, row), []  # saved again as it is (a double press): nothing to write
        before = None if row is None else {
            **_provision_facts(session, row),
            "rating_visit": _visit_facts(_open_of_kind(session, row.id, VisitKind.RATING)),
        }
        try:
            # Two saves of one name at once both find no clash above: the unique name decides, here.
            with session.begin_nested():
                if row is None:
                    row = Provision(name=name, provision_type=kind, created_by=user, created_at=now, updated_at=now)
                    session.add(row)
                changed_rating = judged is not None and (row.ofsted_rating != judged or row.rated_on != rated_on)
                row.name, row.name_key, row.provision_type, row.updated_at = name, provision_key(name), kind, now
                row.contact = (contact or "").strip() or None
                row.ofsted_rating, row.rated_on = (judged, rated_on) if judged else (row.ofsted_rating, row.rated_on)
        except IntegrityError:
            raise VisitRefused(Refusal.PROVISION_EXISTS, field="name", name=name) from None
        made: list[Visit] = []
        if changed_rating:
            assert judged is not None and rated_on is not None  # a judgement comes with its date (checked above)
            due = rating_visit_due(services.calendar, services.policy.visits, kind, judged, rated_on)
            if isinstance(due, DueVisit):
                made.append(_make_due(services, session, row, due, now))
            elif isinstance(due, ActionPlanNeeded):
                for person in services.people(services.policy.members(SQAO)):
                    queue_notice(
                        session,
                        Notice.ACTION_PLAN_NEEDED,
                        None,
                        person,
                        now,
                        key=f"action_plan_needed:{row.id}:{rated_on}:{person}",
                        payload={"provision_id": row.id, "why": due.why},
                    )
        record_audit(
            session,
            at=now,
            actor=user,
            action="provision.saved",
            subject_type="provision",
            subject_id=str(row.id),
            before=before,
            after={
                **_provision_facts(session, row),
                "rating_visit": _visit_facts(_open_of_kind(session, row.id, VisitKind.RATING)),
            },
        )
        return provision_view(session, row), [visit_view(session, visit, services.policy.visits) for visit in made]


def add_placement(
    services: Services,
    user: str,
    *,
    provision_id: int | None,
    child_reference: str,
    starts_on: date | None,
    social_worker: str | None,
    iro: str | None,
    sen_officer: str | None,
) -> tuple[str, VisitView]:
    """Record a child's placement (by case reference) and make its initial visit due."""
    _require_officer(services, user)
    now, today = services.now(), _today(services)
    reference = (child_reference or "").strip()
    if found := personal_data_in(reference):
        raise VisitRefused(Refusal.CHILD_REFERENCE_PERSONAL, field="child_reference", found=found,
                           example=services.policy.case_reference.example)
    if not services.policy.case_reference.matches(reference):
        raise VisitRefused(Refusal.CHILD_REFERENCE_SHAPE, field="child_reference",
                           example=services.policy.case_reference.example)
    if starts_on is None:
        raise VisitRefused(Refusal.PLACEMENT_START_NEEDED, field="starts_on")
    if starts_on < today - relativedelta(years=1) or starts_on > today + relativedelta(years=1):
        raise VisitRefused(Refusal.PLACEMENT_START_OUT_OF_RANGE, field="starts_on")
    with services.sessions.begin() as session:
        provision = session.get(Provision, provision_id, with_for_update=True) if provision_id else None
        if provision is None:
            raise VisitRefused(Refusal.PROVISION_UNKNOWN, field="provision")
        same = session.scalars(select(Placement).where(
            Placement.provision_id == provision.id, Placement.child_reference == reference,
            Placement.starts_on == starts_on, Placement.social_worker.is_not_distinct_from(social_worker),
            Placement.iro.is_not_distinct_from(iro), Placement.sen_officer.is_not_distinct_from(sen_officer))).first()
        if same is not None:  # recorded again as it is (a double press): nothing to write
            made = session.scalars(select(Visit).where(Visit.placement_id == same.id).order_by(Visit.id)).first()
            if made is not None:
                return provision.name, visit_view(session, made, services.policy.visits)
        placement = Placement(
            provision_id=provision.id,
            child_reference=reference,
            starts_on=starts_on,
            social_worker=social_worker,
            iro=iro,
            sen_officer=sen_officer,
            created_by=user,
            created_at=now,
        )
        session.add(placement)
        session.flush()
        due = initial_visit_due(
            services.calendar, services.policy.visits, ProvisionType(provision.provision_type), starts_on
        )
        visit = _make_due(services, session, provision, due, now, placement)
        # The placement row holds the child's reference; its audit row names it by id only.
        record_audit(
            session,
            at=now,
            actor=user,
            action="placement.added",
            subject_type="placement",
            subject_id=str(placement.id),
            after={
                "provision": provision.id,
                "starts_on": str(starts_on),
                "social_worker": social_worker,
                "iro": iro,
                "sen_officer": sen_officer,
                "visit": _visit_facts(visit),
            },
        )
        return provision.name, visit_view(session, visit, services.policy.visits)


def raise_concern(services: Services, user: str, provision_name: str) -> tuple[VisitView, bool, date]:
    """An issue or concern about a provision: a visit within N days. A second concern while one is
    open joins it (no second visit). Returns the visit, whether it joined, and when the open concern
    was first raised."""
    _require_officer(services, user)
    now, today = services.now(), _today(services)
    with services.sessions.begin() as session:
        provision = session.scalars(select(Provision).where(same_name(provision_name))).first()
        if provision is None:
            # The name as typed goes back to the person who typed it, and nowhere else (never a log).
            raise VisitRefused(Refusal.NO_SUCH_PROVISION, name=provision_name.strip()[:60])
        concern = session.scalars(
            select(Concern).where(Concern.provision_id == provision.id, Concern.closed_at.is_(None))
        ).first()
        joined = concern is not None
        open_before = _open_of_kind(session, provision.id, VisitKind.CONCERN)
        before = {"concern": concern.id if concern else None, "joined": concern.joined if concern else None,
                  "visit": _visit_facts(open_before)}
        if concern is None:
            concern = Concern(provision_id=provision.id, raised_on=today, raised_by=user, joined=0)
            session.add(concern)
            visit = _make_due(
                services, session, provision, concern_visit_due(services.calendar, services.policy.visits, today), now
            )
        else:
            concern.joined += 1
            visit = session.scalars(
                select(Visit).where(
                    Visit.provision_id == provision.id, Visit.kind == VisitKind.CONCERN, Visit.state.in_(OPEN_VISIT)
                )
            ).first() or _make_due(
                services,
                session,
                provision,
                concern_visit_due(services.calendar, services.policy.visits, concern.raised_on),
                now,
            )
        record_audit(
            session,
            at=now,
            actor=user,
            action="concern.joined" if joined else "concern.raised",
            subject_type="provision",
            subject_id=str(provision.id),
            before=before,
            after={"concern": concern.id, "joined": concern.joined, "raised_on": str(concern.raised_on),
                   "visit": _visit_facts(visit)},
        )
        return visit_view(session, visit, services.policy.visits), joined, concern.raised_on


def record_action_plan(services: Services, user: str, provision_id: int, *, received: bool) -> VisitView | None:
    """The SQAO requested (or received) the Ofsted action plan; receiving it makes the visit due."""
    if not services.holds_role(user, SQAO):
        raise VisitRefused(Refusal.ACTION_PLAN_SQAO_ONLY)
    now, today = services.now(), _today(services)
    with services.sessions.begin() as session:
        # Locked: a second press at once waits for the first, then finds the plan recorded.
        provision = session.get(Provision, provision_id, with_for_update=True)
        if provision is None:
            raise VisitRefused(Refusal.PROVISION_GONE)
        plan = session.scalars(
            select(ActionPlan).where(ActionPlan.provision_id == provision_id, ActionPlan.received_on.is_(None))
        ).first()
        latest = session.scalars(
            select(ActionPlan).where(ActionPlan.provision_id == provision_id).order_by(ActionPlan.id.desc())
        ).first()
        # Received already for this judgement, or Requested again: a repeated press writes nothing.
        received_already = latest is not None and latest.received_on is not None and \
            latest.requested_on >= (provision.rated_on or latest.requested_on)
        if received_already or (plan is not None and not received):
            due = _open_of_kind(session, provision_id, VisitKind.ACTION_PLAN) if received else None
            return visit_view(session, due, services.policy.visits) if due else None
        before = {
            "plan": plan.id if plan else None,
            "requested_on": str(plan.requested_on) if plan else None,
            "received_on": None,
            "visit": _visit_facts(_open_of_kind(session, provision_id, VisitKind.ACTION_PLAN)) if received else None,
        }
        if plan is None:
            plan = ActionPlan(provision_id=provision_id, requested_on=today, requested_by=user)
            session.add(plan)
            session.flush()
        visit = None
        if received:
            plan.received_on = today
            visit = _make_due(
                services,
                session,
                provision,
                action_plan_visit_due(services.calendar, services.policy.visits, today),
                now,
            )
        record_audit(
            session,
            at=now,
            actor=user,
            action="action_plan.received" if received else "action_plan.requested",
            subject_type="provision",
            subject_id=str(provision_id),
            before=before,
            after={
                "plan": plan.id,
                "requested_on": str(plan.requested_on),
                "received_on": str(plan.received_on) if plan.received_on else None,
                "visit": _visit_facts(visit),
            },
        )
        return visit_view(session, visit, services.policy.visits) if visit else None


# -- planning, doing, and the steps after ------------------------------------------------------------


def _open_visit(session: Session, visit_id: int) -> Visit:
    """The visit, locked until the change commits: a second press at once waits, then finds it changed."""
    visit = session.get(Visit, visit_id, with_for_update=True)
    if visit is None or visit.state not in OPEN_VISIT:
        raise VisitRefused(Refusal.VISIT_NOT_OPEN)
    return visit


def plan_visit(services: Services, user: str, visit_id: int, on: date | None, visitor: str | None) -> VisitView:
    """Plan a due visit: its date and who visits. Schedules the provider's confirmation two weeks ahead
    and asks the child's social worker, IRO and SEN officer for feedback."""
    _require_officer(services, user)
    now, today = services.now(), _today(services)
    if on is None:
        raise VisitRefused(Refusal.VISIT_DATE_NEEDED, field="date")
    if visitor is None:
        raise VisitRefused(Refusal.VISITOR_NEEDED, field="visitor")
    if on < today:
        raise VisitRefused(Refusal.VISIT_DATE_PAST, field="date")
    with services.sessions.begin() as session:
        visit = _open_visit(session, visit_id)
        placement = session.get(Placement, visit.placement_id) if visit.placement_id else None
        initial = visit.kind in (VisitKind.INITIAL, VisitKind.SUPPORTED_16_PLUS)
        if placement and on < placement.starts_on and not initial:
            raise VisitRefused(Refusal.VISIT_BEFORE_PLACEMENT, field="date")
        if visit.state == "planned" and (visit.planned_on, visit.visitor) == (on, visitor):
            return visit_view(session, visit, services.policy.visits)  # planned again as it is: nothing to write
        before = _visit_facts(visit)
        visit.planned_on, visit.visitor, visit.state = on, visitor, "planned"
        confirm_on = confirmation_due(on, services.policy.visits, planned_on=today)
        # Planned: the PCOs need no more telling that it falls due (the SQAO still hears if it is overdue).
        withdraw(session, None, [ReminderKind.VISIT_CONFIRM, ReminderKind.VISIT_DUE], now, visit_id=visit.id)
        remind(
            session,
            kind=ReminderKind.VISIT_CONFIRM,
            case_id=None,
            visit_id=visit.id,
            person=visitor,
            due_at=morning_of(services.calendar, hours(services), confirm_on),
            why=f"confirm the visit on {long_date(on)} with the provider",
            now=now,
            about_id=visit.id,
        )
        askers = [p for p in (placement.social_worker, placement.iro, placement.sen_officer) if p] if placement else []
        for person in dict.fromkeys(askers):
            queue_notice(
                session,
                Notice.VISIT_PLANNED,
                None,
                person,
                now,
                key=f"visit_planned:{visit.id}:{on}:{person}",
                payload={"visit_id": visit.id},
            )
        record_audit(
            session,
            at=now,
            actor=user,
            action="visit.replanned" if before and before["state"] == "planned" else "visit.planned",
            subject_type="visit",
            subject_id=str(visit.id),
            before=before,
            after=_visit_facts(visit),
        )
        return visit_view(session, visit, services.policy.visits)


def _assign(services: Services, session: Session, visit: Visit, step: Step, started_on: date, now: datetime) -> None:
    assignee = visit.visitor if STEP_ASSIGNEE[step] == VISITOR else services.policy.members(SQAO)[0]
    due_on = step_due(services.calendar, services.policy.visits, step, started_on)
    session.add(VisitStep(visit_id=visit.id, step=step, assignee=assignee or "", started_on=started_on, due_on=due_on))
    people = [visit.visitor] if STEP_ASSIGNEE[step] == VISITOR else services.people(services.policy.members(SQAO))
    for person in people:
        if person:
            remind(
                session,
                kind=ReminderKind.VISIT_STEP_DUE,
                case_id=None,
                visit_id=visit.id,
                person=person,
                due_at=morning_of(services.calendar, hours(services), due_on),
                why=f"{step.replace('_', ' ')}: due {long_date(due_on)}",
                now=now,
                about_id=visit.id * 10 + list(Step).index(step),
            )
            queue_notice(
                session,
                Notice.STEP_ASSIGNED,
                None,
                person,
                now,
                key=f"step_assigned:{visit.id}:{step}:{person}",
                payload={"visit_id": visit.id, "step": step},
            )
    # A step left undone: the senior QA officers hear once it is overdue by the policy's working days.
    overdue_on = services.calendar.add_working_days(due_on, services.policy.reminders.escalate_after_working_days)
    for person in services.people(services.policy.members(SQAO)):
        if person not in people:
            remind(
                session,
                kind=ReminderKind.VISIT_STEP_OVERDUE,
                case_id=None,
                visit_id=visit.id,
                person=person,
                due_at=morning_of(services.calendar, hours(services), overdue_on),
                why=f"{step.replace('_', ' ')} was due {long_date(due_on)}",
                now=now,
                about_id=visit.id * 10 + list(Step).index(step),
                late_person=assignee,
            )


# How far back a visit or a step may be recorded as done (a record made late, not a correction of history).
LONGEST_AGO = timedelta(days=60)


def _done_on(on: date | None, today: date, after: date | None) -> date:
    """The day something was done, as entered: not in the future, not long ago, not before `after`."""
    on = on or today
    if on > today:
        raise VisitRefused(Refusal.DAY_TO_COME, field="date")
    if on < today - LONGEST_AGO:
        raise VisitRefused(Refusal.DAY_TOO_LONG_AGO, field="date", days=LONGEST_AGO.days)
    if after is not None and on < after:
        raise VisitRefused(Refusal.DAY_BEFORE, field="date", day=after)
    return on


def visit_done(services: Services, user: str, visit_id: int, on: date | None = None) -> VisitView:
    """The visit took place on `on` (today unless entered): the chain starts (report to the SQAO), the
    next annual visit is due, and every open visit it covers is superseded."""
    now, today = services.now(), _today(services)
    with services.sessions.begin() as session:
        visit = _open_visit(session, visit_id)
        if not (user == visit.visitor or _is_officer(services, user)):
            raise VisitRefused(Refusal.VISIT_RECORDER_ONLY)
        if visit.state != "planned":
            raise VisitRefused(Refusal.VISIT_NOT_PLANNED)
        if user != visit.visitor and not services.holds_role(user, SQAO):
            raise VisitRefused(Refusal.VISIT_RECORDER_ONLY)
        before = _visit_facts(visit)
        done_on = _done_on(on, today, None)
        visit.state, visit.done_on = "done", done_on
        withdraw(session, None, list(VISIT_KINDS_OF_REMINDER), now, visit_id=visit.id)
        covered = _covered(session, visit, done_on, now)
        _assign(services, session, visit, FIRST_STEP, done_on, now)
        provision = session.get_one(Provision, visit.provision_id)
        annual_before = _visit_facts(_open_of_kind(session, provision.id, VisitKind.ANNUAL))
        annual = _make_due(
            services, session, provision, annual_visit_due(services.calendar, services.policy.visits, done_on), now
        )
        if visit.kind == VisitKind.CONCERN:
            for concern in session.scalars(
                select(Concern).where(Concern.provision_id == provision.id, Concern.closed_at.is_(None))
            ):
                concern.closed_at = now
        record_audit(
            session,
            at=now,
            actor=user,
            action="visit.done",
            subject_type="visit",
            subject_id=str(visit.id),
            on_behalf_of=_for_whom(user, visit.visitor),
            before={**(before or {}), "annual": annual_before,
                    "covered": [_visit_facts(other) for other in covered]},
            after={**(_visit_facts(visit) or {}), "annual": _visit_facts(annual),
                   "superseded": [other.id for other in covered]},
        )
        return visit_view(session, visit, services.policy.visits)


def complete_step(services: Services, user: str, visit_id: int, step: Step, on: date | None = None) -> VisitView:
    """Mark a step done on `on` (today unless entered; only by the person it belongs to); the next step's
    deadline runs from that day."""
    now, today = services.now(), _today(services)
    with services.sessions.begin() as session:
        row = session.scalars(select(VisitStep).where(VisitStep.visit_id == visit_id, VisitStep.step == step)
                              .with_for_update()).first()
        if row is None or row.finished_on is not None:
            raise VisitRefused(Refusal.STEP_NOT_OPEN)
        visit = session.get_one(Visit, visit_id)
        allowed = any(
            user == visit.visitor if role == VISITOR else services.holds_role(user, role) for role in STEP_DONE_BY[step]
        )
        if not allowed:
            raise VisitRefused(Refusal.STEP_NOT_YOURS)
        finished_on = _done_on(on, today, row.started_on)
        row.finished_on, row.finished_by = finished_on, user
        withdraw(session, None, [ReminderKind.VISIT_STEP_DUE, ReminderKind.VISIT_STEP_OVERDUE], now, visit_id=visit_id)
        following = next_step(step)
        if following is not None:
            _assign(services, session, visit, following, finished_on, now)
        record_audit(
            session,
            at=now,
            actor=user,
            action="visit.step_done",
            subject_type="visit",
            subject_id=str(visit_id),
            on_behalf_of=_for_whom(user, row.assignee),
            before={"step": step, "due": str(row.due_on), "finished_on": None, "finished_by": None},
            after={"step": step, "due": str(row.due_on), "finished_on": str(finished_on), "finished_by": user,
                   "next": following},
        )
        session.flush()
        return visit_view(session, visit, services.policy.visits)


def visits_overview(services: Services, user: str) -> VisitsOverview:
    """What is due and overdue for `user`: the visits whose placement names them (social worker, IRO,
    SEN officer) or that they visit, and the open steps that are theirs. Placement commissioning
    officers and senior QA officers see everything, with the on-time shares."""
    today = _today(services)
    everything = _is_officer(services, user)
    with services.sessions() as session:
        open_steps_query = select(VisitStep).where(VisitStep.finished_on.is_(None)).order_by(VisitStep.due_on)
        mine_by_step = {step.visit_id for step in session.scalars(open_steps_query) if step.assignee == user}
        named = {
            placement.id for placement in session.scalars(select(Placement).where(
                (Placement.social_worker == user) | (Placement.iro == user) | (Placement.sen_officer == user)))
        }

        def is_mine(visit: Visit) -> bool:
            return everything or visit.visitor == user or visit.placement_id in named or visit.id in mine_by_step

        query = select(Visit).where(Visit.state.in_(OPEN_VISIT)).order_by(Visit.due_on)
        visits = [visit_view(session, v, services.policy.visits) for v in session.scalars(query) if is_mine(v)]
        open_steps = []
        for step in session.scalars(open_steps_query):
            visit = session.get_one(Visit, step.visit_id)
            if everything or visit.visitor == user or step.assignee == user:
                view = visit_view(session, visit, services.policy.visits)
                open_steps.append((view, next(s for s in view.steps if s.step == step.step)))
        if not everything:
            return VisitsOverview(today=today, visits=tuple(visits), steps=tuple(open_steps))
        done = session.scalars(select(Visit).where(Visit.state == "done")).all()
        visit_pairs = [(v.due_on, v.done_on) for v in done] + [(v.due_on, None) for v in visits]
        all_steps = session.scalars(select(VisitStep)).all()
        shares = {s: on_time_share([(r.due_on, r.finished_on) for r in all_steps if r.step == s], today) for s in Step}
        return VisitsOverview(
            today=today,
            visits=tuple(visits),
            steps=tuple(open_steps),
            everything=True,
            visits_on_time=on_time_share(visit_pairs, today),
            steps_on_time=shares,
        )


def visit_to_plan(services: Services, user: str, visit_id: int) -> VisitView:
    """The visit, for the plan-visit form: the visits roles only (visit ids are sequential, so a
    guessed one must not open anything). Raises VisitRefused."""
    _require_officer(services, user)
    return visit_by_id(services, visit_id)


def visit_by_id(services: Services, visit_id: int) -> VisitView:
    with services.sessions() as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise VisitRefused(Refusal.VISIT_GONE)
        return visit_view(session, visit, services.policy.visits)
