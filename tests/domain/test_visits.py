"""Monitoring visits (seed 002): when each visit is due and the chain after it, on pinned 2026-2029 dates.

Bank holidays around Christmas 2026: Friday 25 December, and Monday 28 December in lieu of Boxing Day
(a Saturday); Friday 1 January 2027.
"""

import re
import tomllib
from datetime import date

import pytest
from pydantic import ValidationError

from bot.domain.calendar import WorkingCalendar
from bot.domain.visits import (
    STEP_ASSIGNEE,
    STEP_DONE_BY,
    STEP_LABELS,
    VISIT_LABELS,
    VISIT_WHY,
    ActionPlanNeeded,
    DueVisit,
    OfstedRating,
    ProvisionType,
    Step,
    VisitKind,
    action_plan_visit_due,
    annual_visit_due,
    concern_visit_due,
    confirmation_due,
    due_date,
    initial_visit_due,
    next_step,
    on_time_share,
    rating_visit_due,
    step_due,
)
from bot.policy import Policy, PolicyError, VisitChain, Visits, default_policy_path, load_policy

CAL = WorkingCalendar()
SEED = Visits()  # the defaults reproduce seed 002
ALL_WORKING = Visits(working_days=["initial", "supported_16_plus", "concern", "rating", "action_plan",
                                   *(step.value for step in Step)])

RESIDENTIAL = ProvisionType.RESIDENTIAL_HOME
IFA = ProvisionType.INDEPENDENT_FOSTERING_AGENCY
SUPPORTED = ProvisionType.SUPPORTED_16_PLUS
SEN = ProvisionType.SEN_PROVISION

CHRISTMAS_EVE = date(2026, 12, 24)  # a Thursday


# --- counting days ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "working", "expected"),
    [
        pytest.param(CHRISTMAS_EVE, 3, False, date(2026, 12, 27), id="3 calendar days from Christmas Eve is Sunday"),
        # 25 and 28 December are bank holidays and 26-27 a weekend: Tuesday 29 is the first working day.
        pytest.param(CHRISTMAS_EVE, 3, True, date(2026, 12, 31),
                     id="3 working days from Christmas Eve skip the bank holidays to Thursday 31st"),
        pytest.param(date(2026, 11, 27), 3, False, date(2026, 11, 30), id="3 calendar days from a Friday is Monday"),
        pytest.param(date(2026, 11, 27), 3, True, date(2026, 12, 2),
                     id="3 working days from a Friday skip the weekend to Wednesday"),
        pytest.param(date(2026, 11, 28), 1, True, date(2026, 11, 30),
                     id="1 working day from a Saturday is Monday"),
        pytest.param(date(2026, 11, 27), 0, True, date(2026, 11, 27), id="0 days is the day itself"),
    ],
)
def test_a_rule_counts_calendar_or_working_days(start: date, days: int, working: bool, expected: date) -> None:
    assert due_date(CAL, "initial", start, days, working) == expected


def test_council_closure_days_are_not_working_days() -> None:
    closed = WorkingCalendar(closures=frozenset({date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)}))
    # Past the closures and New Year's Day: Monday 4, Tuesday 5, Wednesday 6 January.
    assert due_date(closed, "initial", CHRISTMAS_EVE, 3, True) == date(2027, 1, 6)


def test_negative_days_are_refused_naming_the_rule() -> None:
    with pytest.raises(ValueError, match="concern: days must not be negative"):
        due_date(CAL, "concern", CHRISTMAS_EVE, -1, False)


# --- when a visit is due ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provision", "policy", "start", "kind", "due_on"),
    [
        pytest.param(RESIDENTIAL, SEED, CHRISTMAS_EVE, VisitKind.INITIAL, date(2026, 12, 27),
                     id="a residential placement on Christmas Eve is due by Sunday in calendar days"),
        pytest.param(RESIDENTIAL, Visits(working_days=["initial"]), CHRISTMAS_EVE, VisitKind.INITIAL,
                     date(2026, 12, 31), id="or by Thursday 31st in working days"),
        pytest.param(IFA, SEED, date(2026, 11, 27), VisitKind.INITIAL, date(2026, 11, 30),
                     id="an IFA placement on a Friday is due by Monday"),
        pytest.param(SEN, SEED, date(2026, 11, 30), VisitKind.INITIAL, date(2026, 12, 3),
                     id="an SEN provision uses the initial rule"),
        pytest.param(SUPPORTED, SEED, date(2026, 11, 30), VisitKind.SUPPORTED_16_PLUS, date(2026, 12, 3),
                     id="a 16+ supported accommodation placement is due within 3 days"),
        pytest.param(SUPPORTED, Visits(supported_16_plus_within_days=5, initial_within_days=1), date(2026, 11, 30),
                     VisitKind.SUPPORTED_16_PLUS, date(2026, 12, 5), id="16+ follows its own rule, not initial"),
        pytest.param(SUPPORTED, Visits(working_days=["initial"]), CHRISTMAS_EVE, VisitKind.SUPPORTED_16_PLUS,
                     date(2026, 12, 27), id="switching initial to working days leaves 16+ in calendar days"),
        pytest.param(SUPPORTED, Visits(working_days=["supported_16_plus"]), CHRISTMAS_EVE,
                     VisitKind.SUPPORTED_16_PLUS, date(2026, 12, 31), id="16+ in working days over Christmas"),
    ],
)
def test_a_new_placement_needs_an_initial_visit(
    provision: ProvisionType, policy: Visits, start: date, kind: VisitKind, due_on: date
) -> None:
    due = initial_visit_due(CAL, policy, provision, start)
    assert (due.kind, due.due_on) == (kind, due_on)


def test_the_initial_visit_says_why_with_the_dates() -> None:
    due = initial_visit_due(CAL, SEED, RESIDENTIAL, date(2026, 11, 30))
    assert due == DueVisit(
        VisitKind.INITIAL,
        date(2026, 12, 3),
        "ideally before the placement is made, or within 3 calendar days of the placement starting on Monday 30 "
        "November 2026",
    )
    working = initial_visit_due(CAL, Visits(working_days=["supported_16_plus"]), SUPPORTED, date(2026, 11, 30))
    assert working.why == (
        "ideally before the young person is placed, or within 3 working days of the placement starting on "
        "Monday 30 November 2026"
    )


@pytest.mark.parametrize(
    ("visited_on", "share"),
    [
        pytest.param(date(2026, 11, 20), 1.0, id="a visit before the placement starts is on time"),
        pytest.param(date(2026, 12, 3), 1.0, id="a visit on the last day is on time"),
        pytest.param(date(2026, 12, 4), 0.0, id="a visit the day after is late"),
    ],
)
def test_an_initial_visit_before_the_placement_counts(visited_on: date, share: float) -> None:
    due = initial_visit_due(CAL, SEED, IFA, date(2026, 11, 30))
    assert on_time_share([(due.due_on, visited_on)], today=date(2026, 12, 10)) == share


@pytest.mark.parametrize(
    ("last_visit_on", "due_on"),
    [
        pytest.param(date(2026, 3, 16), date(2027, 3, 16), id="12 months after an ordinary date is the same date"),
        pytest.param(date(2028, 2, 29), date(2029, 2, 28), id="after 29 February it is 28 February"),
        pytest.param(date(2027, 2, 28), date(2028, 2, 28), id="28 February stays 28 February in a leap year"),
        pytest.param(date(2026, 12, 26), date(2027, 12, 26), id="a bank holiday or weekend is not moved"),
    ],
)
def test_the_annual_visit_is_twelve_calendar_months_after_the_last(last_visit_on: date, due_on: date) -> None:
    due = annual_visit_due(CAL, SEED, last_visit_on)
    assert (due.kind, due.due_on) == (VisitKind.ANNUAL, due_on)


def test_the_annual_visit_after_29_february_says_why_it_is_a_day_early() -> None:
    assert annual_visit_due(CAL, SEED, date(2028, 2, 29)).why == (
        "12 months after the last visit on Tuesday 29 February 2028 "
        "(there is no 29 February 2029, so the last day of that month)"
    )


def test_a_council_may_visit_more_often_than_yearly() -> None:
    assert annual_visit_due(CAL, Visits(annual_every_months=6), date(2026, 8, 31)).due_on == date(2027, 2, 28)


CONCERN_IN_WORKING_DAYS = Visits(working_days=["concern"])


@pytest.mark.parametrize(
    ("policy", "raised_on", "due_on", "why"),
    [
        pytest.param(SEED, date(2026, 11, 6), date(2026, 11, 16),
                     "within 10 calendar days of the issue or concern raised on Friday 6 November 2026",
                     id="10 calendar days from a Friday is a Monday"),
        pytest.param(CONCERN_IN_WORKING_DAYS, date(2026, 11, 6), date(2026, 11, 20),
                     "within 10 working days of the issue or concern raised on Friday 6 November 2026",
                     id="10 working days from a Friday is two weeks later"),
        pytest.param(SEED, date(2026, 12, 18), date(2026, 12, 28),
                     "within 10 calendar days of the issue or concern raised on Friday 18 December 2026",
                     id="calendar days may end on a bank holiday"),
        pytest.param(CONCERN_IN_WORKING_DAYS, date(2026, 12, 18), date(2027, 1, 6),
                     "within 10 working days of the issue or concern raised on Friday 18 December 2026",
                     id="working days skip Christmas and New Year"),
    ],
)
def test_a_concern_needs_a_visit_within_ten_days(policy: Visits, raised_on: date, due_on: date, why: str) -> None:
    assert concern_visit_due(CAL, policy, raised_on) == DueVisit(VisitKind.CONCERN, due_on, why)


RATED_ON = date(2026, 11, 2)  # a Monday


@pytest.mark.parametrize(
    ("provision", "rating", "expected"),
    [
        pytest.param(IFA, OfstedRating.GOOD, date(2026, 11, 16), id="an IFA rated Good is visited within 14 days"),
        pytest.param(RESIDENTIAL, OfstedRating.OUTSTANDING, date(2026, 11, 16),
                     id="a residential home rated Outstanding is visited within 14 days"),
        pytest.param(SEN, OfstedRating.GOOD, None, id="an SEN provision rated Good needs no rating visit"),
        pytest.param(SUPPORTED, OfstedRating.INADEQUATE, None,
                     id="16+ supported accommodation rated Inadequate needs no rating visit"),
        pytest.param(IFA, OfstedRating.INADEQUATE, ActionPlanNeeded,
                     id="an IFA rated Inadequate needs the action plan first"),
        pytest.param(RESIDENTIAL, OfstedRating.REQUIRES_IMPROVEMENT, ActionPlanNeeded,
                     id="a residential home rated Requires improvement needs the action plan first"),
    ],
)
def test_a_new_ofsted_rating_asks_for(
    provision: ProvisionType, rating: OfstedRating, expected: date | type | None
) -> None:
    result = rating_visit_due(CAL, SEED, provision, rating, RATED_ON)
    if expected is None:
        assert result is None
    elif expected is ActionPlanNeeded:
        assert isinstance(result, ActionPlanNeeded)
    else:
        assert isinstance(result, DueVisit)
        assert (result.kind, result.due_on) == (VisitKind.RATING, expected)


def test_a_good_rating_says_why_with_the_date() -> None:
    due = rating_visit_due(CAL, SEED, IFA, OfstedRating.GOOD, RATED_ON)
    assert isinstance(due, DueVisit)
    assert due.why == "within 14 calendar days of Ofsted's Good judgement on Monday 2 November 2026"


def test_an_inadequate_rating_then_its_action_plan_gives_a_visit_within_seven_days() -> None:
    needed = rating_visit_due(CAL, SEED, RESIDENTIAL, OfstedRating.INADEQUATE, RATED_ON)
    assert needed == ActionPlanNeeded(
        "After Ofsted's Inadequate judgement on Monday 2 November 2026, the Senior Quality Assurance Officer "
        "requests Ofsted's action plan; the visit is due within 7 calendar days of receiving it"
    )
    due = action_plan_visit_due(CAL, SEED, date(2026, 11, 20))
    assert due == DueVisit(
        VisitKind.ACTION_PLAN,
        date(2026, 11, 27),
        "within 7 calendar days of receiving the Ofsted action plan on Friday 20 November 2026",
    )


def test_an_action_plan_received_on_christmas_eve_in_working_days() -> None:
    policy = Visits(working_days=["action_plan"])
    # 29, 30, 31 December, 4, 5, 6, 7 January: 1 January is a bank holiday too.
    assert action_plan_visit_due(CAL, policy, CHRISTMAS_EVE).due_on == date(2027, 1, 7)


@pytest.mark.parametrize(
    "text",
    ["good", "Good", "Requires Improvement", "requires-improvement", "requires_improvement", " INADEQUATE "],
)
def test_an_ofsted_rating_is_read_as_ofsted_writes_it(text: str) -> None:
    assert OfstedRating(text) in set(OfstedRating)


@pytest.mark.parametrize("text", ["excellent", "satisfactory", "", "good enough"])
def test_anything_but_ofsteds_four_ratings_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not an Ofsted rating"):
        OfstedRating(text)


def test_every_kind_of_visit_has_a_label_and_a_reason() -> None:
    assert set(VISIT_LABELS) == set(VISIT_WHY) == set(VisitKind)


# --- before the visit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visit_on", "planned_on", "expected"),
    [
        pytest.param(date(2026, 12, 10), None, date(2026, 11, 26), id="two weeks before the visit"),
        pytest.param(date(2026, 12, 10), date(2026, 11, 1), date(2026, 11, 26),
                     id="planned well ahead: still two weeks before"),
        pytest.param(date(2026, 12, 10), date(2026, 11, 26), date(2026, 11, 26), id="planned exactly two weeks ahead"),
        pytest.param(date(2026, 12, 10), date(2026, 12, 3), date(2026, 12, 3),
                     id="planned a week ahead: confirm now"),
    ],
)
def test_the_visit_is_confirmed_with_the_provider_two_weeks_ahead(
    visit_on: date, planned_on: date | None, expected: date
) -> None:
    assert confirmation_due(visit_on, SEED, planned_on=planned_on) == expected


# --- after the visit --------------------------------------------------------------------------------

VISIT_ON = date(2026, 11, 2)  # a Monday


def test_the_chain_runs_in_the_seeds_order() -> None:
    order = [Step.REPORT_TO_SQAO]
    while (step := next_step(order[-1])) is not None:
        order.append(step)
    assert order == list(Step) == [
        Step.REPORT_TO_SQAO, Step.SQAO_RETURNS, Step.ACTIONS_DONE, Step.SENT_FOR_COMMENTS, Step.COMMENTS_BACK,
        Step.UPLOADED,
    ]
    assert next_step(Step.UPLOADED) is None


def test_each_step_belongs_to_the_visitor_or_the_sqao() -> None:
    assert STEP_ASSIGNEE == {
        Step.REPORT_TO_SQAO: "visitor",
        Step.SQAO_RETURNS: "senior_qa_officers",
        Step.ACTIONS_DONE: "visitor",
        Step.SENT_FOR_COMMENTS: "visitor",
        Step.COMMENTS_BACK: "visitor",
        Step.UPLOADED: "visitor",
    }
    assert STEP_DONE_BY[Step.UPLOADED] == ("visitor", "senior_qa_officers")
    assert set(STEP_LABELS) == set(Step)


def walk_chain(policy: Visits, finished: dict[Step, date]) -> dict[Step, date]:
    """Each step's deadline, given when the steps before it finished (the visit for the first)."""
    deadlines: dict[Step, date] = {}
    previous = VISIT_ON
    for step in Step:
        deadlines[step] = step_due(CAL, policy, step, previous)
        previous = finished.get(step, deadlines[step])
    return deadlines


def test_each_step_done_on_its_deadline_gives_the_seeds_timetable() -> None:
    assert walk_chain(SEED, {}) == {
        Step.REPORT_TO_SQAO: date(2026, 11, 16),  # two weeks after the visit
        Step.SQAO_RETURNS: date(2026, 11, 23),  # 7 days
        Step.ACTIONS_DONE: date(2026, 11, 26),  # 3 days
        Step.SENT_FOR_COMMENTS: date(2026, 12, 17),  # 3 weeks
        Step.COMMENTS_BACK: date(2026, 12, 20),  # 3 days: a Sunday, in calendar days
        Step.UPLOADED: date(2026, 12, 23),  # 3 days, the seed gives none
    }


@pytest.mark.parametrize(
    ("step", "previous_finished_on", "expected"),
    [
        pytest.param(Step.REPORT_TO_SQAO, VISIT_ON, date(2026, 11, 16), id="the first step counts from the visit"),
        pytest.param(Step.SQAO_RETURNS, date(2026, 11, 20), date(2026, 11, 27),
                     id="a report sent 4 days late pushes the SQAO's deadline 4 days"),
        pytest.param(Step.SQAO_RETURNS, date(2026, 11, 4), date(2026, 11, 11),
                     id="a report sent early pulls the SQAO's deadline in"),
        pytest.param(Step.ACTIONS_DONE, date(2026, 11, 23), date(2026, 11, 26),
                     id="actions due 3 days after the SQAO returned the form"),
        pytest.param(Step.COMMENTS_BACK, CHRISTMAS_EVE, date(2026, 12, 27),
                     id="comments back over Christmas in calendar days"),
    ],
)
def test_a_step_is_due_from_when_the_previous_one_actually_finished(
    step: Step, previous_finished_on: date, expected: date
) -> None:
    assert step_due(CAL, SEED, step, previous_finished_on) == expected


def test_a_late_step_pushes_every_later_deadline_and_an_early_one_pulls_them() -> None:
    on_time = walk_chain(SEED, {})
    late = walk_chain(SEED, {Step.REPORT_TO_SQAO: date(2026, 11, 19)})  # 3 days late
    early = walk_chain(SEED, {Step.REPORT_TO_SQAO: date(2026, 11, 5)})  # 11 days early
    for step in list(Step)[1:]:
        assert (late[step] - on_time[step]).days == 3
        assert (on_time[step] - early[step]).days == 11


@pytest.mark.parametrize(
    ("step", "previous_finished_on", "expected"),
    [
        pytest.param(Step.COMMENTS_BACK, CHRISTMAS_EVE, date(2026, 12, 31),
                     id="comments back in 3 working days over Christmas"),
        pytest.param(Step.REPORT_TO_SQAO, VISIT_ON, date(2026, 11, 20),
                     id="the report in 14 working days is Friday of the third week"),
        pytest.param(Step.ACTIONS_DONE, date(2026, 11, 27), date(2026, 12, 2),
                     id="actions in 3 working days from a Friday"),
    ],
)
def test_a_step_may_count_working_days(step: Step, previous_finished_on: date, expected: date) -> None:
    assert step_due(CAL, ALL_WORKING, step, previous_finished_on) == expected


def test_only_the_steps_named_count_working_days() -> None:
    policy = Visits(working_days=["comments_back"])
    assert step_due(CAL, policy, Step.COMMENTS_BACK, CHRISTMAS_EVE) == date(2026, 12, 31)
    assert step_due(CAL, policy, Step.UPLOADED, CHRISTMAS_EVE) == date(2026, 12, 27)
    assert step_due(CAL, policy, Step.SQAO_RETURNS, CHRISTMAS_EVE) == date(2026, 12, 31)


def test_a_rating_change_mid_chain_makes_its_own_visit_and_leaves_the_chain_alone() -> None:
    before = walk_chain(SEED, {Step.REPORT_TO_SQAO: date(2026, 11, 10)})
    # Ofsted judges the provision Good while the SQAO has the form: a new visit, not a new chain.
    rating_visit = rating_visit_due(CAL, SEED, RESIDENTIAL, OfstedRating.GOOD, date(2026, 11, 12))
    after = walk_chain(SEED, {Step.REPORT_TO_SQAO: date(2026, 11, 10)})
    assert after == before
    assert isinstance(rating_visit, DueVisit)
    assert (rating_visit.kind, rating_visit.due_on) == (VisitKind.RATING, date(2026, 11, 26))


# --- the SQAO's summary -----------------------------------------------------------------------------

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("items", "share"),
    [
        pytest.param([], None, id="nothing yet gives no share"),
        pytest.param([(date(2026, 12, 5), None)], None, id="only open and not yet due gives no share"),
        pytest.param([(date(2026, 12, 1), None)], None, id="due today and not done is not yet late"),
        pytest.param([(date(2026, 11, 30), None)], 0.0, id="not done and past due counts as late"),
        pytest.param([(date(2026, 11, 30), date(2026, 11, 30))], 1.0, id="done on the due date is on time"),
        pytest.param([(date(2026, 11, 30), date(2026, 12, 1))], 0.0, id="done a day after is late"),
        pytest.param(
            [
                (date(2026, 11, 10), date(2026, 11, 9)),  # on time
                (date(2026, 11, 20), date(2026, 11, 20)),  # on time
                (date(2026, 11, 25), date(2026, 11, 27)),  # late
                (date(2026, 11, 28), None),  # overdue
                (date(2026, 12, 10), None),  # open: left out
                (date(2026, 12, 10), date(2026, 11, 30)),  # done early: on time
            ],
            0.6,
            id="three on time of five done or overdue",
        ),
    ],
)
def test_the_share_done_on_time(items: list[tuple[date, date | None]], share: float | None) -> None:
    assert on_time_share(items, TODAY) == share


def test_the_share_reads_any_iterable_once() -> None:
    pairs = ((date(2026, 11, day), date(2026, 11, day)) for day in (1, 2))
    assert on_time_share(pairs, TODAY) == 1.0


# --- the policy table -------------------------------------------------------------------------------


def test_the_defaults_are_the_seeds_numbers_in_calendar_days() -> None:
    assert (
        SEED.initial_within_days, SEED.annual_every_months, SEED.concern_within_days, SEED.rating_within_days,
        SEED.action_plan_within_days, SEED.supported_16_plus_within_days, SEED.confirm_days_before,
    ) == (3, 12, 10, 14, 7, 3, 14)
    assert SEED.working_days == ()
    assert [SEED.chain.days(step) for step in Step] == [14, 7, 3, 21, 3, 3]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"working_days": ["concerns"]}, "'concerns' is not a visit rule or step",
                     id="an unknown working_days name is refused"),
        pytest.param({"working_days": ["annual"]}, "'annual' is counted in months",
                     id="annual cannot count working days"),
        pytest.param({"concern_within_days": -1}, "greater than or equal to 0", id="negative days are refused"),
        pytest.param({"annual_every_months": 0}, "greater than or equal to 1", id="an annual visit every 0 months"),
        pytest.param({"confirm_days_before": 400}, "less than or equal to 90", id="confirming over 90 days ahead"),
        pytest.param({"chain": {"sqao_returns_days": -7}}, "greater than or equal to 0",
                     id="a negative step is refused"),
        pytest.param({"chain": {"upload_days": 3}}, "Extra inputs are not permitted", id="an unknown step key"),
        pytest.param({"good_rating_within_days": 14}, "Extra inputs are not permitted", id="an unknown rule key"),
    ],
)
def test_a_bad_visits_table_is_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Visits.model_validate(settings)


def test_a_misspelt_visits_key_names_its_line_in_the_policy_file(tmp_path) -> None:
    text = default_policy_path().read_text(encoding="utf-8") + "\n[visits]\nconfrim_days_before = 10\n"
    path = tmp_path / "council.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    line = len(text.splitlines())
    assert str(raised.value) == (
        f"{path}: line {line}: visits.confrim_days_before: unknown key; did you mean 'confirm_days_before'?"
    )


def test_a_visits_table_in_the_policy_file_is_read(tmp_path) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    text += (
        '\n[visits]\nconcern_within_days = 5\nworking_days = ["concern", "uploaded"]\n'
        "[visits.chain]\nuploaded_days = 10\n"
    )
    path = tmp_path / "council.toml"
    path.write_text(text, encoding="utf-8")
    visits = load_policy(path).visits
    assert (visits.concern_within_days, visits.chain.uploaded_days) == (5, 10)
    assert visits.in_working_days("concern") and visits.in_working_days(Step.UPLOADED)
    assert not visits.in_working_days("initial")


# A commented-out table header or `key = value` line, as opposed to a comment in words.
SETTING_LINE = re.compile(r"# (\[[a-z_.]+\]|[a-z0-9_]+ = .*)")


@pytest.mark.parametrize("name", ["default.toml", "delegated_limits.toml"])
def test_each_shipped_policy_loads_with_the_seed_defaults_and_shows_them_commented(name: str) -> None:
    path = default_policy_path().parent / name
    assert load_policy(path).visits == Visits()
    # Uncommenting the shipped [visits] section gives exactly the defaults, so the comments are true.
    text = path.read_text(encoding="utf-8")
    section = text[text.index("# [visits]"):]
    settings = [line.removeprefix("# ") for line in section.splitlines() if SETTING_LINE.fullmatch(line)]
    uncommented = "\n".join(settings)
    data = tomllib.loads(text[: text.index("# [visits]")] + uncommented)
    assert set(data["visits"]) == set(Visits.model_fields)
    assert set(data["visits"]["chain"]) == set(VisitChain.model_fields)
    assert Policy.model_validate(data).visits == Visits()
