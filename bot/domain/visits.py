"""Monitoring visits to providers (seed 002): when a visit is due, and the chain of deadlines after it.

Pure: no Slack, no database, no clock; dates are passed in. The numbers come from the policy's
`[visits]` table, and each rule counts either calendar days (the default: the seed just says "days")
or working days (a rule named in `visits.working_days`).

When a visit is due:

    initial            before the placement is made, or within 3 days of it starting
    supported_16_plus  the same, for a young person placed in 16+ supported accommodation
    annual             12 months after the last visit
    concern            within 10 days of an issue or concern being raised
    rating             within 14 days of an IFA or residential home being judged Good or Outstanding
    action_plan        judged Inadequate or Requires improvement: the SQAO asks Ofsted for the action
                       plan, and the visit is due within 7 days of receiving it

After the visit, a chain of steps. Each deadline runs from when the step before it actually finished
(the first from the visit itself), so a late step pushes the rest back and an early one pulls them in:

    report_to_sqao → sqao_returns → actions_done → sent_for_comments → comments_back → uploaded
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from bot.domain.calendar import WorkingCalendar, long_date, month_name
from bot.domain.words import days

if TYPE_CHECKING:  # the policy module imports VisitKind and Step from here
    from bot.policy import Visits

__all__ = [
    "PROVISION_LABELS",
    "RATING_LABELS",
    "RATING_VISIT_PROVISIONS",
    "SQAO",
    "STEP_ASSIGNEE",
    "STEP_DONE_BY",
    "STEP_LABELS",
    "VISITOR",
    "VISIT_LABELS",
    "VISIT_WHY",
    "ActionPlanNeeded",
    "DueVisit",
    "OfstedRating",
    "ProvisionType",
    "Step",
    "VisitKind",
    "action_plan_visit_due",
    "annual_visit_due",
    "concern_visit_due",
    "confirmation_due",
    "due_date",
    "initial_visit_due",
    "next_step",
    "on_time_share",
    "rating_visit_due",
    "step_due",
]


class ProvisionType(StrEnum):
    RESIDENTIAL_HOME = "residential_home"
    INDEPENDENT_FOSTERING_AGENCY = "independent_fostering_agency"
    SUPPORTED_16_PLUS = "supported_16_plus"  # 16+ supported accommodation, including individual flats
    SEN_PROVISION = "sen_provision"


PROVISION_LABELS = {
    ProvisionType.RESIDENTIAL_HOME: "Residential home",
    ProvisionType.INDEPENDENT_FOSTERING_AGENCY: "Independent fostering agency (IFA)",
    ProvisionType.SUPPORTED_16_PLUS: "16+ supported accommodation",
    ProvisionType.SEN_PROVISION: "SEN provision",
}

# The seed's rating rules are written for these two; another provision's rating creates no visit.
RATING_VISIT_PROVISIONS = frozenset({ProvisionType.RESIDENTIAL_HOME, ProvisionType.INDEPENDENT_FOSTERING_AGENCY})


class OfstedRating(StrEnum):
    """Ofsted's four judgements; `OfstedRating("Requires Improvement")` works too, anything else is refused."""

    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"

    @classmethod
    def _missing_(cls, value: object) -> OfstedRating:
        # Accept the judgement as Ofsted writes it ("Requires improvement"), so a form or an import
        # need not know our spelling; still refuse anything that is not one of the four.
        if isinstance(value, str):
            key = value.strip().lower().replace("-", " ").replace(" ", "_")
            for rating in cls:
                if rating.value == key:
                    return rating
        four = ", ".join(RATING_LABELS.values())
        raise ValueError(f"{value!r} is not an Ofsted rating: use one of {four}")


RATING_LABELS = {
    OfstedRating.OUTSTANDING: "Outstanding",
    OfstedRating.GOOD: "Good",
    OfstedRating.REQUIRES_IMPROVEMENT: "Requires improvement",
    OfstedRating.INADEQUATE: "Inadequate",
}


class VisitKind(StrEnum):
    INITIAL = "initial"  # a new placement
    ANNUAL = "annual"  # every 12 months
    CONCERN = "concern"  # an issue or concern was raised
    RATING = "rating"  # an IFA or residential home judged Good or Outstanding
    ACTION_PLAN = "action_plan"  # after an Inadequate / Requires improvement judgement, once Ofsted's action plan is in
    SUPPORTED_16_PLUS = "supported_16_plus"  # a young person placed in 16+ supported accommodation


VISIT_LABELS = {
    VisitKind.INITIAL: "Initial visit",
    VisitKind.ANNUAL: "Annual visit",
    VisitKind.CONCERN: "Visit after an issue or concern",
    VisitKind.RATING: "Visit after a Good or Outstanding Ofsted judgement",
    VisitKind.ACTION_PLAN: "Visit after the Ofsted action plan",
    VisitKind.SUPPORTED_16_PLUS: "Initial visit to 16+ supported accommodation",
}

# Why each kind of visit happens, in the seed's words (without its numbers, which are the policy's).
VISIT_WHY = {
    VisitKind.INITIAL: (
        "Ideally before a placement is made or soon after it starts. If this is not possible, confirm with "
        "the provider which other local authorities have, or recently had, a young person in placement and "
        "ask for their views on the quality of the placement."
    ),
    VisitKind.ANNUAL: "Every provision is monitored every 12 months, in addition to Ofsted inspections.",
    VisitKind.CONCERN: "An issue or concern has been raised about the provision.",
    VisitKind.RATING: "Ofsted has judged the IFA or residential home Good or Outstanding.",
    VisitKind.ACTION_PLAN: (
        "Ofsted judged the provision Inadequate or Requires improvement; the Senior Quality Assurance "
        "Officer requested Ofsted's action plan, and the visit follows it."
    ),
    VisitKind.SUPPORTED_16_PLUS: (
        "Ideally before the young person is placed or soon after. If this is not possible, check whether "
        "another local authority has children placed there now or has visited recently."
    ),
}

# Role names for who does a step: "visitor" is the PCO / LA representative who made the visit (a
# person on the visit, not a policy role); "senior_qa_officers" is the policy's [roles] entry.
VISITOR = "visitor"
SQAO = "senior_qa_officers"


class Step(StrEnum):
    """The steps after a visit, in order."""

    REPORT_TO_SQAO = "report_to_sqao"  # the visitor sends the completed form to the SQAO
    SQAO_RETURNS = "sqao_returns"  # the SQAO returns it, identifying any actions
    ACTIONS_DONE = "actions_done"  # the visitor completes the outstanding actions
    SENT_FOR_COMMENTS = "sent_for_comments"  # to the social worker, IRO, SEN officer and provider, copying the SQAO
    COMMENTS_BACK = "comments_back"  # the visitor records the comments (the commenters are not panelbot users)
    UPLOADED = "uploaded"  # the form and comments are uploaded onto the case record system


STEP_LABELS = {
    Step.REPORT_TO_SQAO: "Completed form sent to the Senior QA Officer",
    Step.SQAO_RETURNS: "Form returned by the Senior QA Officer with any actions",
    Step.ACTIONS_DONE: "Outstanding actions completed",
    Step.SENT_FOR_COMMENTS: "Sent for comments to the social worker, IRO, SEN officer and provider",
    Step.COMMENTS_BACK: "Comments received back",
    Step.UPLOADED: "Uploaded onto the case record system",
}

# Who may mark each step done; the first is the one it is assigned to (and reminded).
STEP_DONE_BY: dict[Step, tuple[str, ...]] = {
    Step.REPORT_TO_SQAO: (VISITOR,),
    Step.SQAO_RETURNS: (SQAO,),
    Step.ACTIONS_DONE: (VISITOR,),
    Step.SENT_FOR_COMMENTS: (VISITOR,),
    Step.COMMENTS_BACK: (VISITOR,),
    Step.UPLOADED: (VISITOR, SQAO),  # "uploaded … by the SQAO or PCO"
}
STEP_ASSIGNEE: dict[Step, str] = {step: roles[0] for step, roles in STEP_DONE_BY.items()}

_STEPS = tuple(Step)


@dataclass(frozen=True)
class DueVisit:
    """A visit that is due by `due_on`, and why, in words with the dates."""

    kind: VisitKind
    due_on: date
    why: str  # e.g. "within 10 days of the issue or concern raised on Monday 2 November 2026"


@dataclass(frozen=True)
class ActionPlanNeeded:
    """No visit date yet: the SQAO must first request Ofsted's action plan (then `action_plan_visit_due`)."""

    why: str


# --- Counting days -----------------------------------------------------------------------------------

def _days(n: int, working: bool) -> str:
    return days(n, "working day" if working else "calendar day")


def due_date(cal: WorkingCalendar, rule: str, start: date, days: int, working: bool) -> date:
    """`start` plus `days` working days when `working`, else calendar days.

    A calendar-day deadline may fall on a weekend or bank holiday and stays there; reminders move
    themselves into working hours. `rule` names the rule in the error for a negative `days`.
    """
    if days < 0:
        raise ValueError(f"{rule}: days must not be negative, got {days}")
    return cal.add_days(start, days, working)


def _within(cal: WorkingCalendar, visits_policy: Visits, kind: VisitKind, start: date) -> tuple[date, str]:
    """The due date for a `within N days of start` rule, and "N days" or "N working days"."""
    days = {
        VisitKind.INITIAL: visits_policy.initial_within_days,
        VisitKind.SUPPORTED_16_PLUS: visits_policy.supported_16_plus_within_days,
        VisitKind.CONCERN: visits_policy.concern_within_days,
        VisitKind.RATING: visits_policy.rating_within_days,
        VisitKind.ACTION_PLAN: visits_policy.action_plan_within_days,
    }[kind]
    working = visits_policy.in_working_days(kind)
    return due_date(cal, kind, start, days, working), _days(days, working)


# --- When a visit is due ---------------------------------------------------------------------------


def initial_visit_due(
    cal: WorkingCalendar, visits_policy: Visits, provision_type: ProvisionType, placement_start: date
) -> DueVisit:
    """The first visit for a new placement: before it, or within N days of `placement_start`.

    16+ supported accommodation has its own rule (`supported_16_plus`); every other provision uses
    `initial`. `due_on` is the last day; a visit on any day up to it, including before the placement
    starts, is on time.
    """
    provision_type = ProvisionType(provision_type)
    if provision_type is ProvisionType.SUPPORTED_16_PLUS:
        kind, before = VisitKind.SUPPORTED_16_PLUS, "ideally before the young person is placed"
    else:
        kind, before = VisitKind.INITIAL, "ideally before the placement is made"
    due_on, within = _within(cal, visits_policy, kind, placement_start)
    why = f"{before}, or within {within} of the placement starting on {long_date(placement_start)}"
    return DueVisit(kind, due_on, why)


def annual_visit_due(cal: WorkingCalendar, visits_policy: Visits, last_visit_on: date) -> DueVisit:
    """The next annual visit: `annual_every_months` calendar months after `last_visit_on`.

    Months, not days, so working days never apply (`cal` is taken only so every rule has the same
    shape). A month without the day falls back to its last day: a visit on 29 February 2028 is next
    due on 28 February 2029, a day early rather than a day over the 12 months.
    """
    months = visits_policy.annual_every_months
    due_on = last_visit_on + relativedelta(months=months)
    every = "1 month" if months == 1 else f"{months} months"
    why = f"{every} after the last visit on {long_date(last_visit_on)}"
    if due_on.day != last_visit_on.day:
        missing = f"{last_visit_on.day} {month_name(due_on.month)} {due_on.year}"
        why += f" (there is no {missing}, so the last day of that month)"
    return DueVisit(VisitKind.ANNUAL, due_on, why)


def concern_visit_due(cal: WorkingCalendar, visits_policy: Visits, raised_on: date) -> DueVisit:
    """A visit within N days of an issue or concern being raised on `raised_on`."""
    due_on, within = _within(cal, visits_policy, VisitKind.CONCERN, raised_on)
    why = f"within {within} of the issue or concern raised on {long_date(raised_on)}"
    return DueVisit(VisitKind.CONCERN, due_on, why)


def rating_visit_due(
    cal: WorkingCalendar,
    visits_policy: Visits,
    provision_type: ProvisionType,
    rating: OfstedRating,
    rated_on: date,
) -> DueVisit | ActionPlanNeeded | None:
    """What a new Ofsted judgement made on `rated_on` asks for.

    - an IFA or residential home judged Good or Outstanding: a visit within N days (`rating`);
    - one judged Inadequate or Requires improvement: no date yet, the SQAO must request Ofsted's
      action plan (`ActionPlanNeeded`); the visit is then due from receiving it (`action_plan_visit_due`);
    - any other provision: None, as the seed's rating rules are for IFAs and residential homes.
    """
    provision_type, rating = ProvisionType(provision_type), OfstedRating(rating)
    if provision_type not in RATING_VISIT_PROVISIONS:
        return None
    judged = f"Ofsted's {RATING_LABELS[rating]} judgement on {long_date(rated_on)}"
    if rating in (OfstedRating.GOOD, OfstedRating.OUTSTANDING):
        due_on, within = _within(cal, visits_policy, VisitKind.RATING, rated_on)
        return DueVisit(VisitKind.RATING, due_on, f"within {within} of {judged}")
    within = _days(visits_policy.action_plan_within_days, visits_policy.in_working_days(VisitKind.ACTION_PLAN))
    return ActionPlanNeeded(
        f"After {judged}, the Senior Quality Assurance Officer requests Ofsted's action plan; "
        f"the visit is due within {within} of receiving it"
    )


def action_plan_visit_due(cal: WorkingCalendar, visits_policy: Visits, received_on: date) -> DueVisit:
    """The visit after an Inadequate or Requires improvement judgement: within N days of receiving
    Ofsted's action plan on `received_on`."""
    due_on, within = _within(cal, visits_policy, VisitKind.ACTION_PLAN, received_on)
    why = f"within {within} of receiving the Ofsted action plan on {long_date(received_on)}"
    return DueVisit(VisitKind.ACTION_PLAN, due_on, why)


def confirmation_due(visit_on: date, visits_policy: Visits, *, planned_on: date | None = None) -> date:
    """When to email the provider to confirm the visit: `confirm_days_before` calendar days before it.

    Given `planned_on` (the day the visit is planned), a confirmation date already past by then is
    due at once, on `planned_on`. Fourteen days before a visit is the same weekday as the visit.
    """
    due = visit_on - timedelta(days=visits_policy.confirm_days_before)
    if planned_on is not None and planned_on > due:
        return planned_on
    return due


# --- After the visit ---------------------------------------------------------------------------------


def next_step(step: Step) -> Step | None:
    """The step after `step`, or None after the last (uploaded)."""
    index = _STEPS.index(Step(step))
    return _STEPS[index + 1] if index + 1 < len(_STEPS) else None


def step_due(cal: WorkingCalendar, visits_policy: Visits, step: Step, previous_finished_on: date) -> date:
    """The deadline for `step`, counted from when the step before it actually finished.

    For the first step (report_to_sqao) `previous_finished_on` is the date of the visit. A step
    named in `visits.working_days` counts working days; the others count calendar days.
    """
    step = Step(step)
    return due_date(
        cal, step, previous_finished_on, visits_policy.chain.days(step), visits_policy.in_working_days(step)
    )


def step_counted(visits_policy: Visits, step: Step) -> str:
    """How `step`'s deadline is counted, e.g. "5 working days" or "10 calendar days"."""
    step = Step(step)
    return _days(visits_policy.chain.days(step), visits_policy.in_working_days(step))


def on_time_share(items: Iterable[tuple[date, date | None]], today: date) -> float | None:
    """The share done on time among (due, done) pairs that are done or overdue on `today`.

    Done on or before its due date is on time; done after it, or not done and past it, is late.
    Not done and not yet past due is still open and left out. None when nothing is counted.
    """
    counted = on_time = 0
    for due, done in items:
        if done is None:
            if today > due:
                counted += 1
            continue
        counted += 1
        on_time += done <= due
    return on_time / counted if counted else None


# --- Views for messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    step: Step
    assignee: str  # Slack user or user-group ID
    started_on: date
    due_on: date
    finished_on: date | None = None
    finished_by: str | None = None
    counted: str = ""  # how the deadline is counted, e.g. "5 working days" (from started_on)


@dataclass(frozen=True)
class VisitView:
    id: int
    provision_id: int
    provision: str  # the provision's name (an organisation: may be named)
    provision_type: ProvisionType
    kind: VisitKind
    due_on: date
    why: str
    state: str  # due, planned, done, superseded
    child_reference: str | None = None  # the placement's child, by case reference only
    planned_on: date | None = None
    visitor: str | None = None
    done_on: date | None = None
    steps: tuple[StepView, ...] = ()


@dataclass(frozen=True)
class ProvisionView:
    id: int
    name: str
    provision_type: ProvisionType
    rating: OfstedRating | None
    rated_on: date | None
    contact: str | None
    open_concern_since: date | None = None
    action_plan_requested_on: date | None = None
    action_plan_received_on: date | None = None


@dataclass(frozen=True)
class VisitsOverview:
    """`/panel visits`: what is due and overdue for the caller; for the SQAO, everything, with shares."""

    today: date
    visits: tuple[VisitView, ...]  # not done, soonest first
    steps: tuple[tuple[VisitView, StepView], ...]  # open steps for the caller (or all, for the SQAO)
    everything: bool = False  # the SQAO's view
    visits_on_time: float | None = None  # share of visits done (or overdue) that were on time
    steps_on_time: dict[Step, float | None] | None = None
