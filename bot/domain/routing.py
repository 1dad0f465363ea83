"""Where a submitted funding request goes, and why: `route_case(policy, request) -> Route`.

Pure: no Slack, no database, no clock. The council's policy names its deciding bodies and an
ordered list of routing rules (DESIGN.md §2): the first rule whose conditions all hold sends the
case to its body, and a case no rule matches goes to the policy's default body. A person body's
deciders are tiers of roles with £ limits: the lowest tier whose limits cover the case decides it,
and a case over every tier goes to the body's `beyond_limits`.

The reasons are built from the conditions that matched, with the amounts compared ("£412.00/wk is
over £350.00/wk"), after the amounts that rules before it compared and found not to apply ("£280.00/wk
is not over £350.00/wk"). Comparisons are exact at the boundaries: "over" means strictly greater,
so exactly £350.00 a week is not over 350, and exactly the RAS plus tolerance is within it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.domain import words
from bot.domain.bodies import BodyKind

if TYPE_CHECKING:  # the policy module imports RequestType from here
    from bot.policy import Body, Conditions, Policy, Rule, Tier

__all__ = [
    "FOLLOW_ON_LABELS",
    "REQUEST_TYPE_LABELS",
    "SERVICE_LABELS",
    "CaseRequest",
    "FollowOn",
    "RequestType",
    "Route",
    "Service",
    "covering_tiers",
    "deciding_tier",
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


class FollowOn(StrEnum):
    """A step still needed after the decision, at another body (DESIGN.md §2)."""

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

FOLLOW_ON_LABELS = {FollowOn.ENDORSEMENT: "endorsement", FollowOn.RATIFICATION: "ratification"}

CHANGES = frozenset({RequestType.INCREASE, RequestType.DECREASE})


@dataclass(frozen=True)
class CaseRequest:
    """What the practitioner asks for. Amounts are pounds; weekly amounts are the whole package.

    `proposed_weekly` is the weekly cost asked for (after the change, for an increase or decrease);
    `current_weekly` is what the existing package costs now; `ras_weekly` is the Resource
    Allocation System's indicative weekly budget. `age_band`, `top_up` and `team` are asked only
    when the council's rules use them. Enum fields also accept their string values.
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
    age_band: str | None = None
    top_up: bool | None = None
    team: str | None = None

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
    """Which body decides a case, why, and what follows.

    `body` is the body's key in the policy and `name` the name people see. `reasons` say in words
    why, with the amounts compared. `then` lists the steps still needed after the decision
    (`FollowOn` values) and `then_at` the body that takes them. `tier` is the role whose limits
    cover the case at a person body (None at a meeting or panel, whose chairs decide).
    """

    body: str
    kind: BodyKind
    name: str
    reasons: tuple[str, ...]
    then: tuple[str, ...] = ()
    then_at: str | None = None
    practitioner_must_attend: bool = False
    attendance: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    tier: str | None = None

    @property
    def label(self) -> str:
        return self.name


def route_case(policy: Policy, request: CaseRequest) -> Route:
    """Route `request` under `policy`. Pure; the same inputs always give the same route."""
    compared: list[str] = []
    for rule in policy.routing.rules:
        matched, subject, sentences = _evaluate(policy, rule.when, request)
        if matched:
            body = policy.bodies[rule.to]
            if body.kind is BodyKind.PERSON:
                reasons = [*_unique(compared), *([subject] if subject else []), *sentences]
            else:
                reasons = [*_unique(compared), *sentences,
                           f"{subject} goes to the {body.name}" if subject else f"so it goes to the {body.name}"]
            return _to_body(policy, rule.to, request, reasons, rule)
        compared.extend(sentences)
    default = policy.bodies[policy.routing.default]
    reasons = [*_unique(compared), f"no other rule applies, so it goes to the {default.name}"]
    return _to_body(policy, policy.routing.default, request, reasons, None)


def _unique(sentences: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(sentences))


def _evaluate(policy: Policy, when: Conditions, request: CaseRequest) -> tuple[bool, str, list[str]]:
    """(does the case meet every condition, the categorical conditions as a phrase, sentences).

    On a match the sentences say why it matched. Otherwise they are the amounts compared that did
    not hold, when everything else about the rule (service, type, urgency…) did: the figures a
    decider wants to see ("£280.00/wk is not over £350.00/wk"). Categorical misses say nothing.
    """
    if when.urgent is not None and request.urgent is not when.urgent:
        return False, "", []
    if when.service is not None and request.service not in when.service:
        return False, "", []
    if when.request_type is not None and request.request_type not in when.request_type:
        return False, "", []
    if when.age_band is not None and request.age_band not in when.age_band:
        return False, "", []
    if when.team is not None and request.team not in when.team:
        return False, "", []
    if when.top_up is not None and bool(request.top_up) is not when.top_up:
        return False, "", []
    subject = _subject(when, request)
    amounts: list[tuple[bool, str]] = []
    weekly, weeks = request.proposed_weekly, policy.routing.weeks_per_year
    if when.weekly_over is not None:
        held = weekly > when.weekly_over
        amounts.append((held, f"{words.weekly(weekly)} is {'over' if held else 'not over'} "
                              f"the {words.money(when.weekly_over)} threshold"))
    if when.weekly_at_most is not None:
        held = weekly <= when.weekly_at_most
        amounts.append((held, f"{words.weekly(weekly)} is {'within' if held else 'over'} "
                              f"{words.weekly(when.weekly_at_most)}"))
    yearly = weekly * weeks
    if when.yearly_over is not None:
        held = yearly > when.yearly_over
        amounts.append((held, f"{_yearly(yearly, weeks)} is {'over' if held else 'not over'} "
                              f"the {words.money(when.yearly_over)} a year threshold"))
    if when.yearly_at_most is not None:
        held = yearly <= when.yearly_at_most
        amounts.append((held, f"{_yearly(yearly, weeks)} is {'within' if held else 'over'} "
                              f"{words.money(when.yearly_at_most)} a year"))
    current = request.current_weekly
    if when.current_weekly_over is not None:
        amounts.append(_over(current, when.current_weekly_over, lambda n: f"the current {words.weekly(n)}",
                             words.weekly(when.current_weekly_over)))
    if when.change_weekly_over is not None:
        amounts.append(_over(None if current is None else weekly - current, when.change_weekly_over,
                             lambda n: f"the change of {words.weekly(n)}", words.weekly(when.change_weekly_over)))
    if when.within_ras is not None:
        amounts.append(_ras(policy, request, when.within_ras))
    if when.hours_per_month_over is not None:
        amounts.append(_over(request.hours_per_month, when.hours_per_month_over,
                             lambda n: f"{words.count(n, 'hour')} a month",
                             words.count(when.hours_per_month_over, "hour")))
    if when.respite_weeks_over is not None:
        amounts.append(_over(request.respite_weeks_per_year, when.respite_weeks_over,
                             lambda n: f"{words.count(n, 'week')} of respite a year",
                             f"the limit of {words.count(when.respite_weeks_over, 'week')}"))
    if all(held for held, _ in amounts):
        return True, subject, [sentence for _, sentence in amounts if sentence]
    return False, "", [sentence for held, sentence in amounts if not held and sentence]


def _subject(when: Conditions, request: CaseRequest) -> str:
    """The categorical conditions that matched, as one phrase: "marked urgent: a children's SEND case"."""
    parts: list[str] = []
    if when.service is not None or when.request_type is not None:
        service = f"{SERVICE_LABELS[request.service]} " if when.service is not None else ""
        kind = REQUEST_TYPE_LABELS[request.request_type] if when.request_type is not None else "case"
        amount = f"of {words.weekly(request.proposed_weekly)}"
        if when.request_type is not None and request.is_change and request.current_weekly is not None:
            amount = f"from {words.weekly(request.current_weekly)} to {words.weekly(request.proposed_weekly)}"
        parts.append(f"{'an' if (service or kind)[:1] in 'aeiou' else 'a'} {service}{kind} {amount}")
    if when.age_band is not None:
        parts.append(f"aged {request.age_band}")
    if when.team is not None:
        parts.append(f"from the {request.team} team")
    if when.top_up is not None:
        parts.append("with a first-party top-up" if when.top_up else "with no first-party top-up")
    if parts and not parts[0].startswith(("a ", "an ")):
        parts.insert(0, f"a case of {words.weekly(request.proposed_weekly)}")
        parts = [f"{parts[0]} {parts[1]}", *parts[2:]]
    text = ", ".join(parts)
    if when.urgent:
        return f"marked urgent{': ' + text if text else ''}"
    return text


def _over(value: Decimal | None, limit: Decimal, said: Callable[[Decimal], str], limit_said: str) -> tuple[bool, str]:
    """(whether `value` is over `limit`, the sentence saying so); (False, "") when the form left it out."""
    if value is None:
        return False, ""
    held = value > limit
    return held, f"{said(value)} is {'over' if held else 'not over'} {limit_said}"


def _ras(policy: Policy, request: CaseRequest, wanted: bool) -> tuple[bool, str]:
    proposed = request.proposed_weekly
    if request.ras_weekly is None:
        return (not wanted, "" if not wanted else
                f"no RAS indicative budget was given, so {words.weekly(proposed)} cannot be shown to be within it")
    ras = request.ras_weekly
    tolerance = _tolerance(policy, ras)
    ceiling = ras + tolerance
    within = proposed <= ceiling
    if within:
        extra = f" plus the {words.weekly(tolerance)} tolerance (up to {words.weekly(ceiling)})" if tolerance else ""
        sentence = f"{words.weekly(proposed)} is within the RAS indicative budget of {words.weekly(ras)}{extra}"
    elif tolerance:
        sentence = (f"{words.weekly(proposed)} is over the RAS indicative budget of {words.weekly(ras)} by more than "
                    f"the {words.weekly(tolerance)} tolerance (up to {words.weekly(ceiling)})")
    else:
        sentence = f"{words.weekly(proposed)} is over the RAS indicative budget of {words.weekly(ras)}"
    return within is wanted, sentence


def _tolerance(policy: Policy, ras: Decimal) -> Decimal:
    """How far over the RAS `within_ras` reaches, in pounds a week.

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


def covering_tiers(body: Body, weekly: Decimal, weeks_per_year: int) -> tuple[Tier, ...]:
    """The tiers of a person body whose limits cover `weekly` pounds a week, lowest first."""
    yearly = weekly * weeks_per_year
    return tuple(
        tier for tier in body.tiers_in_order()
        if (tier.max_weekly is None or weekly <= tier.max_weekly)
        and (tier.max_yearly is None or yearly <= tier.max_yearly)
    )


def deciding_tier(body: Body, weekly: Decimal, weeks_per_year: int) -> Tier | None:
    """The lowest tier that covers the case: its holders are told, and may decide it."""
    covering = covering_tiers(body, weekly, weeks_per_year)
    return covering[0] if covering else None


def _limit_words(tier: Tier, weeks: int) -> str:
    limits = []
    if tier.max_weekly is not None:
        limits.append(words.weekly(tier.max_weekly))
    if tier.max_yearly is not None:
        limits.append(f"{words.money(tier.max_yearly)} a year")
    return " and ".join(limits)


def _to_body(policy: Policy, body_id: str, request: CaseRequest, reasons: list[str], rule: Rule | None,
             seen: tuple[str, ...] = ()) -> Route:
    body = policy.bodies[body_id]
    weeks = policy.routing.weeks_per_year
    tier_role = None
    if body.kind is BodyKind.PERSON:
        tier = deciding_tier(body, request.proposed_weekly, weeks)
        if tier is None:
            top = body.tiers_in_order()[-1]
            reasons.append(f"{_yearly(request.proposed_weekly * weeks, weeks)} is over the highest limit for "
                           f"{body.name}, {_limit_words(top, weeks)} for {_role_words(top.role)}")
            if body.beyond_limits is None or body.beyond_limits in seen:  # the policy check refuses both
                raise ValueError(f"body {body_id!r} has no tier covering the case and nowhere beyond its limits")
            return _to_body(policy, body.beyond_limits, request, reasons, None, (*seen, body_id))
        tier_role = tier.role
        limit = _limit_words(tier, weeks)
        if limit:
            reasons.append(f"{_yearly(request.proposed_weekly * weeks, weeks)}: within the {limit} limit "
                           f"for {_role_words(tier.role)}")
        else:
            reasons.append(f"decided by {_role_words(tier.role)}")
    elif not any("goes to the" in reason for reason in reasons):
        reasons.append(f"goes to the {body.name}")
    then: list[str] = []
    then_at = None
    if rule is not None and rule.endorse_at is not None:
        then.append(FollowOn.ENDORSEMENT)
        then_at = rule.endorse_at
    if rule is not None and rule.ratify_changes_at is not None and request.is_change:
        then.append(FollowOn.RATIFICATION)
        then_at = then_at or rule.ratify_changes_at
    must_attend = False
    hours_limit = body.practitioner_attends_over_hours_per_month
    if hours_limit is not None and request.hours_per_month is not None:
        must_attend = request.hours_per_month > hours_limit
        reasons.append(
            f"{words.count(request.hours_per_month, 'hour')} a month is "
            + (f"over {words.count(hours_limit, 'hour')}: the practitioner must attend the {body.name}"
               if must_attend else f"not over {words.count(hours_limit, 'hour')}, so the practitioner need not attend")
        )
    reasons.extend(context for context in _context(request)
                   if not any(context.split(" ", 1)[1] in reason for reason in reasons))
    attendance = body.attendance + ((f"the practitioner attends the {body.name}",) if must_attend else ())
    return Route(body=body_id, kind=body.kind, name=body.name, reasons=tuple(_unique(reasons)), then=tuple(then),
                 then_at=then_at, practitioner_must_attend=must_attend, attendance=attendance,
                 evidence=body.evidence, tier=tier_role)


def _context(request: CaseRequest) -> list[str]:
    """The figures a decider wants beside any reason: the RAS, and what a change changes from."""
    context = [] if request.ras_weekly is None else [f"RAS {words.weekly(request.ras_weekly)}"]
    if request.request_type is RequestType.INCREASE and request.current_weekly is not None:
        context.append(f"an increase from {words.weekly(request.current_weekly)}")
    return context


# --- Words ------------------------------------------------------------------------------------------




def _role_words(role: str) -> str:
    return role.replace("_", " ")


def _yearly(amount: Decimal, weeks: int) -> str:
    return f"{words.money(amount)} a year ({weeks} weeks)"


def describe_request(request: CaseRequest) -> str:
    """One plain line, e.g. "new package, adults, £412.00/wk (RAS £298.00/wk)"."""
    text = f"{REQUEST_TYPE_LABELS[request.request_type]}, {SERVICE_LABELS[request.service]}, "
    text = ("urgent " if request.urgent else "") + text + words.weekly(request.proposed_weekly)
    if request.current_weekly is not None:
        text += f" from {words.weekly(request.current_weekly)}"
    if request.ras_weekly is not None:
        text += f" (RAS {words.weekly(request.ras_weekly)})"
    if request.respite_weeks_per_year is not None:
        text += f", {words.count(request.respite_weeks_per_year, 'week')} of respite a year"
    if request.hours_per_month is not None:
        text += f", {words.count(request.hours_per_month, 'hour')} a month"
    if request.age_band is not None:
        text += f", aged {request.age_band}"
    if request.top_up:
        text += ", with a first-party top-up"
    if request.team is not None:
        text += f", {request.team} team"
    return text


def describe_route(route: Route, policy: Policy | None = None) -> str:
    """One plain line: "<body>: <reasons>[; then <steps> at the next <body>]"."""
    text = f"{route.name}: {'; '.join(route.reasons)}"
    if route.then and route.then_at is not None:
        at = policy.bodies[route.then_at].name if policy is not None else route.then_at
        text += f"; then {' and '.join(route.then)} at the next {at}"
    return text


def example_requests(policy: Policy) -> list[CaseRequest]:
    """A handful of cases that show each rule, each boundary and each tier of `policy`."""
    adults, children = Service.ADULTS, Service.CHILDREN_SEND
    kind = RequestType
    penny = Decimal("0.01")
    weeks = policy.routing.weeks_per_year
    band = policy.case_form.age_bands[-1] if policy.case_form.age_bands else None
    team = policy.case_form.teams[0] if policy.case_form.teams else None

    def case(service: Service, request_type: RequestType, weekly: str | Decimal, **more: Any) -> CaseRequest:
        more.pop("_decrease", None)
        more.setdefault("age_band", band)
        more.setdefault("team", team)
        return CaseRequest(service, request_type, Decimal(weekly), **more)

    examples = [
        case(adults, kind.NEW_PACKAGE, "280.00", ras_weekly=Decimal("298.00")),
        case(adults, kind.NEW_PACKAGE, "412.00", ras_weekly=Decimal("298.00")),
    ]
    for rule in policy.routing.rules:
        when = rule.when
        service = when.service[0] if when.service else adults
        request_type = when.request_type[0] if when.request_type else kind.NEW_PACKAGE
        base: dict[str, object] = {"urgent": bool(when.urgent)}
        if when.age_band:
            base["age_band"] = when.age_band[0]
        if when.team:
            base["team"] = when.team[0]
        if when.top_up is not None:
            base["top_up"] = when.top_up
        if request_type is kind.RESPITE or when.respite_weeks_over is not None:
            limit = when.respite_weeks_over if when.respite_weeks_over is not None else Decimal(2)
            for weeks_asked in (limit, limit + Decimal("0.5")):
                examples.append(case(service, kind.RESPITE, "120.00", ras_weekly=Decimal("150.00"),
                                     respite_weeks_per_year=weeks_asked, **base))
            continue
        if request_type in CHANGES:
            base["current_weekly"] = Decimal("260.00")
            if request_type is kind.DECREASE:
                base["_decrease"] = True
        proposed = Decimal("200.00") if request_type is kind.DECREASE else Decimal("250.00")
        if when.weekly_over is not None:
            for weekly in (when.weekly_over, when.weekly_over + penny):
                examples.append(case(service, request_type, weekly, ras_weekly=weekly, **_fit(base, weekly)))
            continue
        if when.yearly_over is not None:
            top = (when.yearly_over / weeks).quantize(penny, ROUND_DOWN)
            for weekly in (top, top + penny):
                examples.append(case(service, request_type, weekly, **_fit(base, weekly)))
            continue
        if when.within_ras:
            ras = Decimal("300.00")
            ceiling = ras + _tolerance(policy, ras)
            for weekly in (ceiling, ceiling + penny):
                examples.append(case(service, request_type, weekly, ras_weekly=ras, **_fit(base, weekly)))
            continue
        hours = None
        if when.hours_per_month_over is not None or service is children:
            hours = (when.hours_per_month_over or Decimal(40)) + Decimal("0.5")
        examples.append(case(service, request_type, proposed, ras_weekly=Decimal("300.00"), hours_per_month=hours,
                             **_fit(base, proposed)))
    for body in policy.bodies.values():
        for tier in body.tiers:
            tier_weekly = tier.max_weekly if tier.max_weekly is not None else (
                (tier.max_yearly / weeks).quantize(penny, ROUND_DOWN) if tier.max_yearly is not None else None)
            if tier_weekly is not None:
                for weekly in (tier_weekly, tier_weekly + penny):
                    examples.append(case(adults, kind.NEW_PACKAGE, weekly, ras_weekly=weekly))
    return list(dict.fromkeys(examples))


def _fit(base: dict[str, object], weekly: Decimal) -> dict[str, object]:
    """`base` with a current cost that makes `weekly` a valid increase or decrease."""
    if "current_weekly" not in base:
        return base
    increase = base.get("_decrease") is None
    current = (weekly * Decimal("0.8")).quantize(Decimal("0.01")) if increase else weekly + 60
    return {**base, "current_weekly": current}


def describe_examples(policy: Policy) -> list[str]:
    """Each example case and its route under `policy`, one plain line each ("… → …").

    This is what `panelbot policy check FILE` prints, so a council can read its rules back.
    """
    lines = []
    for request in example_requests(policy):
        try:
            route = route_case(policy, request)
        except ValueError as exc:
            lines.append(f"{describe_request(request)} → cannot be routed: {exc}")
            continue
        lines.append(f"{describe_request(request)} → {describe_route(route, policy)}")
    return lines
