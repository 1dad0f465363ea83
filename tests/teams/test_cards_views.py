"""Realistic views for the Teams card tests, built as the services build them (cases routed by the
shipped policies, as tests/messages/test_case_messages.py does), and every card built from them.

`CARDS` names each card the Teams side sends, built from these views; `CHANNEL_CARDS` are the ones a
channel sees (and the answers to a press on a channel card). The tests in this module check the
views themselves are what the services would give.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.domain.booking import Agenda, AgendaItem, BookingChange, BookingChoice, BookingView, CalendarInvite, DayChoice
from bot.domain.calendar import LONDON, Slot
from bot.domain.cases import CaseView, PanelListing, Stage, first_stage
from bot.domain.decisions import Attendance, Decided, DecisionKind, DecisionView, Outcome, PanelAgenda
from bot.domain.home import Home, MyCase, Task
from bot.domain.reminders import PackageAfterReview, QualityOfLife, ReminderItem, ReminderKind, ReviewRecorded
from bot.domain.routing import CaseRequest, RequestType, Service, route_case
from bot.domain.spot_checks import SpotCheckNotice, SpotCheckOpened, SpotCheckView, Why
from bot.domain.visits import (
    OfstedRating,
    ProvisionType,
    ProvisionView,
    Step,
    StepView,
    VisitKind,
    VisitsOverview,
    VisitView,
)
from bot.notify import ActionPlanAsk, FateUnknown, Notice, RemindersFailed, StepAssigned
from bot.policy import Policy, default_policy_path, load_policy
from messages.teams import booking, cases, decisions, help, home, reminders, spot_checks, submit, visits
from messages.teams.elements import Card
from messages.teams.notices import notice_card

POLICY = load_policy(default_policy_path())
POLICIES = {path.stem: load_policy(path) for path in sorted(default_policy_path().parent.glob("*.toml"))}


def _policy_with_teams() -> Policy:
    """The high-cost policy with a rule on the worker's team, so that its form asks for the team."""
    text = (default_policy_path().parent / "high_cost.toml").read_text(encoding="utf-8")
    text = text.replace('age_bands = ["0-17"', 'teams = ["North team", "South team"]\nage_bands = ["0-17"', 1)
    text = text.replace("[[routing.rules]]\nwhen = { top_up = true }",
                        '[[routing.rules]]\nwhen = { team = ["North team"] }\nto = "high_cost_panel"\n\n'
                        "[[routing.rules]]\nwhen = { top_up = true }", 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "teams.toml"
        path.write_text(text, encoding="utf-8")
        return load_policy(path)


POLICIES["with-teams"] = _policy_with_teams()

# Teams user ids ("29:…") and the names the Teams side knows them by.
# People as the policy and the database name them on Teams: "teams:" and their Entra object id (bot.addresses).
PRIYA, TOMAS, ANNA = ("teams:00000000-0000-4000-8000-000000000001", "teams:00000000-0000-4000-8000-000000000002",
                      "teams:00000000-0000-4000-8000-000000000003")
CHAIR, OPS, SQAO, PCO = ("teams:00000000-0000-4000-8000-000000000004", "teams:00000000-0000-4000-8000-000000000005",
                          "teams:00000000-0000-4000-8000-000000000006", "teams:00000000-0000-4000-8000-000000000007")
NAMES = {PRIYA: "Priya Shah", TOMAS: "Tomás Reyes", ANNA: "Anna Kowalska", CHAIR: "Sam Okafor",
         OPS: "Dev Patel", SQAO: "Jo Evans", PCO: "Lee Morgan"}
# Tuesday 24 November 2026, 10:00 in London; decided Wednesday 25 November at 10:42 (GMT: London is UTC).
SUBMITTED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
DECIDED_AT = datetime(2026, 11, 25, 10, 42, tzinfo=UTC)
TODAY = date(2026, 11, 24)


def make_case(request: CaseRequest, policy: Policy = POLICY, **changes: Any) -> CaseView:
    """A CaseView as the services build it: routed by `policy`, just submitted."""
    route = route_case(policy, request)
    case = CaseView(
        id=1, reference="1234567", service=request.service, request_type=request.request_type,
        proposed_weekly=request.proposed_weekly, ras_weekly=request.ras_weekly, current_weekly=request.current_weekly,
        hours_per_month=request.hours_per_month, respite_weeks_per_year=request.respite_weeks_per_year,
        urgent=request.urgent, route=route.body, body_name=route.name, body_kind=route.kind, tier_role=route.tier,
        follow_on_name=policy.bodies[route.then_at].name if route.then_at else None, reasons=route.reasons,
        then=route.then, practitioner_must_attend=route.practitioner_must_attend, attendance=route.attendance,
        evidence_required=route.evidence, evidence_attached=(), stage=first_stage(route.kind, request.urgent),
        submitter=PRIYA, team_manager=TOMAS, attendee=None, deciders=(TOMAS,) if route.tier else (),
        submitted_at=SUBMITTED,
    )
    return replace(case, **changes)


def london_slot(day: date, hour: int, minute: int, minutes: int = 30) -> Slot:
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
    return Slot(start, start + timedelta(minutes=minutes))


def decision(outcome: Outcome, **changes: Any) -> DecisionView:
    stage_after = next((stage for stage in Stage if stage.value == outcome.value), None)  # "expired" has none
    base = DecisionView(kind=DecisionKind.DECISION, outcome=outcome, reason=f"The reason for {outcome.value}.",
                        decided_by=CHAIR, decided_at=DECIDED_AT, stage_after=stage_after)
    return replace(base, **changes)


# --- Cases -----------------------------------------------------------------------------------------------

TUE_1_DEC = date(2026, 12, 1)
SLOT = london_slot(TUE_1_DEC, 9, 30)

FORUM = make_case(
    CaseRequest(Service.ADULTS, RequestType.NEW_PACKAGE, Decimal("412.00"), ras_weekly=Decimal("298.00")),
    evidence_attached=("moving and handling", "occupational therapy", "a carer's assessment"), attendee=ANNA,
    strengths_and_needs="Enjoys the day centre; needs help with personal care twice a day.",
    outcomes="Stay at home with support.", alternatives="Community agents; occupational therapy.",
    record_link="https://records.example.gov.uk/person/1234567",
)
BOOKED = replace(FORUM, id=8, reference="8901234", stage=Stage.BOOKED, slot=SLOT)
DELEGATED = make_case(
    CaseRequest(Service.ADULTS, RequestType.INCREASE, Decimal("280.00"), ras_weekly=Decimal("300.00"),
                current_weekly=Decimal("240.00")),
    id=2, reference="2345678", evidence_attached=("assessment or review", "costed support plan"),
)
SEND_LATE = make_case(
    CaseRequest(Service.CHILDREN_SEND, RequestType.DIRECT_PAYMENT, Decimal("1234.50"), ras_weekly=Decimal("1200.00"),
                hours_per_month=Decimal("40.5")),
    id=3, reference="3456789",
    panel=PanelListing(day=date(2026, 12, 9), starts_at=datetime(2026, 12, 9, 10, 0, tzinfo=UTC), location="North",
                       papers_due=date(2026, 11, 25), late_for=date(2026, 11, 11), carried_from=date(2026, 11, 11)),
)
URGENT = make_case(
    CaseRequest(Service.ADULTS, RequestType.NEW_PACKAGE, Decimal("500.00"), ras_weekly=Decimal("450.00"), urgent=True),
    id=4, reference="4567890", deciders=(OPS,),
    urgent_reason="Her carer was admitted to hospital last night. " * 60,  # about 2,900 characters
)
LONG_TEXT = replace(FORUM, id=5, reference="5678901", strengths_and_needs="S" * 3000, outcomes="O" * 3001,
                    alternatives="A" * 5000, urgent_reason="U" * 3000)
# Welsh and accented text is two bytes a character in UTF-8: the card must still fit a Teams message.
WIDE_TEXT = replace(FORUM, id=9, reference="9012345", strengths_and_needs="ŵ" * 3000, outcomes="ŷ" * 3000,
                    alternatives="é" * 3000, urgent_reason="ô" * 3000)
APPROVED_WITH_CHANGES = decision(Outcome.APPROVED_WITH_CHANGES, reason="Best value: two days rather than three.",
                                 amended_weekly=Decimal("380.00"), conditions="Review the day opportunities soon.")
URGENT_APPROVAL = decision(Outcome.APPROVED, decided_by=OPS, reason="Carer breakdown: it cannot wait for panel.",
                           stage_after=Stage.AWAITING_ENDORSEMENT)
DEFERRED = decision(Outcome.DEFERRED, info_needed="The occupational therapy assessment.")
DECIDED = replace(FORUM, id=6, reference="6789012", stage=Stage.APPROVED_WITH_CHANGES,
                  decisions=(APPROVED_WITH_CHANGES,))
ENDORSING = replace(URGENT, id=7, reference="7890123", stage=Stage.AWAITING_ENDORSEMENT, decisions=(URGENT_APPROVAL,))
RESUBMITTED = replace(SEND_LATE, id=10, reference="1012345", round=2, decisions=(DEFERRED,))
# Twenty-five rounds of long decisions: the details card leaves the oldest out to fit.
MANY_DECISIONS = replace(WIDE_TEXT, id=11, reference="1123456", round=25, decisions=tuple(
    decision(Outcome.DEFERRED, reason="R" * 3000, info_needed="I" * 3000) for _ in range(25)))
EVERY_CASE = {"forum": FORUM, "booked": BOOKED, "delegated": DELEGATED, "send-late": SEND_LATE, "urgent": URGENT,
              "long-text": LONG_TEXT, "wide-text": WIDE_TEXT, "decided": DECIDED, "endorsing": ENDORSING,
              "resubmitted": RESUBMITTED, "many-decisions": MANY_DECISIONS}
EVERY_DECISION = {
    "approved": decision(Outcome.APPROVED), "with-changes": APPROVED_WITH_CHANGES, "deferred": DEFERRED,
    "declined": decision(Outcome.DECLINED), "urgent-approved": URGENT_APPROVAL,
    "signed-off-change": decision(Outcome.APPROVED, decided_by=TOMAS, stage_after=Stage.AWAITING_RATIFICATION),
    "endorsed": decision(Outcome.ENDORSED, kind=DecisionKind.ENDORSEMENT),
    "endorsed-and-ratified": decision(Outcome.ENDORSED, kind=DecisionKind.ENDORSEMENT, stage_after=Stage.RATIFIED),
    "not-endorsed": decision(Outcome.NOT_ENDORSED, kind=DecisionKind.ENDORSEMENT),
    "ratified": decision(Outcome.RATIFIED, kind=DecisionKind.RATIFICATION),
    "not-ratified": decision(Outcome.NOT_RATIFIED, kind=DecisionKind.RATIFICATION),
    "in-cover": decision(Outcome.DECLINED, decided_by=ANNA, decided_for=TOMAS,
                         practice_concern="Missed the carer's view.", concern_actions="Supervision this week."),
}

# --- Booking ---------------------------------------------------------------------------------------------

BOOKING = BookingView(case_id=1, reference="1234567", slot=SLOT, worker=PRIYA, attendee=ANNA,
                      chair_role="service_director_asc_operations", chairs=(CHAIR,))
DAYS = (
    DayChoice(date(2026, 11, 30), ()),  # full
    DayChoice(TUE_1_DEC, (SLOT, london_slot(TUE_1_DEC, 12, 30))),
    DayChoice(date(2026, 12, 2), tuple(london_slot(date(2026, 12, 2), 9 + n // 2, 30 * (n % 2)) for n in range(8))),
)
CHOICE = BookingChoice(case=FORUM, days=DAYS, current=None)
REBOOKING = BookingChoice(case=BOOKED, days=DAYS, current=replace(BOOKING, case_id=8, reference="8901234"),
                          notice="The 10:00 slot on Tuesday has just gone: pick another.")
# Far more free slots than a form offers (8 a day for 20 sitting days).
MANY_SLOTS = BookingChoice(case=FORUM, current=None, days=tuple(
    DayChoice(TUE_1_DEC + timedelta(days=d), tuple(london_slot(TUE_1_DEC + timedelta(days=d), 9 + n // 2, 30 * (n % 2))
                                                   for n in range(8))) for d in range(20)))
NO_SLOTS = BookingChoice(case=FORUM, days=(DayChoice(TUE_1_DEC, ()),), current=None)
BOOKED_CHANGE = BookingChange(booking=BOOKING)
MOVED = BookingChange(booking=BOOKING, previous=london_slot(date(2026, 11, 30), 13, 0))
CANCELLED = BookingChange(booking=BOOKING, cancelled=True, by=PRIYA, at=DECIDED_AT)
INVITE = CalendarInvite(booking=BOOKING, uid="panelbot-case-1@panelbot", sequence=1, cancelled=False, stamp=SUBMITTED)
UNINVITE = replace(INVITE, sequence=2, cancelled=True)
AGENDA = Agenda(
    day=TUE_1_DEC, chair_role="service_director_asc_operations", chairs=(CHAIR,),
    items=(AgendaItem(slot=london_slot(TUE_1_DEC, 9, 0), case_id=1, reference="1234567",
                      request_type=RequestType.NEW_PACKAGE, proposed_weekly=Decimal("412.00"), worker=PRIYA,
                      attendee=ANNA),
           AgendaItem(slot=london_slot(TUE_1_DEC, 9, 30))),
    follow_ons=(ENDORSING,),
)
BIG_AGENDA = replace(AGENDA, items=tuple(
    AgendaItem(slot=london_slot(TUE_1_DEC, 9, 0) if n == 0 else Slot(
        london_slot(TUE_1_DEC, 9, 0).starts_at + timedelta(minutes=5 * n),
        london_slot(TUE_1_DEC, 9, 0).starts_at + timedelta(minutes=5 * n + 5)),
        case_id=n + 1, reference=f"{1000000 + n}", request_type=RequestType.NEW_PACKAGE,
        proposed_weekly=Decimal("412.00"), worker=PRIYA, attendee=ANNA) for n in range(300)))
CLOSED_AGENDA = Agenda(day=date(2026, 12, 25), items=(), chair_role=None, chairs=(), closed="Christmas Day.")
PANEL = PanelAgenda(day=date(2026, 12, 9), starts_at=datetime(2026, 12, 9, 10, 0, tzinfo=UTC), location="North",
                    papers_due=date(2026, 11, 25), chair=(CHAIR,), deputy=(OPS,), cases=(SEND_LATE, RESUBMITTED),
                    follow_ons=(ENDORSING,), quorum=("1 of the parent representatives", "1 of the practice leads"))
BIG_PANEL = replace(PANEL, cases=tuple(replace(SEND_LATE, id=100 + n, reference=f"{2000000 + n}") for n in range(400)),
                    follow_ons=tuple(replace(ENDORSING, id=600 + n, reference=f"{3000000 + n}") for n in range(100)))
EMPTY_PANEL = replace(PANEL, cases=(), follow_ons=(), quorum=())
ATTENDANCE = Attendance(body="send_panel", body_name="SEND Quality Assurance Panel", day=date(2026, 12, 9),
                        present=(CHAIR,), missing=("1 more of the parent representatives",),
                        quorum=("1 of the parent representatives",))

# --- Reminders, visits, home, spot checks ------------------------------------------------------------------

REMINDER = ReminderItem(id=31, kind=ReminderKind.REVIEW_DUE, case_id=1, reference="1234567",
                        why="Review due Tuesday 5 January 2027", due_at=SUBMITTED)
ESCALATION = ReminderItem(id=32, kind=ReminderKind.DECISION_OVERDUE, case_id=2, reference="2345678",
                          why="Waiting since Tuesday 10 November 2026", due_at=SUBMITTED, late_person=TOMAS)
VISIT_REMINDER = ReminderItem(id=33, kind=ReminderKind.VISIT_DUE, case_id=None, reference="Sunrise House",
                              why="Initial visit due by Thursday 3 December 2026", due_at=SUBMITTED)
FIFTEEN = tuple(replace(REMINDER, id=100 + n, reference=f"{4000000 + n}", why="W" * 300) for n in range(15))
REVIEW = ReviewRecorded(case_id=1, reference="1234567", quality_of_life=QualityOfLife.IMPROVED,
                        package=PackageAfterReview.CONTINUES, next_review_on=date(2027, 11, 24))

PROVISION = ProvisionView(id=5, name="Sunrise House", provision_type=ProvisionType.RESIDENTIAL_HOME,
                          rating=OfstedRating.REQUIRES_IMPROVEMENT, rated_on=date(2026, 11, 2),
                          contact="office@sunrise.example")
REQUESTED = replace(PROVISION, action_plan_requested_on=date(2026, 11, 3))
RECEIVED = replace(REQUESTED, action_plan_received_on=date(2026, 11, 10))
STEP = StepView(step=Step.REPORT_TO_SQAO, assignee=PCO, started_on=date(2026, 11, 20), due_on=date(2026, 12, 4),
                counted="14 days")
LATE_STEP = replace(STEP, step=Step.SQAO_RETURNS, assignee=SQAO, due_on=date(2026, 11, 20))
DUE_VISIT = VisitView(id=12, provision_id=5, provision="Sunrise House", provision_type=ProvisionType.RESIDENTIAL_HOME,
                      kind=VisitKind.INITIAL, due_on=date(2026, 11, 20), why="within 3 days of the placement starting",
                      state="due", child_reference="7654321")
PLANNED_VISIT = replace(DUE_VISIT, id=13, state="planned", planned_on=date(2026, 12, 1), visitor=PCO)
DONE_VISIT = replace(DUE_VISIT, id=14, state="done", done_on=date(2026, 11, 19), steps=(STEP,))
OVERVIEW = VisitsOverview(today=TODAY, visits=(DUE_VISIT, PLANNED_VISIT), steps=((DONE_VISIT, STEP),
                                                                                (DONE_VISIT, LATE_STEP)),
                          everything=True, visits_on_time=0.83, steps_on_time={Step.REPORT_TO_SQAO: 0.9,
                                                                                Step.SQAO_RETURNS: None})
MINE_OVERVIEW = replace(OVERVIEW, everything=False, visits_on_time=None, steps_on_time=None)
BIG_OVERVIEW = replace(OVERVIEW, visits=tuple(replace(DUE_VISIT, id=200 + n) for n in range(60)),
                       steps=tuple((DONE_VISIT, STEP) for _ in range(60)))
EMPTY_OVERVIEW = VisitsOverview(today=TODAY, visits=(), steps=())

HOME = Home(
    person=PRIYA, today=TODAY,
    waiting=(Task("sign-off", "2345678", date(2026, 11, 21), "increase £280.00/wk, delegated sign-off", 2),),
    cases=(MyCase(1, "1234567", "new package £412.00/wk", "Enhanced Peer Forum", "waiting for a slot to be booked",
                  TODAY),),
    bookings=("1234567: Enhanced Peer Forum, Tuesday 1 December 2026, 09:30–10:00",),
    chairing=("Enhanced Peer Forum today: 3 cases booked, 5 slots free",),
    cover=("You cover for {{@" + TOMAS + "}} today: their messages and reminders come to you.",),
)
BUSY_HOME = replace(HOME, waiting=HOME.waiting * 45, cases=HOME.cases * 45, bookings=HOME.bookings * 45,
                    overdue_visits=("Sunrise House: report to SQAO overdue by 3 days",) * 45)

CHECK = SpotCheckView(id=21, case_id=2, reference="2345678", body_name="delegated sign-off",
                      request_type="increase", agreed_weekly=Decimal("280.00"), decided_by=TOMAS,
                      decided_at=DECIDED_AT, drawn_at=DECIDED_AT, why=(Why.RANDOM,), state="open")
CONCERN_CHECK = replace(CHECK, state="concern", checked_by=SQAO, checked_at=DECIDED_AT)
TO_CHECKER = SpotCheckNotice(check=CHECK, to_manager=False)
TO_MANAGER = SpotCheckNotice(check=CONCERN_CHECK, to_manager=True, actions="Supervision on recording the carer's view.")


# --- Every card -----------------------------------------------------------------------------------------

Build = Callable[[], Card]

CARDS: dict[str, Build] = {
    "help": help.help_card,
    "text": lambda: help.text_card("Case withdrawn", "Case 1234567 is withdrawn."),
    "usage": lambda: help.usage_card("sbumit" * 10),
    "home-new": home.home_card,
    "home": lambda: home.home_card(HOME, NAMES),
    "home-busy": lambda: home.home_card(BUSY_HOME, NAMES),
    "away-form": lambda: home.away_form(TODAY, colleagues=(TOMAS, ANNA), names=NAMES),
    "away-form-by-email": lambda: home.away_form(TODAY, errors={"colleague": "Choose someone other than yourself."}),
    "mine": lambda: cases.mine_card(list(EVERY_CASE.values()), ["sign-off 2345678"] * 3, NAMES),
    "mine-many": lambda: cases.mine_card([replace(FORUM, id=n) for n in range(60)], ["x"] * 50, NAMES),
    "mine-empty": lambda: cases.mine_card([]),
    "booking-form": lambda: booking.booking_form(CHOICE),
    "rebooking-form": lambda: booking.booking_form(REBOOKING, error="The slot has gone: pick another."),
    "booking-form-many": lambda: booking.booking_form(MANY_SLOTS),
    "booking-form-none": lambda: booking.booking_form(NO_SLOTS),
    "booked": lambda: booking.booked_card(MOVED, NAMES),
    "booking-confirmation": lambda: booking.booking_confirmation(BOOKED_CHANGE, NAMES),
    "booking-moved": lambda: booking.booking_confirmation(MOVED, NAMES),
    "cancel-question": lambda: booking.cancel_question(BOOKING),
    "booking-cancelled": lambda: booking.booking_cancelled(CANCELLED, NAMES),
    "calendar-invite": lambda: booking.calendar_invite(INVITE),
    "calendar-cancel": lambda: booking.calendar_invite(UNINVITE),
    "agenda": lambda: booking.agenda_card(AGENDA, NAMES),
    "agenda-big": lambda: booking.agenda_card(BIG_AGENDA, NAMES),
    "agenda-closed": lambda: booking.agenda_card(CLOSED_AGENDA),
    "chair-agenda": lambda: booking.chair_agenda(AGENDA, NAMES),
    "chair-agenda-big": lambda: booking.chair_agenda(BIG_AGENDA, NAMES),
    "chair-agenda-closed": lambda: booking.chair_agenda(CLOSED_AGENDA),
    "panel-agenda": lambda: decisions.panel_agenda(PANEL, NAMES),
    "panel-agenda-big": lambda: decisions.panel_agenda(BIG_PANEL, NAMES),
    "panel-agenda-empty": lambda: decisions.panel_agenda(EMPTY_PANEL),
    "attendance-form": lambda: decisions.attendance_form(ATTENDANCE, (CHAIR, OPS, ANNA), NAMES),
    "reminder": lambda: reminders.reminders_card([REMINDER], NAMES),
    "reminders": lambda: reminders.reminders_card([REMINDER, ESCALATION, VISIT_REMINDER], NAMES),
    "reminders-fifteen": lambda: reminders.reminders_card(FIFTEEN),
    "reminders-failed": lambda: reminders.reminders_failed_admin(PRIYA, ["1234567", "2345678"], "user_not_found"),
    "review-form": lambda: reminders.review_form(DECIDED),
    "review-form-errors": lambda: reminders.review_form(DECIDED, errors={"new_weekly": "Enter the new weekly cost."}),
    "visits": lambda: visits.visits_card(OVERVIEW, NAMES),
    "visits-mine": lambda: visits.visits_card(MINE_OVERVIEW, NAMES),
    "visits-big": lambda: visits.visits_card(BIG_OVERVIEW, NAMES),
    "visits-none": lambda: visits.visits_card(EMPTY_OVERVIEW),
    "step-assigned": lambda: visits.step_assigned(DONE_VISIT, STEP),
    "visit-planned-visitor": lambda: visits.visit_planned(PLANNED_VISIT, to=PCO, confirm_by=date(2026, 11, 17)),
    "visit-planned-others": lambda: visits.visit_planned(PLANNED_VISIT, to=PRIYA, names=NAMES),
    "action-plan-needed": lambda: visits.action_plan_needed(PROVISION, "Requires improvement on 2 November 2026"),
    "action-plan-requested": lambda: visits.action_plan_needed(REQUESTED, ""),
    "action-plan-received": lambda: visits.action_plan_needed(RECEIVED, ""),
    "provision-form-new": lambda: visits.provision_form(None),
    "provision-form-edit": lambda: visits.provision_form(PROVISION, errors={"name": "Give the provision's name."}),
    "placement-form": lambda: visits.placement_form(
        [replace(PROVISION, id=n, name=f"Provision {n}") for n in range(120)], people=(PRIYA, ANNA), names=NAMES),
    "placement-form-by-email": lambda: visits.placement_form([PROVISION]),
    "placement-form-none": lambda: visits.placement_form([]),
    "plan-visit-form": lambda: visits.plan_visit_form(DUE_VISIT, visitors=(PCO,), names=NAMES),
    "spot-check-to-checker": lambda: spot_checks.spot_check_notice(TO_CHECKER, NAMES),
    "spot-check-to-manager": lambda: spot_checks.spot_check_notice(TO_MANAGER, NAMES),
    "spot-checks": lambda: spot_checks.spot_checks_card([CHECK] * 30, NAMES),
    "spot-checks-none": lambda: spot_checks.spot_checks_card([]),
    "spot-check-form": lambda: spot_checks.spot_check_form(SpotCheckOpened(CHECK, MANY_DECISIONS), NAMES),
    **{f"submit-form-{name}": (lambda policy=policy: submit.submit_form(policy, team_managers=(TOMAS,),
                                                                        attendees=(ANNA,), names=NAMES))
       for name, policy in POLICIES.items()},
    "submit-form-by-email": lambda: submit.submit_form(POLICY),
    "submit-form-refused": lambda: submit.refused_form(
        POLICY, {"reference": "12", "service": "adults", "evidence": "nonsense"},
        {"reference": "Enter the case reference as 5 to 10 digits", "alternatives": "Say what else you explored",
         "team_manager": "Choose your team manager"}, team_managers=(TOMAS,), names=NAMES),
    "submitted": lambda: submit.submitted_card(FORUM, NAMES),
    "corrected": lambda: submit.submitted_card(DELEGATED, NAMES, corrected=("proposed cost £280.00/wk",)),
    **{f"case-card-{name}": (lambda case=case: cases.case_card(case, NAMES)) for name, case in EVERY_CASE.items()},
    **{f"receipt-{name}": (lambda case=case: cases.receipt(case, NAMES)) for name, case in EVERY_CASE.items()},
    **{f"decider-notice-{name}": (lambda case=case: cases.decider_notice(case, NAMES))
       for name, case in EVERY_CASE.items()},
    **{f"details-{name}": (lambda case=case: cases.case_details(case, NAMES)) for name, case in EVERY_CASE.items()},
    **{f"summary-{name}": (lambda case=case: cases.case_summary(case)) for name, case in EVERY_CASE.items()},
    "withdraw-form": lambda: cases.withdraw_form(FORUM, error="Keep this under 3,000 characters."),
    **{f"decision-form-{outcome.value}": (lambda outcome=outcome: decisions.decision_form(
        ENDORSING if outcome in (Outcome.ENDORSED, Outcome.NOT_ENDORSED) else FORUM, outcome, names=NAMES))
       for outcome in Outcome},
    "decision-form-errors": lambda: decisions.decision_form(
        FORUM, Outcome.APPROVED_WITH_CHANGES, amended_weekly="£1,380.50",
        errors={"reason": "A reason is required for every decision.",
                "conditions": "Say what changes or conditions come with the approval."}),
    **{f"thread-reply-{name}": (lambda d=d: decisions.thread_reply(FORUM, d, NAMES))
       for name, d in EVERY_DECISION.items()},
    **{f"decision-notice-{name}": (lambda d=d: decisions.decision_notice(SEND_LATE, d, NAMES))
       for name, d in EVERY_DECISION.items()},
    "practice-concern": lambda: decisions.practice_concern(FORUM, EVERY_DECISION["in-cover"], NAMES),
}

# What each notice is about, for building every notice through notices.notice_card.
NOTICE_ABOUT: dict[Notice, Any] = {
    Notice.CASE_CARD: FORUM, Notice.CARD_UPDATE: DECIDED, Notice.RECEIPT: FORUM, Notice.DECIDER_NOTICE: DELEGATED,
    Notice.BOOKING_CONFIRMED: MOVED, Notice.BOOKING_CANCELLED: CANCELLED, Notice.AGENDA: AGENDA,
    Notice.CHAIR_AGENDA: AGENDA, Notice.THREAD_REPLY: Decided(DECIDED, APPROVED_WITH_CHANGES),
    Notice.DECISION_NOTICE: Decided(DECIDED, APPROVED_WITH_CHANGES),
    Notice.PRACTICE_CONCERN: Decided(FORUM, EVERY_DECISION["in-cover"]), Notice.PANEL_AGENDA: PANEL,
    Notice.ACTION_PLAN_NEEDED: ActionPlanAsk(PROVISION, "Requires improvement"), Notice.VISIT_PLANNED: PLANNED_VISIT,
    Notice.STEP_ASSIGNED: StepAssigned(DONE_VISIT, STEP),
    Notice.DELIVERY_UNKNOWN: FateUnknown(Notice.CASE_CARD, "1234567", "Enhanced Peer Forum"),
    Notice.REMINDERS_FAILED: RemindersFailed(PRIYA, ("1234567",), "user_not_found"), Notice.HOME: HOME,
    Notice.CALENDAR_INVITE: INVITE, Notice.SPOT_CHECK: TO_CHECKER,
}
CARDS.update({f"notice-{notice.value}": (lambda notice=notice: notice_card(notice, NOTICE_ABOUT[notice], PCO, NAMES))
              for notice in Notice})


def test_every_notice_has_a_view_to_build_it_from():
    assert set(NOTICE_ABOUT) == set(Notice)


def test_the_views_are_routed_as_the_policy_routes_them():
    assert FORUM.body_name == "Enhanced Peer Forum" and FORUM.stage is Stage.AWAITING_BOOKING
    assert DELEGATED.stage is Stage.AWAITING_SIGN_OFF
    assert SEND_LATE.stage is Stage.LISTED and SEND_LATE.practitioner_must_attend
    assert URGENT.stage is Stage.AWAITING_URGENT_DECISION and URGENT.follow_on_name


def test_a_policy_whose_rules_use_the_team_asks_for_it():
    assert "team" in POLICIES["with-teams"].facts_used()


def test_every_shipped_policy_has_its_case_form():
    assert {name for name in CARDS if name.startswith("submit-form-")} >= {f"submit-form-{path.stem}" for path in
                                                                           Path(default_policy_path()).parent.glob(
                                                                               "*.toml")}
