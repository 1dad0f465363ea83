"""A person's Home: their open cases and bookings, what waits on them (oldest first), and what their
role needs today. Read in a few queries whatever the person has, so it is quick to publish."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, load_only

from bot.domain.bodies import BodyKind
from bot.domain.calendar import Slot, long_date
from bot.domain.cases import FOLLOW_ON_STAGES, STAGE_LABELS, Stage
from bot.domain.home import Home, MyCase, Task
from bot.domain.routing import REQUEST_TYPE_LABELS, RequestType
from bot.domain.schedules import cutoff_words, next_sittings, slots_on
from bot.domain.visits import SQAO
from bot.markup import command, person
from bot.services import Services
from bot.services.bodies import chair_for
from bot.services.cover import cover_for
from store.models import Case, FollowUp, ForumBooking, Provision, Visit, VisitStep

WAITING = (Stage.AWAITING_BOOKING, Stage.BOOKED, Stage.AWAITING_SIGN_OFF, Stage.LISTED,
           Stage.AWAITING_URGENT_DECISION, Stage.AWAITING_ENDORSEMENT, Stage.AWAITING_RATIFICATION, Stage.DEFERRED)
PANEL_ADMINS = "panel_admins"
# What a Home shows of a case. Only these columns are read: a team manager or chair may have hundreds
# of cases waiting, each read again at every publish of their Home, and a case's other columns (its
# routing reasons and answers, as JSON) are not shown.
_SHOWN = load_only(Case.id, Case.reference, Case.request_type, Case.proposed_weekly, Case.route, Case.stage,
                   Case.submitted_at, Case.updated_at, Case.submitter, Case.panel_day)
REVIEW_AHEAD_DAYS = 14  # reviews show on the Home tab from two weeks before they are due
# Tasks of one kind, and the person's own open cases, read for a Home: the oldest by their time; the rest
# are counted. A Home shows 20 and `/panel mine` 40 (sorted by day, then reference): a team manager with
# 600 sign-offs waiting had all 600 read at every publish of their Home, and a worker with 600 open
# cases all 600.
READ_MOST = 40


def _oldest(session: Session, query: Select[Any], *order: Any) -> tuple[Sequence[Case], int]:
    """The first READ_MOST cases of `query` in `order`, and how many more it holds."""
    rows = session.scalars(query.order_by(*order).limit(READ_MOST + 1).options(_SHOWN)).all()
    if len(rows) <= READ_MOST:
        return rows, 0
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return rows[:READ_MOST], total - READ_MOST


def _request(row: Case) -> str:
    return f"{REQUEST_TYPE_LABELS[RequestType(row.request_type)]} £{row.proposed_weekly:,.2f}/wk"


def home_of(services: Services, user: str, now: datetime | None = None) -> Home:
    """The Home of `user` as of `now`."""
    now = now or services.now()
    calendar, policy = services.calendar, services.policy
    today = calendar.local_date(now)
    held = {role for role in policy.roles if services.holds_role(user, role)}
    waiting: list[Task] = []
    more = 0  # tasks beyond those read
    with services.sessions() as session:
        mine, cases_more = _oldest(session, select(Case).where(
            (Case.submitter == user) | (Case.attendee == user), Case.stage.in_(WAITING)),
            Case.submitted_at, Case.reference)
        cases = tuple(MyCase(case_id=row.id, reference=row.reference, request=_request(row),
                             body_name=policy.bodies[row.route].name if row.route in policy.bodies else row.route,
                             stage=STAGE_LABELS[Stage(row.stage)], since=calendar.local_date(row.submitted_at))
                      for row in mine)
        bookings = tuple(
            f"{case.reference}: {policy.bodies[booking.body].name}, {Slot(booking.starts_at, booking.ends_at).label()}"
            for booking, case in session.execute(
                select(ForumBooking, Case).join(Case, Case.id == ForumBooking.case_id)
                .where((Case.submitter == user) | (Case.attendee == user), ForumBooking.cancelled_at.is_(None),
                       ForumBooking.ends_at >= now).order_by(ForumBooking.starts_at).options(_SHOWN)).all()
            if booking.body in policy.bodies)

        # Decisions that wait on a role the person holds, at each body.
        for key, body in policy.bodies.items():
            roles = set(body.decider_roles())
            if body.kind is BodyKind.PERSON:
                tiers = [tier.role for tier in body.tiers if tier.role in held]
                if tiers:
                    rows, beyond = _oldest(session, select(Case).where(
                        Case.route == key, Case.tier_role.in_(tiers), Case.submitter != user,
                        Case.stage.in_([Stage.AWAITING_SIGN_OFF, Stage.AWAITING_URGENT_DECISION])),
                        Case.updated_at, Case.reference)
                    more += beyond
                    waiting += [Task("sign-off", row.reference, calendar.local_date(row.updated_at),
                                     f"{_request(row)}, {body.name}", row.id) for row in rows]
            elif body.kind is BodyKind.PANEL and roles & held:
                rows, beyond = _oldest(session, select(Case).where(
                    Case.route == key, Case.stage == Stage.LISTED, Case.submitter != user),
                    Case.submitted_at, Case.reference)
                more += beyond
                waiting += [Task("decision", row.reference, calendar.local_date(row.submitted_at),
                                 f"{_request(row)}, {body.name} on {long_date(row.panel_day)}" if row.panel_day else
                                 f"{_request(row)}, {body.name}", row.id) for row in rows]
            elif body.kind is BodyKind.MEETING and roles & held:
                for booking, row in session.execute(
                        select(ForumBooking, Case).join(Case, Case.id == ForumBooking.case_id)
                        .where(ForumBooking.body == key, ForumBooking.cancelled_at.is_(None),
                               Case.stage == Stage.BOOKED, ForumBooking.day <= today).options(_SHOWN)).all():
                    chair, _ = chair_for(services, body, booking.day)
                    deputy = body.chair.deputy if body.chair else None
                    if chair in held or (deputy and deputy in held):
                        waiting.append(Task("decision", row.reference, booking.day,
                                            f"{_request(row)}, {body.name} on {long_date(booking.day)}", row.id))
            if roles & held:
                rows, beyond = _oldest(session, select(Case).where(Case.follow_on_body == key,
                                                                   Case.stage.in_(list(FOLLOW_ON_STAGES))),
                                       Case.updated_at, Case.reference)
                more += beyond
                for row in rows:
                    what = "endorsement" if row.stage == Stage.AWAITING_ENDORSEMENT else "ratification"
                    waiting.append(Task(what, row.reference, calendar.local_date(row.updated_at),
                                        f"{_request(row)}, at the {body.name}", row.id))

        # Reviews and resubmissions of the person's own agreed packages.
        for follow_up, row in session.execute(
                select(FollowUp, Case).join(Case, Case.id == FollowUp.case_id)
                .where(Case.submitter == user, FollowUp.done_at.is_(None),
                       FollowUp.due_on <= today + timedelta(days=REVIEW_AHEAD_DAYS)).options(_SHOWN)).all():
            waiting.append(Task(follow_up.kind, row.reference, follow_up.due_on,
                                f"due {long_date(follow_up.due_on)}", row.id))

        # Visit steps that are the person's.
        for step, provision in session.execute(
                select(VisitStep, Provision).join(Visit, Visit.id == VisitStep.visit_id)
                .join(Provision, Provision.id == Visit.provision_id)
                .where(VisitStep.assignee == user, VisitStep.finished_on.is_(None))).all():
            waiting.append(Task("visit step", provision.name, step.started_on,
                                f"{step.step.replace('_', ' ')}, due {long_date(step.due_on)}"))

        overdue: tuple[str, ...] = ()
        if SQAO in held:
            late_visits = session.execute(select(Visit, Provision).join(Provision, Provision.id == Visit.provision_id)
                                          .where(Visit.state.in_(["due", "planned"]), Visit.due_on < today)
                                          .order_by(Visit.due_on)).all()
            late_steps = session.execute(
                select(VisitStep, Provision).join(Visit, Visit.id == VisitStep.visit_id)
                .join(Provision, Provision.id == Visit.provision_id)
                .where(VisitStep.finished_on.is_(None), VisitStep.due_on < today).order_by(VisitStep.due_on)).all()
            overdue = (*(f"{provision.name}: {visit.kind.replace('_', ' ')} visit, due {long_date(visit.due_on)}"
                         for visit, provision in late_visits),
                       *(f"{provision.name}: {step.step.replace('_', ' ')}, due {long_date(step.due_on)}"
                         for step, provision in late_steps))

    chairing = []
    for body in policy.bodies.values():
        if body.kind is BodyKind.MEETING:
            chair, _ = chair_for(services, body, today)
            if chair is not None and chair in held:
                slots = len(slots_on(calendar, body, today))
                chairing.append(f"You chair the {body.name} today: {slots} slots; {command('agenda')} shows them.")
    panels = []
    if PANEL_ADMINS in held:
        for key, body in policy.bodies.items():
            if body.kind is BodyKind.PANEL:
                for sitting in next_sittings(calendar, body, after=today, count=1):
                    due = cutoff_words(sitting, calendar, body.cutoff)
                    panels.append(f"{body.name}: next sits {long_date(sitting.day)}" + (f"; {due}" if due else "")
                                  + f" ({command('agenda ' + key)})")
    if policy.spot_checks.role in held:
        from bot.services.spot_checks import open_spot_checks

        for check in open_spot_checks(services, user, limit=200):
            waiting.append(Task("spot check", check.reference, calendar.local_date(check.drawn_at),
                                f"£{check.agreed_weekly:,.2f}/wk agreed by {person(check.decided_by)}, "
                                f"{check.body_name}",
                                check.case_id))
    cover = tuple(
        [f"You cover for {person(absent)} today: their messages and reminders come to you." for absent in
         services.covering(user)]
        + [f"{person(colleague)} covers for you today."
           for colleague in [cover_for(services, user, today)] if colleague])
    waiting.sort(key=lambda task: (task.since, task.reference))
    return Home(person=user, today=today, waiting=tuple(waiting), cases=cases, bookings=bookings,
                chairing=tuple(chairing), panels=tuple(panels), overdue_visits=overdue, cover=cover,
                waiting_more=more, cases_more=cases_more)
