"""The council's policy file: its thresholds, schedules, channels and roles, validated once at start-up.

Every number panelbot applies comes from here (DESIGN.md §2); the shipped `policies/default.toml`
reproduces the council procedures in shared/seeds. `load_policy(path)` returns a frozen `Policy` or
raises `PolicyError` with one line that names the file, the line and the key:

    council.toml: line 58: forum.slot_minuts: unknown key; did you mean 'slot_minutes'?

Every table forbids unknown keys, so a misspelt key is an error instead of a silently used default.
Money is `Decimal` pounds (TOML `350.00` or `350`); times are "HH:MM" in the council's timezone.

    PolicyError(ConfigError, ValueError)  -- the file cannot be read, is not TOML, or breaks a rule
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.addresses import DESCRIBED, Kind, is_group, is_kind
from bot.domain.bodies import BodyKind
from bot.domain.retention import Retention
from bot.domain.routing import RequestType, Service
from bot.domain.visits import Step, VisitKind
from bot.errors import ConfigError

__all__ = [
    "ROLES_THE_CODE_USES",
    "Body",
    "BodyReminders",
    "CaseForm",
    "CaseReference",
    "Chair",
    "Closure",
    "Conditions",
    "Council",
    "Cutoff",
    "Policy",
    "PolicyError",
    "QuorumNeed",
    "Reviews",
    "Routing",
    "Rule",
    "Schedule",
    "SittingHours",
    "SpotChecks",
    "Tier",
    "TimeRange",
    "VisitChain",
    "Visits",
    "WorkingDays",
    "default_policy_path",
    "load_policy",
]


class PolicyError(ConfigError, ValueError):
    """The policy file is unreadable or invalid. The message is one line: file, line, key, reason."""


# --- Value types -----------------------------------------------------------------------------------


def _shaped(pattern: str, what: str) -> AfterValidator:
    """A check that a string has the shape `pattern` (whole string), saying `what` it should be."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def _address_of(*kinds: Kind) -> Callable[[str], str]:
    """A check that a string is an address of one of `kinds` (bot.addresses), saying what it should be."""

    def check(value: str) -> str:
        if not is_kind(value, *kinds):
            raise ValueError(f"{value!r} is not " + " or ".join(DESCRIBED[kind] for kind in kinds))
        return value

    return check


def _non_empty(items: tuple[Any, ...]) -> tuple[Any, ...]:
    # Rather than Field(min_length=1), which also reports a list whose only item was refused as
    # empty: one mistake should give one error.
    if not items:
        raise ValueError("must list at least one")
    return items


def _a_number(value: Any) -> Any:
    # pydantic would read "30" as 30 and "yes" as True: in a policy file a quoted number is a mistake.
    if isinstance(value, str | bool):
        raise ValueError(f"{value!r} is not a number: write it without quotes, e.g. 350 or 350.00")
    return value


Number = Annotated[Decimal, BeforeValidator(_a_number), Field(ge=0)]
Money = Annotated[Decimal, BeforeValidator(_a_number), Field(ge=0, decimal_places=2)]
# A deciding body's key in [bodies], as cases store it.
BodyId = Annotated[str, _shaped(r"[a-z][a-z0-9_]{0,31}", "a body name (lower-case letters, digits and _, 32 at most)")]
RoleName = Annotated[str, _shaped(r"[a-z][a-z0-9_]*", "a role name (lower-case letters, digits and _)")]
# Members of a role: people or groups, on Slack or Teams (bot.addresses).
MemberId = Annotated[str, AfterValidator(_address_of(Kind.PERSON, Kind.GROUP))]
ChannelId = Annotated[str, AfterValidator(_address_of(Kind.CHANNEL))]

# A key's place in the file, as pydantic reports it: ("routing", "delegated_limits", 0, "role").
Loc = tuple[str | int, ...]

# dateutil reads a rule relative to a start date; any fixed date will do to check the syntax.
_RULE_CHECK_START = datetime.combine(date(2000, 1, 1), time())
_TIME_RANGE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*")


class _Table(BaseModel):
    # Unknown keys are errors, and a loaded policy cannot be changed by accident.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeRange(_Table):
    """Wall-clock hours, written in the file as "HH:MM-HH:MM"; `end` is after `start`."""

    start: time
    end: time

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _TIME_RANGE.fullmatch(value)
        if match is None:
            raise ValueError(f'{value!r}: write hours as "HH:MM-HH:MM", e.g. "09:00-13:00"')
        sh, sm, eh, em = (int(part) for part in match.groups())
        try:
            return {"start": time(sh, sm), "end": time(eh, em)}
        except ValueError:
            raise ValueError(f"{value!r} is not a time of day from 00:00 to 23:59") from None

    @model_validator(mode="after")
    def _ends_after_start(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"must end after it starts, got {self.start:%H:%M}-{self.end:%H:%M}")
        return self

    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


# --- Tables ------------------------------------------------------------------------------------------


class Council(_Table):
    name: str = Field(min_length=1)
    timezone: str = "Europe/London"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone name, e.g. 'Europe/London'") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CaseReference(_Table):
    """The shape of the council's case-system ID; the whole reference must match `pattern`."""

    pattern: str
    example: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
        return value

    @field_validator("example")
    @classmethod
    def _example_matches(cls, value: str, info: ValidationInfo) -> str:
        pattern = info.data.get("pattern")  # absent when the pattern itself was invalid
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ValueError(f"{value!r} does not match the pattern {pattern!r}")
        return value

    def matches(self, reference: str) -> bool:
        return re.fullmatch(self.pattern, reference) is not None


class Tier(_Table):
    """People in `role` may decide a case up to `max_weekly` pounds a week and `max_yearly` a year
    (either, both or neither: a tier without a limit covers every case)."""

    role: RoleName
    max_weekly: Money | None = None
    max_yearly: Money | None = None


class Chair(_Table):
    """Who chairs a meeting or panel: the rota's roles take turns, per sitting or per working day."""

    rota: Annotated[tuple[RoleName, ...], AfterValidator(_non_empty)]
    turns: Literal["sitting", "working_day"] = "sitting"
    # The rota's first role chairs the first sitting on or after this date (default: the schedule's first).
    start: date | None = None
    deputy: RoleName | None = None


class SittingHours(_Table):
    """Sittings on the dates an RFC 5545 RRULE gives, at these hours."""

    rrule: str
    hours: TimeRange

    @field_validator("rrule")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            rrulestr(value, dtstart=_RULE_CHECK_START)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{value!r} is not an RFC 5545 RRULE such as 'FREQ=MONTHLY;BYDAY=2WE': {exc}") from None
        return value


class Closure(_Table):
    """Days a body does not sit, from `first` to `last` inclusive (e.g. a term-time break)."""

    first: date
    last: date

    @model_validator(mode="after")
    def _in_order(self) -> Closure:
        if self.last < self.first:
            raise ValueError(f"ends ({self.last}) before it starts ({self.first})")
        return self


class Schedule(_Table):
    """When a meeting or panel sits. Each rule's dates count from `first`; `exceptions` are dates the
    rules give that do not happen; `closures` are this body's own closed days (the council's closures
    and bank holidays apply to every body). A sitting that falls on a closed day is skipped, or moves
    to the next working day when `on_closed_day = "next_working_day"`."""

    first: date
    sittings: Annotated[tuple[SittingHours, ...], AfterValidator(_non_empty)]
    locations: tuple[str, ...] = ()
    exceptions: tuple[date, ...] = ()
    closures: tuple[date | Closure, ...] = ()
    on_closed_day: Literal["skip", "next_working_day"] = "skip"

    def closed_days(self) -> frozenset[date]:
        days: set[date] = set()
        for closure in self.closures:
            if isinstance(closure, Closure):
                days.update(closure.first + timedelta(days=n) for n in range((closure.last - closure.first).days + 1))
            else:
                days.add(closure)
        return frozenset(days)


class Cutoff(_Table):
    """When papers are due before a sitting: exactly one of `working_days_before`, `days_before` or
    `weekday_before` (that weekday in the week before the sitting's week), by `at` (local time; left
    out, the end of that day)."""

    working_days_before: StrictInt | None = Field(default=None, ge=0, le=60)
    days_before: StrictInt | None = Field(default=None, ge=0, le=90)
    weekday_before: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None = None
    at: time | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Cutoff:
        given = [name for name in ("working_days_before", "days_before", "weekday_before")
                 if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of working_days_before, days_before or weekday_before")
        return self


class QuorumNeed(_Table):
    """At least `at_least` people holding `role` must be recorded present for the panel to decide."""

    role: RoleName
    at_least: StrictInt = Field(default=1, ge=1, le=50)


class BodyReminders(_Table):
    """Reminders about a case waiting on this body: nudge its deciders, then escalate."""

    nudge_after_working_days: StrictInt = Field(default=3, ge=1, le=60)
    escalate_after_working_days: StrictInt = Field(default=5, ge=1, le=90)
    escalate_to: RoleName | None = None

    @model_validator(mode="after")
    def _nudge_first(self) -> BodyReminders:
        if self.escalate_to is not None and self.escalate_after_working_days <= self.nudge_after_working_days:
            raise ValueError(
                f"escalation after {self.escalate_after_working_days} working days comes before or with the nudge "
                f"after {self.nudge_after_working_days}: escalate later than you nudge"
            )
        return self


class Body(_Table):
    """A deciding body: a person in a role within limits, a meeting with bookable slots, or a panel
    with a listed agenda."""

    name: str = Field(min_length=1, max_length=80)
    kind: BodyKind
    channel: ChannelId
    # The same case cards and agendas in more channels: a Teams channel beside the Slack one, say.
    also_in: tuple[ChannelId, ...] = ()
    evidence: tuple[str, ...] = ()
    attendance: tuple[str, ...] = ()  # shown to the worker: who attends with them
    # A person body's deciders: the lowest tier whose limits cover a case decides it.
    tiers: tuple[Tier, ...] = ()
    beyond_limits: BodyId | None = None  # where a case over every tier's limit goes
    schedule: Schedule | None = None
    chair: Chair | None = None
    members: tuple[RoleName, ...] = ()
    quorum: tuple[QuorumNeed, ...] = ()
    slot_minutes: StrictInt = Field(default=30, gt=0, le=480)
    booking_lead_hours: StrictInt = Field(default=0, ge=0, le=168)
    cutoff: Cutoff | None = None
    attendee_required: StrictBool = False  # the form must name who attends with the worker
    practitioner_attends_over_hours_per_month: Number | None = None
    reminders: BodyReminders = BodyReminders()

    @model_validator(mode="after")
    def _shaped_for_its_kind(self) -> Body:
        if self.kind is BodyKind.PERSON:
            if not self.tiers:
                raise PydanticCustomError("body_shape", "a person body needs at least one [[tiers]] entry",
                                          {"policy_loc_suffix": ("tiers",)})
            for name in ("schedule", "chair", "cutoff"):
                if getattr(self, name) is not None:
                    raise PydanticCustomError("body_shape", "a person body has no {name}: it decides when asked",
                                              {"name": name, "policy_loc_suffix": (name,)})
            if self.quorum:
                raise PydanticCustomError("body_shape", "a person body has no quorum",
                                          {"policy_loc_suffix": ("quorum",)})
        else:
            for name in ("schedule", "chair"):
                if getattr(self, name) is None:
                    raise PydanticCustomError("body_shape", "a {kind} needs a [{name}] table",
                                              {"kind": self.kind.value, "name": name, "policy_loc_suffix": ()})
        if self.kind is BodyKind.MEETING and self.quorum:
            raise PydanticCustomError("body_shape", "quorum is for panels; a meeting's chair decides",
                                      {"policy_loc_suffix": ("quorum",)})
        if self.kind is BodyKind.MEETING and self.schedule is not None:
            for index, sitting in enumerate(self.schedule.sittings):
                if self.slot_minutes > sitting.hours.minutes():
                    raise PydanticCustomError(
                        "body_shape", "{slot} minute slots do not fit a {length} minute sitting",
                        {"slot": self.slot_minutes, "length": sitting.hours.minutes(),
                         "policy_loc_suffix": ("slot_minutes",)})
                del index
        if self.channel in self.also_in or len(set(self.also_in)) != len(self.also_in):
            raise PydanticCustomError("body_shape", "a channel is named twice: name each channel once",
                                      {"policy_loc_suffix": ("also_in",)})
        tiers = [tier.role for tier in self.tiers]
        repeated = sorted({role for role in tiers if tiers.count(role) > 1})
        if repeated:
            raise PydanticCustomError("body_shape", "role '{role}' has more than one tier",
                                      {"role": repeated[0], "policy_loc_suffix": ("tiers",)})
        limited = [tier for tier in self.tiers if tier.max_weekly is not None or tier.max_yearly is not None]
        if limited and len(limited) == len(self.tiers) and self.beyond_limits is None:
            raise PydanticCustomError(
                "body_shape", "every tier has a limit, so say where a case over them all goes: beyond_limits = \"…\"",
                {"policy_loc_suffix": ("tiers",)})
        return self

    def channels(self) -> tuple[str, ...]:
        """Every channel the body's case cards and agendas go to, its own `channel` first."""
        return (self.channel, *self.also_in)

    def tiers_in_order(self) -> tuple[Tier, ...]:
        """Lowest limit first, unlimited tiers last: the first that covers a case decides it."""
        def size(tier: Tier) -> tuple[int, Decimal, Decimal]:
            unlimited = tier.max_weekly is None and tier.max_yearly is None
            endless = Decimal("Infinity")
            return (1 if unlimited else 0, tier.max_yearly or endless, tier.max_weekly or endless)
        return tuple(sorted(self.tiers, key=size))

    def decider_roles(self) -> tuple[str, ...]:
        """Every role that decides for this body: its tiers, or its chairs and deputy."""
        if self.kind is BodyKind.PERSON:
            return tuple(tier.role for tier in self.tiers)
        assert self.chair is not None
        return (*self.chair.rota, *((self.chair.deputy,) if self.chair.deputy else ()))


class Conditions(_Table):
    """What a case must be for a routing rule to match; every condition given must hold."""

    service: tuple[Service, ...] | None = None
    request_type: tuple[RequestType, ...] | None = None
    urgent: StrictBool | None = None
    weekly_over: Money | None = None
    weekly_at_most: Money | None = None
    yearly_over: Money | None = None
    yearly_at_most: Money | None = None
    current_weekly_over: Money | None = None
    change_weekly_over: Money | None = None  # the proposed weekly cost less the current one
    within_ras: StrictBool | None = None  # within the RAS indicative budget plus [routing] tolerance
    hours_per_month_over: Number | None = None
    respite_weeks_over: Number | None = None
    age_band: tuple[str, ...] | None = None
    top_up: StrictBool | None = None  # a first-party top-up is part of the package
    team: tuple[str, ...] | None = None

    @field_validator("service", "request_type", "age_band", "team", mode="before")
    @classmethod
    def _one_or_a_list(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("service", "request_type", "age_band", "team")
    @classmethod
    def _not_empty(cls, value: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        if value is not None and not value:
            raise ValueError("an empty list matches nothing: list at least one, or leave the key out")
        return value

    @model_validator(mode="after")
    def _can_match(self) -> Conditions:
        for low, high, what in (("weekly_over", "weekly_at_most", "weekly cost"),
                                ("yearly_over", "yearly_at_most", "yearly cost")):
            over, at_most = getattr(self, low), getattr(self, high)
            if over is not None and at_most is not None and at_most <= over:
                raise PydanticCustomError(
                    "never_matches",
                    "this rule can never match: the {what} cannot be over £{over} and at most £{at_most}",
                    {"what": what, "over": over, "at_most": at_most, "policy_loc_suffix": (high,)})
        return self

    def used(self) -> frozenset[str]:
        return frozenset(name for name in type(self).model_fields if getattr(self, name) is not None)


class Rule(_Table):
    """Cases matching `when` go to body `to`. `endorse_at` names the body that endorses a decision made
    there (an urgent decision); `ratify_changes_at` the body that ratifies a change (an increase or
    decrease) decided there."""

    when: Conditions = Conditions()
    to: BodyId
    endorse_at: BodyId | None = None
    ratify_changes_at: BodyId | None = None


class Routing(_Table):
    """Where a submitted case goes: the first rule that matches, else `default`."""

    weeks_per_year: StrictInt = Field(default=52, ge=1, le=53)
    ras_tolerance_percent: Annotated[Number, Field(ge=0, le=100)] | None = None
    ras_tolerance_weekly: Money | None = None
    default: BodyId
    rules: tuple[Rule, ...] = ()

    @field_validator("rules")
    @classmethod
    def _none_unreachable(cls, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        for index, rule in enumerate(rules[:-1]):
            if not rule.when.used():
                raise PydanticCustomError(
                    "never_matches",
                    "rule {later} can never match: rule {index} has no conditions and matches every case",
                    {"later": index + 1, "index": index, "policy_loc": ("routing", "rules", index + 1)})
        return rules


class CaseForm(_Table):
    """Facts the case form asks for beyond the figures, when the council's rules use them."""

    team_manager_role: RoleName  # the team manager named on the form must hold it
    age_bands: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()


class SpotChecks(_Table):
    """A share of delegated decisions (agreed at a body of kind "person") sampled for a quality check
    (seed 001), and who sees the reports that show how they and every other decision went.

    Every key but `role` is optional, with the defaults below: a policy written before these keys
    existed draws `percent` at random and nothing else, and refers cases to the routing default."""

    percent: Annotated[Number, Field(ge=0, le=100)] = Decimal(0)
    role: RoleName
    # Drawn always, whatever the random draw: agreed above this many pounds a week, or these request types.
    always_over_weekly: Money | None = None
    request_types: tuple[RequestType, ...] = ()
    # The draw is HMAC-SHA256(seed, decision id): the same decision always draws the same number.
    seed: str = Field(default="panelbot-spot-checks", min_length=8, max_length=200)
    refer_to: BodyId | None = None  # where "refer to panel" sends a case; left out: [routing] default
    nudge_after_working_days: StrictInt = Field(default=5, ge=1, le=60)
    escalate_after_working_days: StrictInt = Field(default=10, ge=1, le=90)
    escalate_to: RoleName | None = None  # left out: nobody is told of an overdue spot check but the checker
    # Who may see `/panel report`: holders of any of these roles.
    reporters: tuple[RoleName, ...] = ("panel_admins",)
    # Turnaround target: a decision within this many working days of submission is on time.
    target_working_days: StrictInt = Field(default=10, ge=1, le=120)

    @model_validator(mode="after")
    def _nudge_first(self) -> SpotChecks:
        if self.escalate_to is not None and self.escalate_after_working_days <= self.nudge_after_working_days:
            raise ValueError(
                f"escalation after {self.escalate_after_working_days} working days comes before or with the nudge "
                f"after {self.nudge_after_working_days}: escalate later than you nudge"
            )
        return self


class WorkingDays(_Table):
    closures: tuple[date, ...] = ()
    reminder_hours: TimeRange


class Reviews(_Table):
    send_review_months: StrictInt = Field(ge=1, le=24)
    send_resubmission_months: StrictInt = Field(ge=1, le=24)
    adults_first_review_weeks: StrictInt = Field(ge=1, le=52)


class Reminders(_Table):
    """Reminder timings beyond those in [reviews] (all optional, with these defaults)."""

    resubmit_nudge_after_working_days: StrictInt = Field(default=10, ge=1, le=60)
    adults_review_months: StrictInt = Field(default=12, ge=1, le=36)  # reviews after the first
    # Visit steps left undone are escalated to the senior QA officers after this many working days.
    escalate_after_working_days: StrictInt = Field(default=5, ge=1, le=60)


# --- Monitoring visits (seed 002) ----------------------------------------------------------------------

VisitDays = Annotated[StrictInt, Field(ge=0, le=365)]

# The rules and steps that count in days, so may be switched to working days. The annual visit counts
# months, so it is not one of them.
_DAY_COUNTED = (*(kind.value for kind in VisitKind if kind is not VisitKind.ANNUAL), *(step.value for step in Step))


def _day_counted(name: str) -> str:
    if name == VisitKind.ANNUAL:
        raise ValueError("'annual' is counted in months, so working days do not apply to it")
    if name not in _DAY_COUNTED:
        raise ValueError(f"{name!r} is not a visit rule or step; use one of: {', '.join(_DAY_COUNTED)}")
    return name


class VisitChain(_Table):
    """The steps after a visit (seed 002). Each deadline runs from when the step before it actually
    finished; the first from the visit itself."""

    report_to_sqao_days: VisitDays = 14  # the completed form to the SQAO within two weeks of the visit
    sqao_returns_days: VisitDays = 7  # the SQAO returns it with any actions within 7 days of receiving it
    actions_done_days: VisitDays = 3  # outstanding actions done within 3 days of the SQAO returning it
    sent_for_comments_days: VisitDays = 21  # sent for comments "within 3 weeks"
    comments_back_days: VisitDays = 3  # comments back within 3 days
    uploaded_days: VisitDays = 3  # the seed gives no figure for uploading; a council sets its own

    def days(self, step: Step) -> int:
        return {
            Step.REPORT_TO_SQAO: self.report_to_sqao_days,
            Step.SQAO_RETURNS: self.sqao_returns_days,
            Step.ACTIONS_DONE: self.actions_done_days,
            Step.SENT_FOR_COMMENTS: self.sent_for_comments_days,
            Step.COMMENTS_BACK: self.comments_back_days,
            Step.UPLOADED: self.uploaded_days,
        }[Step(step)]


class Visits(_Table):
    """When monitoring visits are due (seed 002). The seed says plain "days": every rule counts
    calendar days unless it is named in `working_days`."""

    initial_within_days: VisitDays = 3  # of the placement starting (or before it)
    annual_every_months: StrictInt = Field(default=12, ge=1, le=36)
    concern_within_days: VisitDays = 10  # of an issue or concern being raised
    rating_within_days: VisitDays = 14  # of an IFA or residential home being judged Good or Outstanding
    action_plan_within_days: VisitDays = 7  # of receiving Ofsted's action plan (Inadequate / Requires improvement)
    supported_16_plus_within_days: VisitDays = 3  # of a young person's 16+ supported accommodation starting
    confirm_days_before: StrictInt = Field(default=14, ge=0, le=90)  # confirm the visit with the provider
    working_days: tuple[Annotated[str, AfterValidator(_day_counted)], ...] = ()
    chain: VisitChain = VisitChain()

    def in_working_days(self, name: str) -> bool:
        """True when the rule or step `name` counts working days rather than calendar days."""
        return name in self.working_days


Members = Annotated[tuple[MemberId, ...], AfterValidator(_non_empty)]

# Roles panelbot's own code names: the policy must define each of them.
ROLES_THE_CODE_USES = ("panel_admins", "placement_commissioning_officers", "senior_qa_officers")


def _error(message: str, loc: Loc, **values: Any) -> PydanticCustomError:
    return PydanticCustomError("policy_rule", message, {**values, "policy_loc": loc})


class Policy(_Table):
    """One council's policy. Build it with `load_policy`; every table without a default is required."""

    council: Council
    case_reference: CaseReference
    case_form: CaseForm
    routing: Routing
    bodies: dict[BodyId, Body]
    spot_checks: SpotChecks
    working_days: WorkingDays
    reviews: Reviews
    reminders: Reminders = Reminders()
    visits: Visits = Visits()
    retention: Retention = Retention()
    roles: dict[RoleName, Members]

    @model_validator(mode="after")
    def _references_hold(self) -> Policy:
        for loc, body_id in self._body_references():
            if body_id not in self.bodies:
                known = ", ".join(self.bodies) or "none"
                raise _error("body '{body}' is not defined in [bodies] (defined: {known})", loc, body=body_id,
                             known=known)
        reached = {body_id for _, body_id in self._body_references()}
        for body_id in self.bodies:
            if body_id not in reached:
                raise _error("no rule, default, follow-on or beyond_limits sends cases to body '{body}'",
                             ("bodies", body_id), body=body_id)
        for loc, role in self._role_references():
            if role not in self.roles:
                raise _error("role '{role}' is not defined in [roles]", loc, role=role)
        for index, rule in enumerate(self.routing.rules):
            for name, allowed in (("age_band", self.case_form.age_bands), ("team", self.case_form.teams)):
                for value in getattr(rule.when, name) or ():
                    if value not in allowed:
                        listed = ", ".join(allowed) or "none"
                        raise _error("'{value}' is not one of [case_form] {name}s (listed: {listed})",
                                     ("routing", "rules", index, "when", name), value=value, name=name, listed=listed)
            for earlier in range(index):
                if self.routing.rules[earlier].when == rule.when:
                    raise _error("this rule can never match: rule {earlier} has the same conditions",
                                 ("routing", "rules", index, "when"), earlier=earlier)
        for body_id, body in self.bodies.items():
            if body.beyond_limits == body_id:
                raise _error("a body cannot send cases beyond its limits to itself",
                             ("bodies", body_id, "beyond_limits"))
            if body.beyond_limits is not None and self.bodies[body.beyond_limits].kind is BodyKind.PERSON \
                    and self.bodies[body.beyond_limits].beyond_limits == body_id:
                raise _error("bodies '{a}' and '{b}' send cases beyond their limits to each other",
                             ("bodies", body_id, "beyond_limits"), a=body_id, b=body.beyond_limits)
        return self

    def _body_references(self) -> Iterator[tuple[Loc, str]]:
        yield ("routing", "default"), self.routing.default
        for index, rule in enumerate(self.routing.rules):
            yield ("routing", "rules", index, "to"), rule.to
            if rule.endorse_at is not None:
                yield ("routing", "rules", index, "endorse_at"), rule.endorse_at
            if rule.ratify_changes_at is not None:
                yield ("routing", "rules", index, "ratify_changes_at"), rule.ratify_changes_at
        for body_id, body in self.bodies.items():
            if body.beyond_limits is not None:
                yield ("bodies", body_id, "beyond_limits"), body.beyond_limits
        if self.spot_checks.refer_to is not None:
            yield ("spot_checks", "refer_to"), self.spot_checks.refer_to

    def _role_references(self) -> Iterator[tuple[Loc, str]]:
        yield ("case_form", "team_manager_role"), self.case_form.team_manager_role
        yield ("spot_checks", "role"), self.spot_checks.role
        for role in ROLES_THE_CODE_USES:
            yield ("roles",), role
        for body_id, body in self.bodies.items():
            for index, tier in enumerate(body.tiers):
                yield ("bodies", body_id, "tiers", index, "role"), tier.role
            if body.chair is not None:
                for index, role in enumerate(body.chair.rota):
                    yield ("bodies", body_id, "chair", "rota", index), role
                if body.chair.deputy is not None:
                    yield ("bodies", body_id, "chair", "deputy"), body.chair.deputy
            for index, role in enumerate(body.members):
                yield ("bodies", body_id, "members", index), role
            for index, need in enumerate(body.quorum):
                yield ("bodies", body_id, "quorum", index, "role"), need.role
            if body.reminders.escalate_to is not None:
                yield ("bodies", body_id, "reminders", "escalate_to"), body.reminders.escalate_to
        for index, role in enumerate(self.spot_checks.reporters):
            yield ("spot_checks", "reporters", index), role
        if self.spot_checks.escalate_to is not None:
            yield ("spot_checks", "escalate_to"), self.spot_checks.escalate_to

    def body(self, body_id: str) -> Body:
        return self.bodies[body_id]

    def evidence_options(self) -> tuple[str, ...]:
        """Every body's evidence, once each, in policy order: what the case form offers to tick."""
        return tuple(dict.fromkeys(item for body in self.bodies.values() for item in body.evidence))

    def facts_used(self) -> frozenset[str]:
        """The case facts the council's routing rules use (what the case form must ask for)."""
        used: set[str] = set()
        for rule in self.routing.rules:
            used |= rule.when.used()
        if any(body.practitioner_attends_over_hours_per_month is not None for body in self.bodies.values()):
            used.add("hours_per_month_over")
        return frozenset(used)

    def members(self, role: str) -> tuple[str, ...]:
        """The people and groups (bot.addresses) in `role`; empty for a role the policy does not name."""
        return self.roles.get(role, ())

    def user_groups(self) -> tuple[str, ...]:
        """Every user group (Slack or Entra) the roles name, each once."""
        return tuple(dict.fromkeys(member for members in self.roles.values() for member in members
                                   if is_group(member)))


# --- Loading ------------------------------------------------------------------------------------------


def default_policy_path() -> Path:
    """The shipped policy that reproduces the council procedures in the seeds."""
    return Path(__file__).parent / "policies" / "default.toml"


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file. Raises PolicyError with a one-line message on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: the policy file is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(_syntax_error_line(path, text, exc)) from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_validation_error_line(path, text, exc)) from None


def _syntax_error_line(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    # tomllib ends its messages with "(at line N, column M)" or "(at end of document)".
    if at := re.search(r"\s*\(at line (\d+), column \d+\)$", message):
        line = int(at.group(1))
    elif at := re.search(r"\s*\(at end of document\)$", message):
        line = max(1, len(text.splitlines()))
    else:
        return f"{path}: {message}"
    reason = message[: at.start()]
    key = _dotted(_path_written_at(text, line))
    return f"{path}: line {line}: {key}: {reason}" if key else f"{path}: line {line}: {reason}"


def _validation_error_line(path: Path, text: str, exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    # Rules checked across tables (a role used but not defined) carry the key they are about.
    ctx = first.get("ctx", {})
    loc: Loc = tuple(ctx.get("policy_loc", first["loc"])) + tuple(ctx.get("policy_loc_suffix", ()))
    loc = tuple(part for part in loc if part != "[key]")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    line = _line_of(loc, _written_paths(text))
    where = f"line {line}: " if line is not None else ""
    return f"{path}: {where}{_dotted(loc)}: {_reason(first, loc)}{more}"


def _reason(error: Any, loc: Loc) -> str:
    if error["type"] == "extra_forbidden":
        allowed = _keys_allowed_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.75)
        if close:
            return f"unknown key; did you mean {close[0]!r}?"
        return f"unknown key; allowed here: {', '.join(allowed)}" if allowed else "unknown key"
    if error["type"] == "missing":
        return "required table is missing" if _keys_allowed_at(loc) else "required key is missing"
    return error["msg"].removeprefix("Value error, ").replace("a valid tuple", "a list")


def _keys_allowed_at(loc: Loc) -> list[str]:
    """The keys of the table at `loc` (e.g. ("forum", "sittings")); empty if it is not a table."""
    model: type[BaseModel] = Policy
    keyed = False  # the part before was a table of named tables ([bodies]): this part is a name
    for part in loc:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        field = model.model_fields.get(part)
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None or field is None:
            return []
        keyed = getattr(field.annotation, "__origin__", None) is dict
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if (found := _model_in(arg)) is not None:
            return found
    return None


def _dotted(loc: Loc) -> str:
    """("routing", "delegated_limits", 0, "role") -> "routing.delegated_limits[0].role"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# --- Finding where a key is written ----------------------------------------------------------------
# A best-effort reading of the TOML text, line by line, so that errors can give a line number even
# for keys that tomllib has already turned into plain dicts. It understands [table], [[array]] and
# `key = ` lines, which is all a policy file uses.

_HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?")
_KEY = re.compile(r"\s*([A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=")


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in dotted.split("."))


def _written_paths(text: str) -> list[tuple[int, Loc, bool]]:
    """(line, path, is_table_header) for each table header and key line, in file order."""
    found: list[tuple[int, Loc, bool]] = []
    table: Loc = ()
    seen_arrays: dict[Loc, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.fullmatch(line):
            table = _split(header.group(2))
            if header.group(1) == "[[":
                index = seen_arrays.get(table, 0)
                seen_arrays[table] = index + 1
                table = (*table, index)
            found.append((number, table, True))
        elif key := _KEY.match(line):
            found.append((number, (*table, *_split(key.group(1))), False))
    return found


def _line_of(loc: Loc, written: list[tuple[int, Loc, bool]]) -> int | None:
    """The line of `loc`, else of the nearest enclosing key or table that is written down."""
    lines: dict[Loc, int] = {}
    for number, path, _ in written:
        lines.setdefault(path, number)
    for end in range(len(loc), 0, -1):
        if (found := lines.get(loc[:end])) is not None:
            return found
    return None


def _path_written_at(text: str, line: int) -> Loc:
    """The key written on `line`, or the table that line is in."""
    path: Loc = ()
    for number, written, is_table in _written_paths(text):
        if number > line:
            break
        if number == line or is_table:
            path = written
    return path
