"""Routing a submitted case: every rule of the shipped policies, every boundary, reasons that carry the
amounts, and the tiers of a person body."""

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.domain.bodies import BodyKind
from bot.domain.routing import (
    CaseRequest,
    FollowOn,
    RequestType,
    Route,
    Service,
    covering_tiers,
    deciding_tier,
    describe_examples,
    describe_request,
    describe_route,
    route_case,
)
from bot.policy import Policy, default_policy_path, load_policy

DEFAULT_PATH = default_policy_path()
LIMITS_PATH = DEFAULT_PATH.parent / "delegated_limits.toml"


def data_of(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def variant(path: Path, **routing: object) -> Policy:
    """A shipped policy with some [routing] keys changed."""
    data = data_of(path)
    data["routing"].update(routing)
    return Policy.model_validate(data)


DEFAULT = load_policy(DEFAULT_PATH)
LIMITS = load_policy(LIMITS_PATH)
TEN_PERCENT = variant(DEFAULT_PATH, ras_tolerance_percent=10)
SEVEN_AND_A_HALF_PERCENT = variant(DEFAULT_PATH, ras_tolerance_percent=7.5)
TWENTY_FIVE_POUNDS = variant(DEFAULT_PATH, ras_tolerance_weekly=25)
PERCENT_AND_POUNDS = variant(DEFAULT_PATH, ras_tolerance_percent=10, ras_tolerance_weekly=25)


def _tiers(*tiers: dict[str, object]) -> Policy:
    data = data_of(LIMITS_PATH)
    data["bodies"]["delegated"]["tiers"] = list(tiers)
    data["roles"]["heads_of_service"] = ["U0HEADSVC1"]
    return Policy.model_validate(data)


# £950.00/wk × 52 is exactly £49,400.00, so this limit can be met to the penny (£49,000 cannot).
LIMIT_49400 = _tiers({"role": "team_managers", "max_yearly": 49400})
TWO_TIERS = _tiers({"role": "heads_of_service", "max_yearly": 75000}, {"role": "team_managers", "max_yearly": 49000})
WEEKLY_TIER = _tiers({"role": "team_managers", "max_weekly": 500, "max_yearly": 20000})

ADULTS, CHILDREN = Service.ADULTS, Service.CHILDREN_SEND
NEW, INCREASE, DECREASE = RequestType.NEW_PACKAGE, RequestType.INCREASE, RequestType.DECREASE
RESIDENTIAL, RESPITE, DP = RequestType.RESIDENTIAL_PLACEMENT, RequestType.RESPITE, RequestType.DIRECT_PAYMENT
DELEGATED, FORUM, SEND_PANEL, URGENT, SEND_URGENT = "delegated", "forum", "send_panel", "urgent", "send_urgent"
RATIFY, ENDORSE = FollowOn.RATIFICATION, FollowOn.ENDORSEMENT


def case(
    service: Service, kind: RequestType, weekly: str, *, urgent: bool = False, **amounts: str | int
) -> CaseRequest:
    """A request with its amounts written as text, e.g. case(ADULTS, NEW, "412.00", ras_weekly="298.00")."""
    decimals = {name: Decimal(str(value)) for name, value in amounts.items()}
    return CaseRequest(service, kind, Decimal(weekly), urgent=urgent, **decimals)


ROUTES = [
    # --- The Enhanced Peer Forum's weekly threshold (seed 003) ---
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "412.00", ras_weekly="298.00"), FORUM, (),
        ["£412.00/wk is over the £350.00 threshold", "RAS £298.00/wk"],
        id="a new adults package over 350 a week goes to the forum, saying the amounts compared",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "350.00", ras_weekly="350.00"), DELEGATED, (),
        ["£350.00/wk is not over the £350.00 threshold", "within the RAS indicative budget of £350.00/wk"],
        id="exactly 350.00 a week is not over the threshold, so within the RAS it is delegated",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "350.01", ras_weekly="400.00"), FORUM, (),
        ["£350.01/wk is over the £350.00 threshold", "RAS £400.00/wk"],
        id="350.01 a week is over the threshold even when within the RAS",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, INCREASE, "360.00", ras_weekly="400.00", current_weekly="300.00"), FORUM, (),
        ["£360.00/wk is over the £350.00 threshold", "an increase from £300.00/wk to £360.00/wk"],
        id="an increase taking the budget over the threshold goes to the forum",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, DP, "375.00", ras_weekly="375.00"), FORUM, (),
        ["£375.00/wk is over the £350.00 threshold"],
        id="an adults direct payment over the threshold goes to the forum",
    ),
    # --- Residential and respite (seed 003) ---
    pytest.param(
        DEFAULT, case(ADULTS, RESIDENTIAL, "300.00", ras_weekly="400.00"), FORUM, (),
        ["a residential placement of £300.00/wk goes to the Enhanced Peer Forum"],
        id="a residential placement goes to the forum whatever it costs",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, RESPITE, "120.00", ras_weekly="150.00", respite_weeks_per_year=4), DELEGATED, (),
        ["4 weeks of respite a year is not over the limit of 4 weeks", "within the RAS"],
        id="exactly 4 weeks of respite a year is not over the limit and is delegated",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, RESPITE, "120.00", ras_weekly="150.00", respite_weeks_per_year="4.5"), FORUM, (),
        ["4.5 weeks of respite a year is over the limit of 4 weeks", "RAS £150.00/wk"],
        id="4.5 weeks of respite a year goes to the forum",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "200.00", ras_weekly="250.00", respite_weeks_per_year=6), FORUM, (),
        ["6 weeks of respite a year is over the limit of 4 weeks"],
        id="a new package that includes 6 weeks of respite a year goes to the forum",
    ),
    # --- Delegated sign-off within the RAS (seed 001) ---
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "280.00", ras_weekly="298.00"), DELEGATED, (),
        ["£280.00/wk is within the RAS indicative budget of £298.00/wk", "decided by team managers"],
        id="a new package within the RAS and under the threshold is signed off by a team manager",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "300.01", ras_weekly="300.00"), FORUM, (),
        ["£300.01/wk is over the RAS indicative budget of £300.00/wk", "not over the £350.00 threshold",
         "no other rule applies, so it goes to the Enhanced Peer Forum"],
        id="a penny over the RAS with no tolerance is an exception for the default body, the forum",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "200.00"), FORUM, (),
        ["no RAS indicative budget was given"],
        id="a case without a RAS figure cannot be shown to be within it and goes to the forum",
    ),
    pytest.param(
        TEN_PERCENT, case(ADULTS, NEW, "330.00", ras_weekly="300.00"), DELEGATED, (),
        ["within the RAS indicative budget of £300.00/wk plus the £30.00/wk tolerance (up to £330.00/wk)"],
        id="exactly at the RAS plus a 10 percent tolerance is within it",
    ),
    pytest.param(
        TEN_PERCENT, case(ADULTS, NEW, "330.01", ras_weekly="300.00"), FORUM, (),
        ["£330.01/wk is over the RAS indicative budget of £300.00/wk by more than the £30.00/wk tolerance"],
        id="a penny over the RAS plus a 10 percent tolerance goes to the forum",
    ),
    pytest.param(
        TWENTY_FIVE_POUNDS, case(ADULTS, NEW, "325.00", ras_weekly="300.00"), DELEGATED, (),
        ["plus the £25.00/wk tolerance (up to £325.00/wk)"],
        id="exactly at the RAS plus a 25 pound tolerance is within it",
    ),
    pytest.param(
        TWENTY_FIVE_POUNDS, case(ADULTS, NEW, "325.01", ras_weekly="300.00"), FORUM, (),
        ["by more than the £25.00/wk tolerance"],
        id="a penny over the RAS plus a 25 pound tolerance goes to the forum",
    ),
    pytest.param(
        PERCENT_AND_POUNDS, case(ADULTS, NEW, "325.01", ras_weekly="300.00"), FORUM, (),
        ["by more than the £25.00/wk tolerance"],
        id="with a percentage and a weekly tolerance the smaller applies",
    ),
    pytest.param(
        SEVEN_AND_A_HALF_PERCENT, case(ADULTS, NEW, "320.70", ras_weekly="298.33"), DELEGATED, (),
        ["plus the £22.37/wk tolerance (up to £320.70/wk)"],
        id="a percentage tolerance is rounded down to the penny and the rounded figure is used",
    ),
    pytest.param(
        SEVEN_AND_A_HALF_PERCENT, case(ADULTS, NEW, "320.71", ras_weekly="298.33"), FORUM, (),
        ["by more than the £22.37/wk tolerance"],
        id="a penny over a rounded percentage tolerance goes to the forum",
    ),
    # --- Changes to an existing package: adults' need no ratification (seed 001) ---
    pytest.param(
        DEFAULT, case(ADULTS, INCREASE, "280.00", ras_weekly="300.00", current_weekly="240.00"), DELEGATED, (),
        ["an increase from £240.00/wk", "within the RAS indicative budget of £300.00/wk"],
        id="an adults increase within the RAS is delegated with nothing to follow",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, DECREASE, "200.00", current_weekly="260.00"), DELEGATED, (),
        ["a decrease from £260.00/wk to £200.00/wk", "decided by team managers"],
        id="a decrease is delegated",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, DECREASE, "500.00", ras_weekly="300.00", current_weekly="600.00"), DELEGATED, (),
        ["a decrease from £600.00/wk to £500.00/wk"],
        id="a decrease still above the RAS and the threshold is delegated because it lowers an agreed package",
    ),
    # --- The SEND Quality Assurance Panel (seed 000) ---
    pytest.param(
        DEFAULT, case(CHILDREN, DP, "250.00", ras_weekly="250.00", hours_per_month=40), SEND_PANEL, (),
        ["a children's SEND case of £250.00/wk goes to the SEND Quality Assurance Panel",
         "40 hours a month is not over 40 hours, so the practitioner need not attend"],
        id="a children's SEND direct payment of exactly 40 hours a month goes to panel without the practitioner",
    ),
    pytest.param(
        DEFAULT, case(CHILDREN, DP, "310.00", ras_weekly="300.00", hours_per_month="40.5"), SEND_PANEL, (),
        ["40.5 hours a month is over 40 hours: the practitioner must attend the SEND Quality Assurance Panel",
         "RAS £300.00/wk"],
        id="over 40 hours a month the practitioner must attend the SEND panel",
    ),
    pytest.param(
        DEFAULT, case(CHILDREN, DP, "500.00", ras_weekly="500.00"), SEND_PANEL, (),
        ["of £500.00/wk goes to the SEND Quality Assurance Panel"],
        id="a children's SEND direct payment over 350 a week goes to the SEND panel, not the adults forum",
    ),
    pytest.param(
        DEFAULT, case(CHILDREN, INCREASE, "300.00", ras_weekly="300.00", current_weekly="250.00"), SEND_PANEL, (),
        ["an increase from £250.00/wk"],
        id="a change to a children's SEND package is decided, and so ratified, by the SEND panel itself",
    ),
    # --- Urgent decisions out of panel (seed 000) ---
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "500.00", ras_weekly="450.00", urgent=True), URGENT, (ENDORSE,),
        ["marked urgent", "decided by operations managers", "RAS £450.00/wk"],
        id="an urgent adults case is decided now by an operations manager and endorsed at the forum",
    ),
    pytest.param(
        DEFAULT, case(CHILDREN, INCREASE, "300.00", current_weekly="250.00", urgent=True), SEND_URGENT,
        (ENDORSE, RATIFY), ["marked urgent", "decided by send operations manager", "an increase from £250.00/wk"],
        id="an urgent SEND change goes to the SEND operations manager, then is endorsed and ratified at panel",
    ),
    # --- Delegated limits by role, and tiers ---
    pytest.param(
        LIMITS, case(ADULTS, NEW, "942.30"), DELEGATED, (),
        ["£48,999.60 a year (52 weeks): within the £49,000.00 a year limit for team managers"],
        id="the most a week can cost within a 49000 a year limit is signed off by a team manager",
    ),
    pytest.param(
        LIMITS, case(ADULTS, NEW, "942.31"), FORUM, (),
        ["£49,000.12 a year (52 weeks) is over the highest limit for delegated sign-off, £49,000.00 a year for "
         "team managers"],
        id="a penny a week more is over the 49000 a year limit and goes beyond the limits, to the forum",
    ),
    pytest.param(
        LIMIT_49400, case(ADULTS, NEW, "950.00"), DELEGATED, (),
        ["£49,400.00 a year (52 weeks): within the £49,400.00 a year limit"],
        id="a yearly cost exactly at the delegated limit is within it",
    ),
    pytest.param(
        LIMIT_49400, case(ADULTS, NEW, "950.01"), FORUM, (),
        ["£49,400.52 a year (52 weeks) is over the highest limit"],
        id="a yearly cost over the delegated limit goes to the forum",
    ),
    pytest.param(
        LIMITS, case(ADULTS, NEW, "412.00", ras_weekly="298.00"), DELEGATED, (),
        ["£21,424.00 a year"],
        id="with delegated limits and no weekly threshold 412 a week over the RAS is delegated",
    ),
    pytest.param(
        LIMITS, case(ADULTS, RESIDENTIAL, "300.00"), FORUM, (),
        ["goes to the Enhanced Peer Forum"],
        id="with delegated limits a residential placement still goes to the forum",
    ),
    pytest.param(
        TWO_TIERS, case(ADULTS, NEW, "1000.00"), DELEGATED, (),
        ["£52,000.00 a year (52 weeks): within the £75,000.00 a year limit for heads of service"],
        id="a case over the team manager's limit goes to the next tier whose limit covers it",
    ),
    pytest.param(
        TWO_TIERS, case(ADULTS, NEW, "1442.31"), FORUM, (),
        ["over the highest limit for delegated sign-off, £75,000.00 a year for heads of service"],
        id="a case over every tier goes beyond the limits",
    ),
    pytest.param(
        WEEKLY_TIER, case(ADULTS, NEW, "384.62"), FORUM, (),
        ["£20,000.24 a year (52 weeks) is over the highest limit"],
        id="a tier with a weekly and a yearly limit must be within both",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "request_", "body", "then", "in_reasons"), ROUTES)
def test_route(policy: Policy, request_: CaseRequest, body: str, then: tuple, in_reasons: list[str]) -> None:
    route = route_case(policy, request_)
    said = "; ".join(route.reasons)
    assert (route.body, route.then) == (body, then), said
    for words in in_reasons:
        assert words in said


def test_a_meeting_route_says_who_attends_and_what_evidence_to_bring() -> None:
    route = route_case(DEFAULT, case(ADULTS, NEW, "412.00", ras_weekly="298.00"))
    assert (route.kind, route.name) == (BodyKind.MEETING, "Enhanced Peer Forum")
    assert route.attendance == ("an advanced practitioner or service manager attends with the worker",)
    assert route.evidence == DEFAULT.bodies["forum"].evidence
    assert route.tier is None
    assert not route.practitioner_must_attend


def test_person_routes_name_the_tier_and_the_body_that_follows() -> None:
    route = route_case(DEFAULT, case(CHILDREN, DECREASE, "100.00", current_weekly="150.00", urgent=True))
    assert (route.body, route.then_at, route.tier) == (SEND_URGENT, SEND_PANEL, "send_operations_manager")
    route = route_case(DEFAULT, case(ADULTS, NEW, "500.00", urgent=True))
    assert (route.body, route.then_at, route.tier) == (URGENT, FORUM, "operations_managers")
    route = route_case(DEFAULT, case(ADULTS, INCREASE, "280.00", ras_weekly="300.00", current_weekly="240.00"))
    assert (route.then_at, route.tier) == (None, "team_managers")
    assert route.evidence == DEFAULT.bodies["delegated"].evidence


def test_the_lowest_tier_that_covers_a_case_decides_it_and_higher_tiers_may() -> None:
    body = TWO_TIERS.bodies["delegated"]
    assert [tier.role for tier in covering_tiers(body, Decimal("900.00"), 52)] == ["team_managers",
                                                                                   "heads_of_service"]
    assert deciding_tier(body, Decimal("1000.00"), 52).role == "heads_of_service"
    assert deciding_tier(body, Decimal("1442.31"), 52) is None


def test_a_panel_route_attendance_follows_the_hours() -> None:
    route = route_case(DEFAULT, case(CHILDREN, DP, "310.00", hours_per_month="40.01"))
    assert route.practitioner_must_attend
    assert route.attendance == ("the practitioner attends the SEND Quality Assurance Panel",)
    assert route.evidence == DEFAULT.bodies["send_panel"].evidence


def _without_urgent_rules() -> Policy:
    data = data_of(DEFAULT_PATH)
    data["routing"]["rules"] = [rule for rule in data["routing"]["rules"] if not rule.get("when", {}).get("urgent")]
    del data["bodies"]["urgent"], data["bodies"]["send_urgent"]
    return Policy.model_validate(data)


def test_a_council_that_hears_urgent_cases_at_panel_routes_them_as_usual() -> None:
    route = route_case(_without_urgent_rules(), case(ADULTS, NEW, "412.00", ras_weekly="298.00", urgent=True))
    assert route.body == FORUM


def test_a_rule_can_send_young_adults_residential_placements_to_a_high_cost_panel() -> None:
    data = data_of(DEFAULT_PATH)
    data["case_form"]["age_bands"] = ["0-17", "18-25", "26-64", "65+"]
    data["routing"]["rules"].insert(2, {"when": {"request_type": "residential_placement", "age_band": "18-25"},
                                        "to": "send_panel"})
    policy = Policy.model_validate(data)
    young = route_case(policy, CaseRequest(ADULTS, RESIDENTIAL, Decimal("900"), age_band="18-25"))
    older = route_case(policy, CaseRequest(ADULTS, RESIDENTIAL, Decimal("900"), age_band="26-64"))
    assert (young.body, older.body) == (SEND_PANEL, FORUM)
    assert "a residential placement of £900.00/wk, aged 18-25 goes to the SEND Quality Assurance Panel" in \
        young.reasons
    assert "age_band" in policy.facts_used()


@pytest.mark.parametrize(
    ("when", "request_", "matches"),
    [
        ({"top_up": True}, CaseRequest(ADULTS, NEW, Decimal("100"), top_up=True), True),
        ({"top_up": True}, CaseRequest(ADULTS, NEW, Decimal("100"), top_up=False), False),
        ({"yearly_over": 20000}, CaseRequest(ADULTS, NEW, Decimal("384.62")), True),
        ({"yearly_over": 20000}, CaseRequest(ADULTS, NEW, Decimal("384.61")), False),
        ({"change_weekly_over": 50}, CaseRequest(ADULTS, INCREASE, Decimal("351"), current_weekly=Decimal("300")),
         True),
        ({"change_weekly_over": 50}, CaseRequest(ADULTS, INCREASE, Decimal("350"), current_weekly=Decimal("300")),
         False),
        ({"hours_per_month_over": 40}, CaseRequest(ADULTS, NEW, Decimal("1"), hours_per_month=Decimal("40")), False),
        ({"weekly_at_most": 100}, CaseRequest(ADULTS, NEW, Decimal("100")), True),
    ],
    ids=["top-up ticked", "no top-up", "a penny over a yearly amount", "just under it", "a change over 50 a week",
         "a change of exactly 50", "exactly 40 hours", "exactly the weekly at-most"],
)
def test_each_condition_is_exact_at_its_boundary(when: dict, request_: CaseRequest, matches: bool) -> None:
    data = data_of(DEFAULT_PATH)
    data["routing"]["rules"].insert(0, {"when": when, "to": "send_panel"})
    assert (route_case(Policy.model_validate(data), request_).body == SEND_PANEL) is matches


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"proposed_weekly": Decimal("-1")}, "proposed_weekly must not be negative", id="a negative cost"),
        pytest.param({"request_type": RESPITE}, "needs respite_weeks_per_year", id="respite without its weeks"),
        pytest.param(
            {"request_type": INCREASE, "current_weekly": Decimal("300")},
            "an increase must propose more",
            id="an increase that is not above the current cost",
        ),
        pytest.param(
            {"request_type": DECREASE, "current_weekly": Decimal("200")},
            "a decrease must propose less",
            id="a decrease that is not below the current cost",
        ),
        pytest.param({"service": "elderly"}, "is not a valid Service", id="an unknown service"),
    ],
)
def test_a_case_request_refuses_impossible_input(fields: dict, message: str) -> None:
    values = {"service": ADULTS, "request_type": NEW, "proposed_weekly": Decimal("300")} | fields
    with pytest.raises(ValueError, match=message):
        CaseRequest(**values)


def test_a_case_request_accepts_the_enum_values_as_strings() -> None:
    request = CaseRequest("children_send", "direct_payment", Decimal("10"))  # type: ignore[arg-type]
    assert (request.service, request.request_type) == (CHILDREN, DP)


def test_a_request_and_a_route_read_as_one_plain_line() -> None:
    request = case(ADULTS, NEW, "412.00", ras_weekly="298.00")
    assert describe_request(request) == "new package, adults, £412.00/wk (RAS £298.00/wk)"
    assert describe_route(route_case(DEFAULT, request)) == (
        "Enhanced Peer Forum: £412.00/wk is over the £350.00 threshold; a new package of £412.00/wk goes to the "
        "Enhanced Peer Forum; RAS £298.00/wk"
    )
    urgent = Route(URGENT, BodyKind.PERSON, "urgent decision out of panel", ("marked urgent",), then=(ENDORSE,),
                   then_at=FORUM)
    assert describe_route(urgent, DEFAULT) == (
        "urgent decision out of panel: marked urgent; then endorsement at the next Enhanced Peer Forum"
    )


@pytest.mark.parametrize("policy", [DEFAULT, LIMITS], ids=["the default policy", "the delegated limits policy"])
def test_the_examples_show_every_body_one_line_each(policy: Policy) -> None:
    lines = describe_examples(policy)
    assert len(lines) >= 8
    for line in lines:
        assert "\n" not in line
        assert line.count(" → ") == 1
    text = "\n".join(lines)
    for body in policy.bodies.values():
        assert f"→ {body.name}: " in text
