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
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rruleset, rrulestr
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.domain.retention import Retention
from bot.domain.routing import RequestType
from bot.domain.visits import Step, VisitKind
from bot.errors import ConfigError

__all__ = [
    "CaseReference",
    "Council",
    "Delegated",
    "DelegatedLimit",
    "Forum",
    "ForumSittings",
    "Policy",
    "PolicyError",
    "Reviews",
    "Routing",
    "SendPanel",
    "TimeRange",
    "Urgent",
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


def _non_empty(items: tuple[Any, ...]) -> tuple[Any, ...]:
    # Rather than Field(min_length=1), which also reports a list whose only item was refused as
    # empty: one mistake should give one error.
    if not items:
        raise ValueError("must list at least one")
    return items


Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]
RoleName = Annotated[str, _shaped(r"[a-z][a-z0-9_]*", "a role name (lower-case letters, digits and _)")]
# Members of a role: people (U…, or W… on Enterprise Grid) or Slack user groups (S…).
SlackMemberId = Annotated[str, _shaped(r"[UWS][A-Z0-9]{6,}", "a Slack user ID (U… or W…) or user-group ID (S…)")]
ChannelId = Annotated[
    str, _shaped(r"[CG][A-Z0-9]{6,}", "a Slack channel ID (C…, shown at the foot of the channel's About tab)")
]

# A key's place in the file, as pydantic reports it: ("routing", "delegated_limits", 0, "role").
Loc = tuple[str | int, ...]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
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


class DelegatedLimit(_Table):
    """People in `role` may sign off a case costing up to `max_yearly` pounds a year."""

    role: RoleName
    max_yearly: Annotated[Money, Field(gt=0)]


class Routing(_Table):
    """Where a submitted case goes. An optional key left out turns its rule off."""

    weeks_per_year: int = Field(default=52, ge=1, le=53)
    forum_weekly_threshold: Money | None = None
    forum_threshold_request_types: tuple[RequestType, ...]
    forum_respite_weeks_threshold: Annotated[Decimal, Field(ge=0)] | None = None
    residential_to_forum: bool
    send_panel_request_types: tuple[RequestType, ...]
    delegate_within_ras: bool
    ras_tolerance_percent: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    ras_tolerance_weekly: Money | None = None
    ratify_changes: bool
    urgent_out_of_panel: bool
    delegated_limits: tuple[DelegatedLimit, ...] = ()

    @field_validator("delegated_limits")
    @classmethod
    def _one_limit_per_role(cls, limits: tuple[DelegatedLimit, ...]) -> tuple[DelegatedLimit, ...]:
        roles = [limit.role for limit in limits]
        repeated = sorted({role for role in roles if roles.count(role) > 1})
        if repeated:
            raise ValueError(f"role {repeated[0]!r} has more than one limit")
        # Lowest first, so routing can pick the most junior role whose limit covers a case.
        return tuple(sorted(limits, key=lambda limit: limit.max_yearly))


class ForumSittings(_Table):
    """The forum's hours on each working weekday; a weekday left out has no sitting."""

    monday: TimeRange | None = None
    tuesday: TimeRange | None = None
    wednesday: TimeRange | None = None
    thursday: TimeRange | None = None
    friday: TimeRange | None = None
    # Named only to be refused clearly: a weekend is never a working day, so a sitting there never happens.
    saturday: TimeRange | None = None
    sunday: TimeRange | None = None

    @field_validator("saturday", "sunday")
    @classmethod
    def _not_at_weekends(cls, value: TimeRange | None) -> None:
        if value is not None:
            raise ValueError("the forum sits on working days only, Monday to Friday")

    @model_validator(mode="after")
    def _sits_at_least_once(self) -> ForumSittings:
        if not self.by_weekday():
            raise ValueError('the forum needs at least one sitting, e.g. monday = "13:00-16:30"')
        return self

    def by_weekday(self) -> list[tuple[int, TimeRange]]:
        """(weekday, hours) for each sitting, Monday = 0, in weekday order."""
        return [(number, hours) for number, name in enumerate(_WEEKDAYS) if (hours := getattr(self, name)) is not None]


class Forum(_Table):
    """The Enhanced Peer Forum (seed 003)."""

    channel: ChannelId
    sittings: ForumSittings
    slot_minutes: int = Field(default=30, gt=0, le=240)
    booking_lead_hours: int = Field(ge=0, le=168)
    chair_rota: Annotated[tuple[RoleName, ...], AfterValidator(_non_empty)]
    # The rota's first role chairs this date; the turn passes on every working day after it.
    rota_start: date = date(2023, 11, 20)
    attendance: tuple[str, ...]
    evidence: tuple[str, ...]

    @field_validator("slot_minutes")
    @classmethod
    def _fits_a_sitting(cls, value: int, info: ValidationInfo) -> int:
        sittings: ForumSittings | None = info.data.get("sittings")
        if sittings is not None:
            longest = max(hours.minutes() for _, hours in sittings.by_weekday())
            if value > longest:
                raise ValueError(f"{value} minutes is longer than every sitting (longest: {longest} minutes)")
        return value


# dateutil reads the rule relative to a start date; any fixed date will do to check the syntax. The
# panel's rule gives dates only (its start_time is separate), so naive midnights are what it needs.
_RULE_CHECK_START = datetime.combine(date(2000, 1, 1), time())


class SendPanel(_Table):
    """The monthly SEND Quality Assurance Panel (seed 000)."""

    channel: ChannelId
    rrule: str
    first_sitting: date
    start_time: time
    locations: Annotated[tuple[str, ...], AfterValidator(_non_empty)]
    papers_due_working_days: int = Field(ge=0, le=60)
    practitioner_attends_over_hours_per_month: Annotated[Decimal, Field(ge=0)]
    chair: RoleName
    deputy: RoleName
    members: tuple[RoleName, ...]
    evidence: tuple[str, ...]

    @field_validator("rrule")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            rrulestr(value, dtstart=_RULE_CHECK_START)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{value!r} is not an RFC 5545 RRULE such as 'FREQ=MONTHLY;BYDAY=2WE': {exc}") from None
        return value

    @field_validator("first_sitting")
    @classmethod
    def _is_a_sitting(cls, value: date, info: ValidationInfo) -> date:
        # Locations alternate counting from this date, so it must be a date the rule gives.
        rule_text = info.data.get("rrule")
        if rule_text is not None:
            start = datetime.combine(value, time())
            first = rrulestr(rule_text, dtstart=start).after(start, inc=True)
            if first is None or first.date() != value:
                then = f"; the first on or after it is {first.date()}" if first else ""
                raise ValueError(f"{value} is not a date the rrule gives{then}")
        return value

    def recurrence(self) -> rrule | rruleset:
        """The panel dates as a dateutil rule starting at `first_sitting` (midnight, naive)."""
        return rrulestr(self.rrule, dtstart=datetime.combine(self.first_sitting, time()))


class Delegated(_Table):
    """Delegated sign-off outside panel (seed 001)."""

    channel: ChannelId
    role: RoleName
    evidence: tuple[str, ...]
    spot_check_percent: Annotated[Decimal, Field(ge=0, le=100)]
    spot_checker_role: RoleName


class Urgent(_Table):
    """Urgent decisions out of panel (seed 000)."""

    channel: ChannelId
    role: RoleName
    evidence: tuple[str, ...]


class WorkingDays(_Table):
    closures: tuple[date, ...] = ()
    reminder_hours: TimeRange


class Reviews(_Table):
    send_review_months: int = Field(ge=1, le=24)
    send_resubmission_months: int = Field(ge=1, le=24)
    adults_first_review_weeks: int = Field(ge=1, le=52)
    nudge_decider_after_working_days: int = Field(ge=1, le=30)


class Escalation(_Table):
    """Whose manager hears when a decision is overdue, by the case's route."""

    delegated: RoleName = "operations_managers"  # a team manager's sign-off
    urgent: RoleName = "service_director_asc_operations"  # an operations manager's urgent decision


class Reminders(_Table):
    """Reminder timings beyond those in [reviews] (all optional, with these defaults)."""

    escalate_after_working_days: int = Field(default=5, ge=1, le=60)
    resubmit_nudge_after_working_days: int = Field(default=10, ge=1, le=60)
    adults_review_months: int = Field(default=12, ge=1, le=36)  # reviews after the first
    escalate_to: Escalation = Escalation()


# --- Monitoring visits (seed 002) ----------------------------------------------------------------------

VisitDays = Annotated[int, Field(ge=0, le=365)]

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
    annual_every_months: int = Field(default=12, ge=1, le=36)
    concern_within_days: VisitDays = 10  # of an issue or concern being raised
    rating_within_days: VisitDays = 14  # of an IFA or residential home being judged Good or Outstanding
    action_plan_within_days: VisitDays = 7  # of receiving Ofsted's action plan (Inadequate / Requires improvement)
    supported_16_plus_within_days: VisitDays = 3  # of a young person's 16+ supported accommodation starting
    confirm_days_before: int = Field(default=14, ge=0, le=90)  # confirm the visit with the provider
    working_days: tuple[Annotated[str, AfterValidator(_day_counted)], ...] = ()
    chain: VisitChain = VisitChain()

    def in_working_days(self, name: str) -> bool:
        """True when the rule or step `name` counts working days rather than calendar days."""
        return name in self.working_days


Members = Annotated[tuple[SlackMemberId, ...], AfterValidator(_non_empty)]


class Policy(_Table):
    """One council's policy. Build it with `load_policy`; every table is required."""

    council: Council
    case_reference: CaseReference
    routing: Routing
    forum: Forum
    send_panel: SendPanel
    delegated: Delegated
    urgent: Urgent
    working_days: WorkingDays
    reviews: Reviews
    reminders: Reminders = Reminders()
    visits: Visits = Visits()
    retention: Retention = Retention()
    roles: dict[RoleName, Members]

    @model_validator(mode="after")
    def _roles_are_defined(self) -> Policy:
        for loc, role in self._role_references():
            if role not in self.roles:
                raise PydanticCustomError(
                    "undefined_role",
                    "role '{role}' is not defined in [roles]",
                    {"role": role, "policy_loc": loc},
                )
        return self

    def _role_references(self) -> Iterator[tuple[Loc, str]]:
        for index, role in enumerate(self.forum.chair_rota):
            yield ("forum", "chair_rota", index), role
        yield ("send_panel", "chair"), self.send_panel.chair
        yield ("send_panel", "deputy"), self.send_panel.deputy
        for index, role in enumerate(self.send_panel.members):
            yield ("send_panel", "members", index), role
        yield ("delegated", "role"), self.delegated.role
        yield ("delegated", "spot_checker_role"), self.delegated.spot_checker_role
        yield ("urgent", "role"), self.urgent.role
        yield ("reminders", "escalate_to", "delegated"), self.reminders.escalate_to.delegated
        yield ("reminders", "escalate_to", "urgent"), self.reminders.escalate_to.urgent
        for index, limit in enumerate(self.routing.delegated_limits):
            yield ("routing", "delegated_limits", index, "role"), limit.role

    def evidence_options(self) -> tuple[str, ...]:
        """Every route's evidence, once each, in policy order: what the case form offers to tick."""
        lists = (self.forum.evidence, self.delegated.evidence, self.urgent.evidence, self.send_panel.evidence)
        return tuple(dict.fromkeys(item for evidence in lists for item in evidence))

    def members(self, role: str) -> tuple[str, ...]:
        """The Slack user and user-group IDs in `role`; empty for a role the policy does not name."""
        return self.roles.get(role, ())


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
    loc: Loc = tuple(first.get("ctx", {}).get("policy_loc", first["loc"]))
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
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            return []
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
        if (number := lines.get(loc[:end])) is not None:
            return number
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
