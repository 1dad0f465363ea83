"""The case submission form, validated: `parse_submission(raw, policy=..., submitter=...) -> Submission`.

Pure: no Slack, no database, no clock. A Slack handler turns the submitted modal into `raw`, a dict
keyed by the form's field keys (the `SubmitField` values in messages/slack/ids.py, listed here in
`FORM_KEYS`): text, number, url and select inputs give a string or None, checkboxes a list of the
ticked option values. `parse_submission` returns a frozen `Submission`, or raises `FormErrors`
carrying one short sentence for every field that is wrong, all at once, for the handler to return
as `{"response_action": "errors", "errors": FormErrors.errors}`.

The sentences are ours, not pydantic's, and never repeat what the person typed: the free-text
fields hold special-category personal data and an exception can end up in a log.

Choices the form makes:
- Money is pounds: "412.50", "£412.50", "£1,250.50" (commas only between groups of three digits),
  at most 2 decimal places, never negative, at most `MAX_WEEKLY` a week. A proposed cost of £0 is
  allowed only for a decrease (the package ends); the current cost of an increase or decrease is
  above £0 (with no package yet, it is a new package).
- The current weekly cost is kept only for an increase or a decrease, which need it; for other
  request types it is ignored, even if something was typed there. An urgent reason is kept only
  when the case is ticked urgent. Respite weeks are kept for any request type when given, because
  routing sends long respite inside any package to the forum.
- Hours of support a month are required for every children's SEND case: the SEND panel hears it,
  as its own request or as the exception, endorsement or ratification panel, and the panel's
  attendance rule is decided on those hours.
- Evidence is kept in the policy's order, each item once, whatever order it was ticked in.
- The attendee may be the team manager: no seed forbids it, and in a small team the manager may be
  the senior who attends. Neither may be the submitter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, NoReturn
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from bot.addresses import is_person
from bot.domain.privacy import personal_data_in
from bot.domain.routing import CaseRequest, RequestType, Service
from bot.policy import Policy

__all__ = [
    "ALTERNATIVES_REQUIRED_FOR",
    "FORM_KEYS",
    "MAX_HOURS_PER_MONTH",
    "MAX_TEXT",
    "MAX_WEEKLY",
    "WEEKS_IN_A_YEAR",
    "FormErrors",
    "FormKey",
    "Submission",
    "parse_submission",
]

# A sanity bound that catches a slip of the keyboard (a yearly figure in a weekly box, an extra
# digit); far above any package the seeds describe.
MAX_WEEKLY = Decimal("25000.00")
MAX_HOURS_PER_MONTH = Decimal(744)  # 31 days of 24 hours
WEEKS_IN_A_YEAR = Decimal(52)
MAX_TEXT = 3000  # Slack's limit for a multiline plain-text input
ALTERNATIVES_REQUIRED_FOR = frozenset(
    {RequestType.NEW_PACKAGE, RequestType.INCREASE, RequestType.RESIDENTIAL_PLACEMENT}
)
URGENT_OPTION = "urgent"  # the value of the urgent checkbox's single option

class FormKey(StrEnum):
    """The case form's inputs, whatever the surface: Slack's block ids (messages/slack/ids.py) and Teams'
    input ids (messages/teams/ids.py) are these, and `parse_submission` reads its `raw` by them."""

    REFERENCE = "reference"
    SERVICE = "service"
    REQUEST_TYPE = "request_type"
    PROPOSED_WEEKLY = "proposed_weekly"
    RAS_WEEKLY = "ras_weekly"
    CURRENT_WEEKLY = "current_weekly"
    HOURS_PER_MONTH = "hours_per_month"
    RESPITE_WEEKS = "respite_weeks"
    URGENT = "urgent"
    URGENT_REASON = "urgent_reason"
    STRENGTHS_AND_NEEDS = "strengths_and_needs"
    OUTCOMES = "outcomes"
    ALTERNATIVES = "alternatives"
    EVIDENCE = "evidence"
    RECORD_LINK = "record_link"
    TEAM_MANAGER = "team_manager"
    ATTENDEE = "attendee"
    AGE_BAND = "age_band"
    TOP_UP = "top_up"
    TEAM = "team"


# Submission field -> the form's key for it (the same name, but for the respite weeks).
FORM_KEYS: dict[str, str] = {
    ("respite_weeks_per_year" if key is FormKey.RESPITE_WEEKS else key.value): key.value for key in FormKey
}
TOP_UP_OPTION = "top_up"  # the value of the first-party top-up checkbox's single option

_CHANGES = frozenset({RequestType.INCREASE, RequestType.DECREASE})
_PENNY = Decimal("0.01")
# Pounds: an optional minus (refused later, with its own sentence), an optional £, whole pounds
# written plainly or with commas between groups of three, then any decimals (counted later).
# ASCII digits only: \d would also take other scripts' digits, which Decimal reads without a word.
_POUNDS = re.compile(r"(-?)\s*£?\s*([1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]+)?")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

_FORM_ERROR = "form_field"  # the pydantic error type of every sentence written in this module
_UNREADABLE = "This answer could not be read: enter it again"
_MONEY_EXAMPLE = "like 412.50"


class FormErrors(Exception):
    """The form cannot be accepted as it is.

    `errors` maps a form key (a SubmitField value, which is also the input's block_id) to one
    sentence, under 150 characters, saying how to put it right. Safe to log: it names fields and
    carries our sentences only, never what was typed.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(f"the case form has errors in: {', '.join(sorted(self.errors))}")


def _refuse(sentence: str) -> NoReturn:
    raise PydanticCustomError(_FORM_ERROR, sentence)


def _policy(info: ValidationInfo) -> Policy:
    policy = (info.context or {}).get("policy")
    if not isinstance(policy, Policy):
        raise TypeError(
            "a Submission is checked against the council's policy: use parse_submission(), or "
            "Submission.model_validate(data, context={'policy': policy})"
        )
    return policy


def _clean(value: Any) -> Any:
    """Text stripped, and blank text as None; anything else as it is."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _required(value: Any, sentence: str) -> Any:
    value = _clean(value)
    if value is None:
        _refuse(sentence)
    return value


def _decimal_places(value: Decimal) -> int:
    # Normalised first, so "412.500" counts as 1 place: it is exactly 412.5.
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _read_pounds(value: Any, what: str) -> Any:
    """Form text -> Decimal pounds; anything that is not text passes through for pydantic to type."""
    if not isinstance(value, str):
        return value
    match = _POUNDS.fullmatch(value)
    if match is None:
        _refuse(f"Enter {what} in pounds, {_MONEY_EXAMPLE}")
    sign, pounds, decimals = match.groups()
    return Decimal(sign + pounds.replace(",", "") + (decimals or ""))


def _check_pounds(value: Decimal, what: str) -> Decimal:
    """A weekly amount in pounds and pence within the form's bounds, to the penny."""
    if value.is_signed():  # below zero, or written "-0"
        _refuse(f"{what[0].upper()}{what[1:]} can't be negative: enter it in pounds, {_MONEY_EXAMPLE}")
    if _decimal_places(value) > 2:
        _refuse(f"Use at most 2 decimal places (pence), {_MONEY_EXAMPLE}")
    if value > MAX_WEEKLY:
        _refuse(f"The form takes at most £{MAX_WEEKLY:,.2f} a week: check the amount")
    return value.quantize(_PENNY)


def _read_number(value: Any, sentence: str) -> Any:
    """Form text -> Decimal; anything that is not text passes through for pydantic to type."""
    if not isinstance(value, str):
        return value
    if _NUMBER.fullmatch(value) is None:
        _refuse(sentence)
    return Decimal(value)


def _check_text(value: str) -> str:
    if len(value) > MAX_TEXT:
        _refuse(f"Shorten this to {MAX_TEXT:,} characters or fewer; it has {len(value):,}")
    return value


def _check_user(value: str, sentence: str) -> str:
    if not is_person(value):  # a person on a surface panelbot serves (a people picker never gives a group)
        _refuse(sentence)
    return value


class Submission(BaseModel):
    """A case as submitted on the form, checked against the council's policy.

    Amounts are pounds a week (`Decimal`, to the penny); hours are a month, respite weeks a year.
    `team_manager`, `attendee` and `submitter` are people (bot.addresses). Fields that do not apply to the
    request are None (see the module docstring). Build one with `parse_submission`, or with
    `Submission.model_validate(data, context={"policy": policy})`, which applies the same rules and
    raises pydantic's ValidationError; without the policy in the context it raises TypeError.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, hide_input_in_errors=True)

    # Declared in the order they are checked. A rule that compares fields reads the ones declared
    # above it (ValidationInfo.data), so what a rule depends on comes first; a field that failed its
    # own check is absent there, and the rules that need it are skipped rather than guessed.
    submitter: str
    reference: str
    service: Service
    request_type: RequestType
    current_weekly: Decimal | None = None
    proposed_weekly: Decimal
    ras_weekly: Decimal | None = None
    hours_per_month: Decimal | None = None
    respite_weeks_per_year: Decimal | None = None
    urgent: bool = False
    urgent_reason: str | None = None
    strengths_and_needs: str
    outcomes: str
    alternatives: str | None = None
    evidence: tuple[str, ...] = ()
    record_link: str | None = None
    team_manager: str
    attendee: str | None = None
    age_band: str | None = None
    top_up: bool | None = None
    team: str | None = None

    # --- Who: the submitter, checked by the caller's signed request rather than the form ---

    @field_validator("submitter")
    @classmethod
    def _submitter_is_a_person(cls, value: str) -> str:
        return _check_user(value, "the submitter must be a person's Slack or Teams ID")

    # --- The case ---

    @field_validator("reference", mode="before")
    @classmethod
    def _read_reference(cls, value: Any, info: ValidationInfo) -> Any:
        return _required(value, f"Enter the case-system ID, like {_policy(info).case_reference.example}")

    @field_validator("reference")
    @classmethod
    def _reference_has_the_council_shape(cls, value: str, info: ValidationInfo) -> str:
        case_reference = _policy(info).case_reference
        if found := personal_data_in(value):
            # The reference goes to channels, logs and the audit trail: never a person's details.
            _refuse(f"{found} Use the case-system ID, like {case_reference.example}, not an NHS number or "
                    "other personal details")
        if not case_reference.matches(value):
            _refuse(f"Use the case-system ID, like {case_reference.example}")
        return value

    @field_validator("service", mode="before")
    @classmethod
    def _read_service(cls, value: Any) -> Any:
        value = _required(value, "Choose the service: adults or children's SEND")
        if isinstance(value, str) and value not in set(Service):
            _refuse("Choose the service: adults or children's SEND")
        return value

    @field_validator("request_type", mode="before")
    @classmethod
    def _read_request_type(cls, value: Any) -> Any:
        value = _required(value, "Choose the type of request from the list")
        if isinstance(value, str) and value not in set(RequestType):
            _refuse("Choose the type of request from the list")
        return value

    # --- Money ---

    @field_validator("current_weekly", mode="before")
    @classmethod
    def _read_current(cls, value: Any, info: ValidationInfo) -> Any:
        request_type = info.data.get("request_type")
        if request_type is not None and request_type not in _CHANGES:
            return None  # only a change has a current package to compare with
        return _read_pounds(_clean(value), "the current weekly cost")

    @field_validator("current_weekly")
    @classmethod
    def _current_for_a_change(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        request_type = info.data.get("request_type")
        a_change = "An increase" if request_type is RequestType.INCREASE else "A decrease"
        if value is None and request_type in _CHANGES:
            _refuse(f"{a_change} needs the current weekly cost, {_MONEY_EXAMPLE}")
        if value is None:
            return None
        value = _check_pounds(value, "the current weekly cost")
        if value == 0 and request_type in _CHANGES:
            _refuse("Enter the current weekly cost above £0; if there is no package yet, choose New package")
        return value

    @field_validator("proposed_weekly", mode="before")
    @classmethod
    def _read_proposed(cls, value: Any) -> Any:
        value = _required(value, f"Enter the proposed weekly cost in pounds, {_MONEY_EXAMPLE}")
        return _read_pounds(value, "the proposed weekly cost")

    @field_validator("proposed_weekly")
    @classmethod
    def _proposed_fits_the_request(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        value = _check_pounds(value, "the proposed weekly cost")
        request_type = info.data.get("request_type")
        current = info.data.get("current_weekly")
        if value == 0 and request_type is not RequestType.DECREASE:
            _refuse("Enter a weekly cost above £0; to end a package, choose Decrease and enter 0")
        if current is not None and request_type is RequestType.INCREASE and value <= current:
            _refuse("An increase must cost more than the current weekly cost: check both, or choose Decrease")
        if current is not None and request_type is RequestType.DECREASE and value >= current:
            _refuse("A decrease must cost less than the current weekly cost: check both, or choose Increase")
        return value

    @field_validator("ras_weekly", mode="before")
    @classmethod
    def _read_ras(cls, value: Any) -> Any:
        return _read_pounds(_clean(value), "the RAS indicative budget")

    @field_validator("ras_weekly")
    @classmethod
    def _ras_in_bounds(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _check_pounds(value, "the RAS indicative budget")

    # --- Hours and weeks ---

    @field_validator("hours_per_month", mode="before")
    @classmethod
    def _read_hours(cls, value: Any) -> Any:
        return _read_number(_clean(value), "Enter the hours of support a month as a number, like 40 or 37.5")

    @field_validator("hours_per_month")
    @classmethod
    def _hours_in_a_month(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None:
            if info.data.get("service") is Service.CHILDREN_SEND and \
                    "hours_per_month_over" in _policy(info).facts_used():
                _refuse("Enter the hours of support a month: the panel uses them to decide if you attend")
            return None
        if value.is_signed():  # below zero, or written "-0"
            _refuse("Hours can't be negative: enter 0 or more")
        if _decimal_places(value) > 2:
            _refuse("Use at most 2 decimal places, like 37.5")
        if value > MAX_HOURS_PER_MONTH:
            _refuse(f"A month has at most {MAX_HOURS_PER_MONTH} hours: enter {MAX_HOURS_PER_MONTH} or fewer")
        return value

    @field_validator("respite_weeks_per_year", mode="before")
    @classmethod
    def _read_respite_weeks(cls, value: Any) -> Any:
        return _read_number(_clean(value), "Enter the weeks of respite a year as a number, like 4 or 4.5")

    @field_validator("respite_weeks_per_year")
    @classmethod
    def _weeks_in_a_year(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        respite = info.data.get("request_type") is RequestType.RESPITE
        if value is None:
            if respite:
                _refuse("A respite request needs the weeks of respite a year, like 4 or 4.5")
            return None
        if value <= 0:
            or_empty = "" if respite else ", or leave it empty"
            _refuse(f"Enter more than 0 weeks of respite a year, like 4 or 4.5{or_empty}")
        if _decimal_places(value) > 2:
            _refuse("Use at most 2 decimal places, like 4.5")
        if value > WEEKS_IN_A_YEAR:
            _refuse(f"A year has {WEEKS_IN_A_YEAR} weeks: enter {WEEKS_IN_A_YEAR} or fewer")
        return value

    # --- Urgency ---

    @field_validator("urgent", mode="before")
    @classmethod
    def _read_urgent_box(cls, value: Any) -> Any:
        if value is None:
            return False
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            if not set(value) <= {URGENT_OPTION}:
                _refuse("Tick the urgent box or leave it clear, then submit again")
            return URGENT_OPTION in value
        return value

    @field_validator("urgent_reason", mode="before")
    @classmethod
    def _read_urgent_reason(cls, value: Any, info: ValidationInfo) -> Any:
        if info.data.get("urgent") is False:
            return None  # a reason without the box ticked does not make the case urgent
        return _clean(value)

    @field_validator("urgent_reason")
    @classmethod
    def _reason_for_urgency(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("urgent") is True:
                _refuse("Say why this case can't wait for the next panel")
            return None
        return _check_text(value)

    # --- What the decider reads ---

    @field_validator("strengths_and_needs", mode="before")
    @classmethod
    def _read_strengths_and_needs(cls, value: Any) -> Any:
        return _required(value, "Describe the person's strengths and eligible needs")

    @field_validator("outcomes", mode="before")
    @classmethod
    def _read_outcomes(cls, value: Any) -> Any:
        return _required(value, "Describe the outcomes this support should achieve")

    @field_validator("alternatives", mode="before")
    @classmethod
    def _read_alternatives(cls, value: Any) -> Any:
        return _clean(value)

    @field_validator("strengths_and_needs", "outcomes")
    @classmethod
    def _text_fits(cls, value: str) -> str:
        return _check_text(value)

    @field_validator("alternatives")
    @classmethod
    def _alternatives_explored(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("request_type") in ALTERNATIVES_REQUIRED_FOR:
                _refuse("Say what other support you explored, such as community agents or OT")
            return None
        return _check_text(value)

    @field_validator("evidence", mode="before")
    @classmethod
    def _read_evidence(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            return value  # for pydantic to refuse
        offered = _policy(info).evidence_options()
        if not set(value) <= set(offered):
            # Slack only sends the options it was given: the policy changed while the form was open.
            _refuse("Tick only the evidence listed; if the list has changed, close the form and open it again")
        return tuple(item for item in offered if item in value)

    @field_validator("record_link", mode="before")
    @classmethod
    def _read_record_link(cls, value: Any) -> Any:
        return _clean(value)

    @field_validator("record_link")
    @classmethod
    def _secure_link(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
        except ValueError:  # e.g. an unclosed "[" where an IPv6 host would be
            _refuse("Paste the full link to the case record, starting https://")
        if parts.scheme.lower() == "http":
            _refuse("Case records are internal systems: paste the secure https:// link, not http://")
        if parts.scheme.lower() != "https" or not parts.hostname or re.search(r"\s", value):
            _refuse("Paste the full link to the case record, starting https://")
        return _check_text(value)

    # --- Who signs off and who attends ---

    @field_validator("team_manager", mode="before")
    @classmethod
    def _read_team_manager(cls, value: Any) -> Any:
        return _required(value, "Choose the team manager who signs off your case")

    @field_validator("team_manager")
    @classmethod
    def _team_manager_is_someone_else(cls, value: str, info: ValidationInfo) -> str:
        _check_user(value, "Choose the team manager from the list of people")
        if value == info.data.get("submitter"):
            _refuse("You can't sign off your own case: choose your team manager")
        return value

    @field_validator("attendee", mode="before")
    @classmethod
    def _read_attendee(cls, value: Any) -> Any:
        return _clean(value)

    @field_validator("attendee")
    @classmethod
    def _attendee_is_someone_else(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        _check_user(value, "Choose the person attending from the list of people")
        if value == info.data.get("submitter"):
            _refuse("Choose someone other than yourself to attend")
        return value

    # --- Facts the council's rules use (asked only when a rule uses them) ---

    @field_validator("age_band", "team", mode="before")
    @classmethod
    def _read_listed(cls, value: Any, info: ValidationInfo) -> Any:
        policy = _policy(info)
        name = info.field_name
        listed = policy.case_form.age_bands if name == "age_band" else policy.case_form.teams
        value = _clean(value)
        used = f"{name}" in policy.facts_used()
        what = "age band" if name == "age_band" else "team"
        if value is None:
            if used:
                _refuse(f"Choose the person's {what}: the council's rules depend on it")
            return None
        if not isinstance(value, str) or value not in listed:
            _refuse(f"Choose the {what} from the list")
        return value

    @field_validator("top_up", mode="before")
    @classmethod
    def _read_top_up(cls, value: Any, info: ValidationInfo) -> Any:
        if "top_up" not in _policy(info).facts_used():
            return None
        if value is None:
            return False
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            if not set(value) <= {TOP_UP_OPTION}:
                _refuse("Tick the top-up box or leave it clear, then submit again")
            return TOP_UP_OPTION in value
        return value

    def to_case_request(self) -> CaseRequest:
        """The figures routing needs (`bot.domain.routing.route_case`)."""
        return CaseRequest(
            service=self.service,
            request_type=self.request_type,
            proposed_weekly=self.proposed_weekly,
            ras_weekly=self.ras_weekly,
            current_weekly=self.current_weekly,
            hours_per_month=self.hours_per_month,
            respite_weeks_per_year=self.respite_weeks_per_year,
            urgent=self.urgent,
            age_band=self.age_band,
            top_up=self.top_up,
            team=self.team,
        )


def parse_submission(raw: Mapping[str, str | list[str] | None], *, policy: Policy, submitter: str) -> Submission:
    """Check the submitted form against `policy`; `submitter` is the person (bot.addresses) who submitted it.

    `raw` is keyed by `FORM_KEYS` values; a key left out counts as an empty input, and keys the form
    does not have are ignored. Returns the `Submission`, or raises `FormErrors` with a sentence for
    every field that is wrong. Raises ValueError if `submitter` is not a person's id: that is the
    caller's mistake, not something the person filling in the form can fix.
    """
    data: dict[str, Any] = {field: raw.get(key) for field, key in FORM_KEYS.items()}
    data["submitter"] = submitter
    try:
        return Submission.model_validate(data, context={"policy": policy})
    except ValidationError as exc:
        errors, not_on_the_form = _sentences(exc)
    # Raised outside the except block so that pydantic's error, which quotes what was typed, is not
    # chained onto ours and cannot reach a log with the traceback.
    if not_on_the_form:
        raise ValueError(f"cannot check a case submission: {'; '.join(not_on_the_form)}")
    raise FormErrors(errors)


def _sentences(exc: ValidationError) -> tuple[dict[str, str], list[str]]:
    """(form key -> the first sentence for that field, problems with anything not on the form)."""
    errors: dict[str, str] = {}
    not_on_the_form: list[str] = []
    for error in exc.errors(include_input=False, include_url=False):
        field = error["loc"][0] if error["loc"] else None
        key = FORM_KEYS.get(field) if isinstance(field, str) else None
        if key is None:
            not_on_the_form.append(f"{field or 'submission'}: {error['msg']}")
        else:
            errors.setdefault(key, error["msg"] if error["type"] == _FORM_ERROR else _UNREADABLE)
    return errors, not_on_the_form
