"""Routing a submitted case: every route, every boundary, and reasons that carry the amounts."""

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.routing import (
    ROUTE_LABELS,
    CaseRequest,
    FollowOn,
    RequestType,
    Route,
    RouteKind,
    Service,
    describe_examples,
    describe_request,
    describe_route,
    route_case,
)
from bot.policy import Policy, default_policy_path, load_policy

LIMITS_PATH = default_policy_path().parent / "delegated_limits.toml"


def variant(path: Path, **routing: object) -> Policy:
    """A shipped policy with some [routing] keys changed."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["routing"].update(routing)
    return Policy.model_validate(data)


DEFAULT = load_policy(default_policy_path())
LIMITS = load_policy(LIMITS_PATH)
TEN_PERCENT = variant(default_policy_path(), ras_tolerance_percent=10)
SEVEN_AND_A_HALF_PERCENT = variant(default_policy_path(), ras_tolerance_percent=7.5)
TWENTY_FIVE_POUNDS = variant(default_policy_path(), ras_tolerance_weekly=25)
PERCENT_AND_POUNDS = variant(default_policy_path(), ras_tolerance_percent=10, ras_tolerance_weekly=25)
# £950.00/wk × 52 is exactly £49,400.00, so this limit can be met to the penny (£49,000 cannot).
LIMIT_49400 = variant(LIMITS_PATH, delegated_limits=[{"role": "team_managers", "max_yearly": 49400}])


def _two_tiers() -> Policy:
    data = tomllib.loads(LIMITS_PATH.read_text(encoding="utf-8"))
    data["routing"]["delegated_limits"].append({"role": "heads_of_service", "max_yearly": 75000})
    data["roles"]["heads_of_service"] = ["U0HEADSVC1"]
    return Policy.model_validate(data)


TWO_TIERS = _two_tiers()

ADULTS, CHILDREN = Service.ADULTS, Service.CHILDREN_SEND
NEW, INCREASE, DECREASE = RequestType.NEW_PACKAGE, RequestType.INCREASE, RequestType.DECREASE
RESIDENTIAL, RESPITE, DP = RequestType.RESIDENTIAL_PLACEMENT, RequestType.RESPITE, RequestType.DIRECT_PAYMENT
DELEGATED, FORUM, SEND_PANEL, URGENT = RouteKind.DELEGATED, RouteKind.FORUM, RouteKind.SEND_PANEL, RouteKind.URGENT
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
        ["£360.00/wk is over the £350.00 threshold", "an increase from £300.00/wk", "ratifies the change"],
        id="an increase taking the budget over the threshold goes to the forum, whose decision ratifies it",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, DP, "375.00", ras_weekly="375.00"), FORUM, (),
        ["£375.00/wk is over the £350.00 threshold"],
        id="an adults direct payment over the threshold goes to the forum",
    ),
    # --- Residential and respite (seed 003) ---
    pytest.param(
        DEFAULT, case(ADULTS, RESIDENTIAL, "300.00", ras_weekly="400.00"), FORUM, (),
        ["a residential placement (£300.00/wk) always goes to the Enhanced Peer Forum"],
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
        ["£280.00/wk is within the RAS indicative budget of £298.00/wk", "signed off by team managers"],
        id="a new package within the RAS and under the threshold is signed off by a team manager",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "300.01", ras_weekly="300.00"), FORUM, (),
        ["£300.01/wk is over the RAS indicative budget of £300.00/wk", "not over the £350.00 threshold"],
        id="a penny over the RAS with no tolerance is an exception for the forum",
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
    # --- Changes to an existing package (seed 000, stage 5) ---
    pytest.param(
        DEFAULT, case(ADULTS, INCREASE, "280.00", ras_weekly="300.00", current_weekly="240.00"), DELEGATED, (RATIFY,),
        ["an increase from £240.00/wk", "within the RAS indicative budget of £300.00/wk"],
        id="an increase within the RAS is delegated and then ratified at panel",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, DECREASE, "200.00", current_weekly="260.00"), DELEGATED, (RATIFY,),
        ["a decrease from £260.00/wk to £200.00/wk lowers a package already agreed"],
        id="a decrease is delegated and then ratified at panel",
    ),
    pytest.param(
        DEFAULT, case(ADULTS, DECREASE, "500.00", ras_weekly="300.00", current_weekly="600.00"), DELEGATED, (RATIFY,),
        ["a decrease from £600.00/wk to £500.00/wk"],
        id="a decrease still above the RAS and the threshold is delegated because it lowers an agreed package",
    ),
    # --- The SEND Quality Assurance Panel (seed 000) ---
    pytest.param(
        DEFAULT, case(CHILDREN, DP, "250.00", ras_weekly="250.00", hours_per_month=40), SEND_PANEL, (),
        ["a children's SEND direct payment of £250.00/wk goes to the SEND Quality Assurance Panel",
         "40 hours a month is not over 40 hours, so the practitioner need not attend"],
        id="a children's SEND direct payment of exactly 40 hours a month goes to panel without the practitioner",
    ),
    pytest.param(
        DEFAULT, case(CHILDREN, DP, "310.00", ras_weekly="300.00", hours_per_month="40.5"), SEND_PANEL, (),
        ["40.5 hours a month is over 40 hours: the practitioner must attend the panel", "RAS £300.00/wk"],
        id="over 40 hours a month the practitioner must attend the SEND panel",
    ),
    pytest.param(
        DEFAULT, case(CHILDREN, DP, "500.00", ras_weekly="500.00"), SEND_PANEL, (),
        ["of £500.00/wk goes to the SEND Quality Assurance Panel"],
        id="a children's SEND direct payment over 350 a week goes to the SEND panel, not the adults forum",
    ),
    pytest.param(
        DEFAULT, case(CHILDREN, INCREASE, "300.00", ras_weekly="300.00", current_weekly="250.00"), SEND_PANEL, (),
        ["children's SEND increase", "an increase from £250.00/wk", "the panel's decision ratifies the change"],
        id="a change to a children's SEND package is ratified by the SEND panel itself",
    ),
    # --- Urgent decisions out of panel (seed 000) ---
    pytest.param(
        DEFAULT, case(ADULTS, NEW, "500.00", ras_weekly="450.00", urgent=True), URGENT, (ENDORSE,),
        ["marked urgent, so operations managers decide it now, out of panel", "RAS £450.00/wk"],
        id="an urgent case is decided now by an operations manager and endorsed at the next panel",
    ),
    pytest.param(
        DEFAULT, case(CHILDREN, INCREASE, "300.00", current_weekly="250.00", urgent=True), URGENT, (ENDORSE, RATIFY),
        ["marked urgent", "an increase from £250.00/wk"],
        id="an urgent change is endorsed and ratified at the next panel",
    ),
    # --- Delegated limits by role ---
    pytest.param(
        LIMITS, case(ADULTS, NEW, "942.30"), DELEGATED, (),
        ["£942.30/wk is £48,999.60 a year (52 weeks), within the £49,000.00 a year limit for team managers"],
        id="the most a week can cost within a 49000 a year limit is signed off by a team manager",
    ),
    pytest.param(
        LIMITS, case(ADULTS, NEW, "942.31"), FORUM, (),
        ["£942.31/wk is £49,000.12 a year (52 weeks), over the highest delegated limit, £49,000.00 a year"],
        id="a penny a week more is over the 49000 a year limit and goes to the forum",
    ),
    pytest.param(
        LIMIT_49400, case(ADULTS, NEW, "950.00"), DELEGATED, (),
        ["£950.00/wk is £49,400.00 a year (52 weeks), within the £49,400.00 a year limit"],
        id="a yearly cost exactly at the delegated limit is within it",
    ),
    pytest.param(
        LIMIT_49400, case(ADULTS, NEW, "950.01"), FORUM, (),
        ["£49,400.52 a year (52 weeks), over the highest delegated limit"],
        id="a yearly cost over the delegated limit goes to the forum",
    ),
    pytest.param(
        LIMITS, case(ADULTS, NEW, "412.00", ras_weekly="298.00"), DELEGATED, (),
        ["£412.00/wk is £21,424.00 a year"],
        id="with delegated limits and no weekly threshold 412 a week over the RAS is delegated",
    ),
    pytest.param(
        LIMITS, case(ADULTS, INCREASE, "400.00", current_weekly="300.00"), DELEGATED, (),
        ["within the £49,000.00 a year limit"],
        id="a council that does not ratify changes delegates an increase with nothing to follow",
    ),
    pytest.param(
        LIMITS, case(ADULTS, RESIDENTIAL, "300.00"), FORUM, (),
        ["always goes to the Enhanced Peer Forum"],
        id="with delegated limits a residential placement still goes to the forum",
    ),
    pytest.param(
        TWO_TIERS, case(ADULTS, NEW, "1000.00"), DELEGATED, (),
        ["£52,000.00 a year (52 weeks), within the £75,000.00 a year limit for heads of service"],
        id="a case over the team manager's limit goes to the next role whose limit covers it",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "request_", "kind", "then", "in_reasons"), ROUTES)
def test_route(policy: Policy, request_: CaseRequest, kind: RouteKind, then: tuple, in_reasons: list[str]) -> None:
    route = route_case(policy, request_)
    said = "; ".join(route.reasons)
    assert (route.kind, route.then) == (kind, then), said
    for words in in_reasons:
        assert words in said


def test_a_forum_route_says_who_attends_and_what_evidence_to_bring() -> None:
    route = route_case(DEFAULT, case(ADULTS, NEW, "412.00", ras_weekly="298.00"))
    assert route.attendance == ("an advanced practitioner or service manager attends with the worker",)
    assert route.evidence == DEFAULT.forum.evidence
    assert "best-interest decision" in route.evidence
    assert route.decider_role is None
    assert not route.practitioner_must_attend


def test_delegated_and_urgent_routes_name_the_deciding_role_and_the_panel_that_follows() -> None:
    route = route_case(DEFAULT, case(CHILDREN, DECREASE, "100.00", current_weekly="150.00", urgent=True))
    assert (route.kind, route.then_at, route.decider_role) == (URGENT, SEND_PANEL, "operations_managers")
    route = route_case(DEFAULT, case(ADULTS, INCREASE, "280.00", ras_weekly="300.00", current_weekly="240.00"))
    assert (route.then_at, route.decider_role) == (FORUM, "team_managers")
    assert route.evidence == DEFAULT.delegated.evidence


def test_a_panel_route_has_nothing_to_follow_it() -> None:
    route = route_case(DEFAULT, case(ADULTS, NEW, "412.00", ras_weekly="298.00"))
    assert (route.then, route.then_at) == ((), None)


def test_a_send_panel_route_attendance_follows_the_hours() -> None:
    route = route_case(DEFAULT, case(CHILDREN, DP, "310.00", hours_per_month="40.01"))
    assert route.practitioner_must_attend
    assert route.attendance == ("the practitioner attends the panel",)
    assert route.evidence == DEFAULT.send_panel.evidence


def test_a_council_that_hears_urgent_cases_at_panel_routes_them_as_usual() -> None:
    policy = variant(default_policy_path(), urgent_out_of_panel=False)
    route = route_case(policy, case(ADULTS, NEW, "412.00", ras_weekly="298.00", urgent=True))
    assert route.kind is FORUM


def test_a_council_that_delegates_nothing_sends_every_case_to_panel() -> None:
    policy = variant(default_policy_path(), delegate_within_ras=False)
    route = route_case(policy, case(ADULTS, NEW, "100.00", ras_weekly="300.00"))
    assert route.kind is FORUM
    assert "this policy delegates no sign-off" in "; ".join(route.reasons)


def test_children_send_types_the_panel_does_not_hear_follow_the_general_rules_to_the_send_panel() -> None:
    policy = variant(default_policy_path(), send_panel_request_types=["direct_payment"])
    within = route_case(policy, case(CHILDREN, NEW, "200.00", ras_weekly="250.00"))
    over = route_case(policy, case(CHILDREN, NEW, "400.00", ras_weekly="450.00"))
    assert (within.kind, over.kind) == (DELEGATED, SEND_PANEL)


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
        "Enhanced Peer Forum: £412.00/wk is over the £350.00 threshold; RAS £298.00/wk"
    )
    urgent = Route(URGENT, ("marked urgent",), then=(ENDORSE,), then_at=FORUM)
    assert describe_route(urgent) == (
        "urgent decision out of panel: marked urgent; then endorsement at the next Enhanced Peer Forum"
    )


@pytest.mark.parametrize("policy", [DEFAULT, LIMITS], ids=["the default policy", "the delegated limits policy"])
def test_the_examples_show_every_route_one_line_each(policy: Policy) -> None:
    lines = describe_examples(policy)
    assert len(lines) >= 8
    for line in lines:
        assert "\n" not in line
        assert line.count(" → ") == 1
    text = "\n".join(lines)
    for label in ROUTE_LABELS.values():
        assert f"→ {label}: " in text
