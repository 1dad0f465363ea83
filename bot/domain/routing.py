"""Where a submitted funding request goes, and why: `route_case(policy, request) -> Route`.

Pure: no Slack, no database, no clock. Every number comes from the council's policy (DESIGN.md §2,
seeds 000, 001 and 003). The rules, first match wins:

1. urgent → an operations manager decides now; the next panel endorses (seed 000);
2. a children's SEND request of a type the SEND panel hears → SEND Quality Assurance Panel (seed 000);
3. a panel trigger → the service's panel (the Enhanced Peer Forum for adults, seed 003):
   a residential placement; respite over the weeks limit; a new package, increase or direct
   payment whose weekly cost is over the threshold;
4. a decrease → delegated sign-off: it lowers a package that was already agreed;
5. within the RAS indicative budget plus tolerance, and within a role's delegated yearly limit
   where the policy sets limits → delegated sign-off by the team manager (seed 001);
6. anything else is an exception → the service's panel (see `_delegation`).

Comparisons are exact at the boundaries: "over" means strictly greater, so exactly £350.00 a week
is not over a £350.00 threshold, and exactly the RAS plus tolerance is within it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the policy module imports RequestType from here
    from bot.policy import Policy

__all__ = [
    "FOLLOW_ON_LABELS",
    "REQUEST_TYPE_LABELS",
    "ROUTE_LABELS",
    "SERVICE_LABELS",
    "CaseRequest",
    "FollowOn",
    "RequestType",
    "Route",
    "RouteKind",
    "Service",
    "describe_examples",
    "describe_request",
    "describe_route",
    "example_requests",
    "route_case",
]


class Service(StrEnum):
    ADULTS = "adults"
    CHILDREN_SEND = "children_send"


class RequestType(StrEnum):
    NEW_PACKAGE = "new_package"
    INCREASE = "increase"
    DECREASE = "decrease"
    RESIDENTIAL_PLACEMENT = "residential_placement"
    RESPITE = "respite"
    DIRECT_PAYMENT = "direct_payment"


class RouteKind(StrEnum):
    DELEGATED = "delegated"
    FORUM = "forum"
    SEND_PANEL = "send_panel"
    URGENT = "urgent"


class FollowOn(StrEnum):
    """A panel step still needed after the decision (DESIGN.md §2)."""

    ENDORSEMENT = "endorsement"  # of an urgent decision taken out of panel
    RATIFICATION = "ratification"  # of a change, up or down, to an existing package


SERVICE_LABELS = {Service.ADULTS: "adults", Service.CHILDREN_SEND: "children's SEND"}

REQUEST_TYPE_LABELS = {
    RequestType.NEW_PACKAGE: "new package",
    RequestType.INCREASE: "increase",
    RequestType.DECREASE: "decrease",
    RequestType.RESIDENTIAL_PLACEMENT: "residential placement",
    RequestType.RESPITE: "respite",
    RequestType.DIRECT_PAYMENT: "direct payment",
}

ROUTE_LABELS = {
    RouteKind.DELEGATED: "delegated sign-off",
    RouteKind.FORUM: "Enhanced Peer Forum",
    RouteKind.SEND_PANEL: "SEND Quality Assurance Panel",
    RouteKind.URGENT: "urgent decision out of panel",
}

FOLLOW_ON_LABELS = {FollowOn.ENDORSEMENT: "endorsement", FollowOn.RATIFICATION: "ratification"}

CHANGES = frozenset({RequestType.INCREASE, RequestType.DECREASE})


@dataclass(frozen=True)
class CaseRequest:
    """What the practitioner asks for. Amounts are pounds; weekly amounts are the whole package.

    `proposed_weekly` is the weekly cost asked for (after the change, for an increase or decrease);
    `current_weekly` is what the existing package costs now; `ras_weekly` is the Resource
    Allocation System's indicative weekly budget. Enum fields also accept their string values.
    Raises ValueError for a negative amount, a respite request without its weeks, or an increase
    (decrease) that is not above (below) the current cost.
    """

    service: Service
    request_type: RequestType
    proposed_weekly: Decimal
    ras_weekly: Decimal | None = None
    current_weekly: Decimal | None = None
    hours_per_month: Decimal | None = None
    respite_weeks_per_year: Decimal | None = None
    urgent: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "service", Service(self.service))
        object.__setattr__(self, "request_type", RequestType(self.request_type))
        for name in ("proposed_weekly", "ras_weekly", "current_weekly", "hours_per_month", "respite_weeks_per_year"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
        if self.request_type is RequestType.RESPITE and self.respite_weeks_per_year is None:
            raise ValueError("a respite request needs respite_weeks_per_year")
        if self.current_weekly is not None:
            if self.request_type is RequestType.INCREASE and self.proposed_weekly <= self.current_weekly:
                raise ValueError("an increase must propose more than the current weekly cost")
            if self.request_type is RequestType.DECREASE and self.proposed_weekly >= self.current_weekly:
                raise ValueError("a decrease must propose less than the current weekly cost")

    @property
    def is_change(self) -> bool:
        return self.request_type in CHANGES


@dataclass(frozen=True)
class Route:
    """Who decides a case, why, and what follows.

    `reasons` say in words why, with the amounts compared. `then` lists the panel steps still
    needed after the decision (`FollowOn` values) and `then_at` the panel that takes them.
    `attendance`, `practitioner_must_attend` and `evidence` are about this route's own decision.
    `decider_role` is the policy role that decides a delegated or urgent case; None for a panel,
    whose chairs the policy names.
    """

    kind: RouteKind
    reasons: tuple[str, ...]
    then: tuple[str, ...] = ()
    then_at: RouteKind | None = None
    practitioner_must_attend: bool = False
    attendance: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    decider_role: str | None = None

    @property
    def label(self) -> str:
        return ROUTE_LABELS[self.kind]


def route_case(policy: Policy, request: CaseRequest) -> Route:
    """Route `request` under `policy`. Pure; the same inputs always give the same route."""
    rules = policy.routing
    if request.urgent and rules.urgent_out_of_panel:
        return _urgent(policy, request)
    if request.service is Service.CHILDREN_SEND and request.request_type in rules.send_panel_request_types:
        reason = (
            f"a children's SEND {REQUEST_TYPE_LABELS[request.request_type]} of {_weekly(request.proposed_weekly)} "
            f"goes to the {ROUTE_LABELS[RouteKind.SEND_PANEL]}"
        )
        return _panel(policy, request, RouteKind.SEND_PANEL, [reason, *_context(request)])
    over, not_over = _panel_triggers(policy, request)
    if over:
        return _panel(policy, request, _service_panel(request), [*over, *_context(request)])
    if request.request_type is RequestType.DECREASE:
        # A decrease spends less than a package someone already approved, so the team manager can
        # sign it off whatever the RAS says; a change still goes for ratification if the policy asks.
        current = request.current_weekly
        was = f" from {_weekly(current)}" if current is not None else ""
        reason = f"a decrease{was} to {_weekly(request.proposed_weekly)} lowers a package already agreed"
        return _delegated(policy, request, [reason, *not_over], policy.delegated.role)
    within, reasons, role = _delegation(policy, request)
    if within:
        return _delegated(policy, request, [*not_over, *reasons, *_change(request)], role)
    return _panel(policy, request, _service_panel(request), [*not_over, *reasons, *_change(request)])


def _service_panel(request: CaseRequest) -> RouteKind:
    """The panel that hears this service's exceptions and follow-on steps."""
    return RouteKind.SEND_PANEL if request.service is Service.CHILDREN_SEND else RouteKind.FORUM


def _panel_triggers(policy: Policy, request: CaseRequest) -> tuple[list[str], list[str]]:
    """(reasons the case must go to panel, reasons a rule that applies did not send it there)."""
    rules = policy.routing
    over: list[str] = []
    not_over: list[str] = []
    if request.request_type is RequestType.RESIDENTIAL_PLACEMENT and rules.residential_to_forum:
        panel = ROUTE_LABELS[_service_panel(request)]
        over.append(f"a residential placement ({_weekly(request.proposed_weekly)}) always goes to the {panel}")
    weeks_limit = rules.forum_respite_weeks_threshold
    if weeks_limit is not None and request.respite_weeks_per_year is not None:
        weeks = request.respite_weeks_per_year
        is_over = weeks > weeks_limit
        (over if is_over else not_over).append(
            f"{_count(weeks, 'week')} of respite a year is {'over' if is_over else 'not over'} "
            f"the limit of {_count(weeks_limit, 'week')}"
        )
    threshold = rules.forum_weekly_threshold
    if threshold is not None and request.request_type in rules.forum_threshold_request_types:
        is_over = request.proposed_weekly > threshold
        (over if is_over else not_over).append(
            f"{_weekly(request.proposed_weekly)} is {'over' if is_over else 'not over'} "
            f"the {_money(threshold)} threshold"
        )
    return over, not_over


def _delegation(policy: Policy, request: CaseRequest) -> tuple[bool, list[str], str]:
    """(may it be signed off by delegation, why, which role signs it off).

    A case over the RAS indicative budget by more than the tolerance, or over every delegated
    limit, is not one a team manager may sign off: seed 001 keeps panels "for exceptional
    circumstances", and the service's panel (the forum for adults, which sits daily) is where an
    exception is heard. The same goes for a case with no RAS figure to compare against.
    """
    rules = policy.routing
    proposed = request.proposed_weekly
    within = True
    reasons: list[str] = []
    role = policy.delegated.role

    if rules.delegate_within_ras:
        if request.ras_weekly is None:
            within = False
            reasons.append(
                f"no RAS indicative budget was given, so {_weekly(proposed)} cannot be shown to be within it"
            )
        else:
            ras = request.ras_weekly
            tolerance = _tolerance(policy, ras)
            ceiling = ras + tolerance
            if proposed <= ceiling:
                extra = f" plus the {_weekly(tolerance)} tolerance (up to {_weekly(ceiling)})" if tolerance else ""
                reasons.append(f"{_weekly(proposed)} is within the RAS indicative budget of {_weekly(ras)}{extra}")
            else:
                within = False
                if tolerance:
                    reasons.append(
                        f"{_weekly(proposed)} is over the RAS indicative budget of {_weekly(ras)} by more than "
                        f"the {_weekly(tolerance)} tolerance (up to {_weekly(ceiling)} can be signed off)"
                    )
                else:
                    reasons.append(f"{_weekly(proposed)} is over the RAS indicative budget of {_weekly(ras)}")

    if rules.delegated_limits:
        weeks = rules.weeks_per_year
        yearly = proposed * weeks
        cost = f"{_weekly(proposed)} is {_money(yearly)} a year ({weeks} weeks)"
        covering = [limit for limit in rules.delegated_limits if yearly <= limit.max_yearly]
        if covering:
            limit = covering[0]  # the lowest limit that covers it: the most junior role may sign
            role = limit.role
            reasons.append(f"{cost}, within the {_money(limit.max_yearly)} a year limit for {_role_words(role)}")
        else:
            within = False
            top = rules.delegated_limits[-1]
            reasons.append(
                f"{cost}, over the highest delegated limit, {_money(top.max_yearly)} a year for {_role_words(top.role)}"
            )

    if not rules.delegate_within_ras and not rules.delegated_limits:
        within = False
        reasons.append("this policy delegates no sign-off, so every case goes to panel")
    return within, reasons, role


def _tolerance(policy: Policy, ras: Decimal) -> Decimal:
    """How far over the RAS a delegated sign-off may go, in pounds a week.

    With both a percentage and a weekly amount set, the smaller applies ("whichever is less"):
    a delegation limit should never be looser than either figure the council wrote down. The
    percentage is rounded down to the penny so the figure shown is the figure used.
    """
    rules = policy.routing
    allowances = []
    if rules.ras_tolerance_percent is not None:
        allowances.append((ras * rules.ras_tolerance_percent / 100).quantize(Decimal("0.01"), ROUND_DOWN))
    if rules.ras_tolerance_weekly is not None:
        allowances.append(rules.ras_tolerance_weekly)
    return min(allowances, default=Decimal(0))


def _urgent(policy: Policy, request: CaseRequest) -> Route:
    panel = _service_panel(request)
    then = [FollowOn.ENDORSEMENT]
    if request.is_change and policy.routing.ratify_changes:
        then.append(FollowOn.RATIFICATION)
    reasons = [f"marked urgent, so {_role_words(policy.urgent.role)} decide it now, out of panel", *_context(request)]
    return Route(
        kind=RouteKind.URGENT,
        reasons=tuple(reasons),
        then=tuple(then),
        then_at=panel,
        evidence=policy.urgent.evidence,
        decider_role=policy.urgent.role,
    )


def _delegated(policy: Policy, request: CaseRequest, reasons: Sequence[str], role: str) -> Route:
    ratify = request.is_change and policy.routing.ratify_changes
    return Route(
        kind=RouteKind.DELEGATED,
        reasons=(*reasons, f"signed off by {_role_words(role)}"),
        then=(FollowOn.RATIFICATION,) if ratify else (),
        then_at=_service_panel(request) if ratify else None,
        evidence=policy.delegated.evidence,
        decider_role=role,
    )


def _panel(policy: Policy, request: CaseRequest, kind: RouteKind, reasons: Sequence[str]) -> Route:
    """A route to the forum or the SEND panel. A change heard there is ratified by that hearing,
    so no ratification follows it."""
    reasons = list(reasons)
    if request.is_change and policy.routing.ratify_changes:
        reasons.append("the panel's decision ratifies the change")
    if kind is RouteKind.FORUM:
        return Route(
            kind=kind,
            reasons=tuple(reasons),
            attendance=policy.forum.attendance,
            evidence=policy.forum.evidence,
        )
    must_attend = False
    hours_limit = policy.send_panel.practitioner_attends_over_hours_per_month
    if request.hours_per_month is not None:
        must_attend = request.hours_per_month > hours_limit
        reasons.append(
            f"{_count(request.hours_per_month, 'hour')} a month is "
            + (
                f"over {_count(hours_limit, 'hour')}: the practitioner must attend the panel"
                if must_attend
                else f"not over {_count(hours_limit, 'hour')}, so the practitioner need not attend"
            )
        )
    return Route(
        kind=kind,
        reasons=tuple(reasons),
        practitioner_must_attend=must_attend,
        attendance=("the practitioner attends the panel",) if must_attend else (),
        evidence=policy.send_panel.evidence,
    )


def _context(request: CaseRequest) -> list[str]:
    """The figures a decider wants beside any reason: the RAS, and what a change changes from."""
    context = [] if request.ras_weekly is None else [f"RAS {_weekly(request.ras_weekly)}"]
    return [*context, *_change(request)]


def _change(request: CaseRequest) -> list[str]:
    if request.request_type is RequestType.INCREASE and request.current_weekly is not None:
        return [f"an increase from {_weekly(request.current_weekly)}"]
    return []


# --- Words ------------------------------------------------------------------------------------------


def _money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def _weekly(amount: Decimal) -> str:
    return f"{_money(amount)}/wk"


def _count(amount: Decimal, unit: str) -> str:
    number = f"{amount.normalize():f}"
    return f"{number} {unit}" if amount == 1 else f"{number} {unit}s"


def _role_words(role: str) -> str:
    return role.replace("_", " ")


def describe_request(request: CaseRequest) -> str:
    """One plain line, e.g. "new package, adults, £412.00/wk (RAS £298.00/wk)"."""
    text = f"{REQUEST_TYPE_LABELS[request.request_type]}, {SERVICE_LABELS[request.service]}, "
    text = ("urgent " if request.urgent else "") + text + _weekly(request.proposed_weekly)
    if request.current_weekly is not None:
        text += f" from {_weekly(request.current_weekly)}"
    if request.ras_weekly is not None:
        text += f" (RAS {_weekly(request.ras_weekly)})"
    if request.respite_weeks_per_year is not None:
        text += f", {_count(request.respite_weeks_per_year, 'week')} of respite a year"
    if request.hours_per_month is not None:
        text += f", {_count(request.hours_per_month, 'hour')} a month"
    return text


def describe_route(route: Route) -> str:
    """One plain line: "<route>: <reasons>[; then <steps> at the next <panel>]"."""
    text = f"{route.label}: {'; '.join(route.reasons)}"
    if route.then and route.then_at is not None:
        text += f"; then {' and '.join(route.then)} at the next {ROUTE_LABELS[route.then_at]}"
    return text


def example_requests(policy: Policy) -> list[CaseRequest]:
    """A handful of cases that show each route and each boundary of `policy`."""
    rules = policy.routing
    adults, children = Service.ADULTS, Service.CHILDREN_SEND
    kind = RequestType
    penny = Decimal("0.01")
    examples = [
        CaseRequest(adults, kind.NEW_PACKAGE, Decimal("280.00"), ras_weekly=Decimal("298.00")),
        CaseRequest(adults, kind.NEW_PACKAGE, Decimal("412.00"), ras_weekly=Decimal("298.00")),
    ]
    if (threshold := rules.forum_weekly_threshold) is not None:
        examples += [
            CaseRequest(adults, kind.NEW_PACKAGE, threshold, ras_weekly=threshold),
            CaseRequest(adults, kind.NEW_PACKAGE, threshold + penny, ras_weekly=threshold),
        ]
    if rules.delegate_within_ras:
        ras = Decimal("300.00")
        ceiling = ras + _tolerance(policy, ras)
        examples += [
            CaseRequest(adults, kind.NEW_PACKAGE, ceiling, ras_weekly=ras),
            CaseRequest(adults, kind.NEW_PACKAGE, ceiling + penny, ras_weekly=ras),
        ]
    for limit in rules.delegated_limits:
        # The most a week can cost and stay within the yearly limit, and a penny more.
        top = (limit.max_yearly / rules.weeks_per_year).quantize(penny, ROUND_DOWN)
        examples += [
            CaseRequest(adults, kind.NEW_PACKAGE, top),
            CaseRequest(adults, kind.NEW_PACKAGE, top + penny),
        ]
    if (weeks := rules.forum_respite_weeks_threshold) is not None:
        examples += [
            CaseRequest(
                adults, kind.RESPITE, Decimal("120.00"), ras_weekly=Decimal("150.00"), respite_weeks_per_year=weeks
            ),
            CaseRequest(
                adults,
                kind.RESPITE,
                Decimal("120.00"),
                ras_weekly=Decimal("150.00"),
                respite_weeks_per_year=weeks + Decimal("0.5"),
            ),
        ]
    hours = policy.send_panel.practitioner_attends_over_hours_per_month
    examples += [
        CaseRequest(adults, kind.RESIDENTIAL_PLACEMENT, Decimal("950.00"), ras_weekly=Decimal("700.00")),
        CaseRequest(
            children, kind.DIRECT_PAYMENT, Decimal("250.00"), ras_weekly=Decimal("250.00"), hours_per_month=hours
        ),
        CaseRequest(
            children,
            kind.DIRECT_PAYMENT,
            Decimal("310.00"),
            ras_weekly=Decimal("300.00"),
            hours_per_month=hours + Decimal("0.5"),
        ),
        CaseRequest(
            adults, kind.INCREASE, Decimal("280.00"), ras_weekly=Decimal("300.00"), current_weekly=Decimal("240.00")
        ),
        CaseRequest(adults, kind.DECREASE, Decimal("200.00"), current_weekly=Decimal("260.00")),
        CaseRequest(adults, kind.NEW_PACKAGE, Decimal("500.00"), ras_weekly=Decimal("450.00"), urgent=True),
    ]
    return examples


def describe_examples(policy: Policy) -> list[str]:
    """Each example case and its route under `policy`, one plain line each ("… → …").

    This is what `panelbot policy check FILE` prints, so a council can read its rules back.
    """
    return [
        f"{describe_request(request)} → {describe_route(route_case(policy, request))}"
        for request in example_requests(policy)
    ]
