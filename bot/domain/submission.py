"""The case submission form, validated: `parse_submission(raw, policy=..., submitter=...) -> Submission`.

Pure: no Slack, no database, no clock. A Slack handler turns the submitted modal into `raw`, a dict
keyed by the form's field keys (the `SubmitField` values in messages/slack/ids.py, listed here in
`FORM_KEYS`): text, number, url and select inputs give a string or None, checkboxes a list of the
ticked option values. `parse_submission` returns a frozen `Submission`, or raises `FormErrors`
carrying one refusal (bot.refusals) for every field that is wrong, all at once, for the handler to
word and return as `{"response_action": "errors", "errors": …}`.

The refusals are ours, not pydantic's, and never carry what the person typed: the free-text fields
hold special-category personal data and an exception can end up in a log.

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
from bot.refusals import Problem, Refusal

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

_FORM_ERROR = "form_field"  # the pydantic error type of every refusal raised in this module


class FormErrors(Exception):
    """The form cannot be accepted as it is.

    `errors` maps a form key (a SubmitField value, which is also the input's block_id) to one
    refusal saying how to put it right (its sentence is under 150 characters). Safe to log: it names
    fields and codes only, and its facts never hold what was typed.
    """

    def __init__(self, errors: Mapping[str, Problem]) -> None:
        self.errors = dict(errors)
        super().__init__(f"the case form has errors in: {', '.join(sorted(self.errors))}")


def _refuse(code: Refusal, **facts: Any) -> NoReturn:
    raise PydanticCustomError(_FORM_ERROR, code.value, {"problem": Problem(code, **facts)})


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


def _required(value: Any, code: Refusal, **facts: Any) -> Any:
    value = _clean(value)
    if value is None:
        _refuse(code, **facts)
    return value


def _decimal_places(value: Decimal) -> int:
    # Normalised first, so "412.500" counts as 1 place: it is exactly 412.5.
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _read_pounds(value: Any, amount: FormKey) -> Any:
    """Form text -> Decimal pounds; anything that is not text passes through for pydantic to type."""
    if not isinstance(value, str):
        return value
    match = _POUNDS.fullmatch(value)
    if match is None:
        _refuse(Refusal.MONEY_UNREADABLE, amount=amount)
    sign, pounds, decimals = match.groups()
    return Decimal(sign + pounds.replace(",", "") + (decimals or ""))


def _check_pounds(value: Decimal, amount: FormKey) -> Decimal:
    """A weekly amount in pounds and pence within the form's bounds, to the penny."""
    if value.is_signed():  # below zero, or written "-0"
        _refuse(Refusal.MONEY_NEGATIVE, amount=amount)
    if _decimal_places(value) > 2:
        _refuse(Refusal.PENCE_PLACES)
    if value > MAX_WEEKLY:
        _refuse(Refusal.MONEY_OVER_MAX, limit=MAX_WEEKLY)
    return value.quantize(_PENNY)


def _read_number(value: Any, code: Refusal) -> Any:
    """Form text -> Decimal; anything that is not text passes through for pydantic to type."""
    if not isinstance(value, str):
        return value
    if _NUMBER.fullmatch(value) is None:
        _refuse(code)
    return Decimal(value)


def _check_text(value: str) -> str:
    if len(value) > MAX_TEXT:
        _refuse(Refusal.FORM_TEXT_TOO_LONG, limit=MAX_TEXT, length=len(value))
    return value


def _check_user(value: str, code: Refusal) -> str:
    if not is_person(value):  # a person on a surface panelbot serves (a people picker never gives a group)
        _refuse(code)
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
        return _check_user(value, Refusal.SUBMITTER_NOT_A_PERSON)

    # --- The case ---

    @field_validator("reference", mode="before")
    @classmethod
    def _read_reference(cls, value: Any, info: ValidationInfo) -> Any:
        return _required(value, Refusal.REFERENCE_NEEDED, example=_policy(info).case_reference.example)

    @field_validator("reference")
    @classmethod
    def _reference_has_the_council_shape(cls, value: str, info: ValidationInfo) -> str:
        case_reference = _policy(info).case_reference
        if found := personal_data_in(value):
            # The reference goes to channels, logs and the audit trail: never a person's details.
            _refuse(Refusal.REFERENCE_PERSONAL, found=found, example=case_reference.example)
        if not case_reference.matches(value):
            _refuse(Refusal.REFERENCE_SHAPE, example=case_reference.example)
        return value

    @field_validator("service", mode="before")
    @classmethod
    def _read_service(cls, value: Any) -> Any:
        value = _required(value, Refusal.SERVICE_NEEDED)
        if isinstance(value, str) and value not in set(Service):
            _refuse(Refusal.SERVICE_NEEDED)
        return value

    @field_validator("request_type", mode="before")
    @classmethod
    def _read_request_type(cls, value: Any) -> Any:
        value = _required(value, Refusal.REQUEST_TYPE_NEEDED)
        if isinstance(value, str) and value not in set(RequestType):
            _refuse(Refusal.REQUEST_TYPE_NEEDED)
        return value

    # --- Money ---

    @field_validator("current_weekly", mode="before")
    @classmethod
    def _read_current(cls, value: Any, info: ValidationInfo) -> Any:
        request_type = info.data.get("request_type")
        if request_type is not None and request_type not in _CHANGES:
            return None  # only a change has a current package to compare with
        return _read_pounds(_clean(value), FormKey.CURRENT_WEEKLY)

    @field_validator("current_weekly")
    @classmethod
    def _current_for_a_change(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        request_type = info.data.get("request_type")
        if value is None and request_type in _CHANGES:
            _refuse(Refusal.CURRENT_NEEDED_INCREASE if request_type is RequestType.INCREASE
                    else Refusal.CURRENT_NEEDED_DECREASE)
        if value is None:
            return None
        value = _check_pounds(value, FormKey.CURRENT_WEEKLY)
        if value == 0 and request_type in _CHANGES:
            _refuse(Refusal.CURRENT_ZERO)
        return value

    @field_validator("proposed_weekly", mode="before")
    @classmethod
    def _read_proposed(cls, value: Any) -> Any:
        value = _required(value, Refusal.PROPOSED_NEEDED)
        return _read_pounds(value, FormKey.PROPOSED_WEEKLY)

    @field_validator("proposed_weekly")
    @classmethod
    def _proposed_fits_the_request(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        value = _check_pounds(value, FormKey.PROPOSED_WEEKLY)
        request_type = info.data.get("request_type")
        current = info.data.get("current_weekly")
        if value == 0 and request_type is not RequestType.DECREASE:
            _refuse(Refusal.PROPOSED_ZERO)
        if current is not None and request_type is RequestType.INCREASE and value <= current:
            _refuse(Refusal.INCREASE_NOT_MORE)
        if current is not None and request_type is RequestType.DECREASE and value >= current:
            _refuse(Refusal.DECREASE_NOT_LESS)
        return value

    @field_validator("ras_weekly", mode="before")
    @classmethod
    def _read_ras(cls, value: Any) -> Any:
        return _read_pounds(_clean(value), FormKey.RAS_WEEKLY)

    @field_validator("ras_weekly")
    @classmethod
    def _ras_in_bounds(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _check_pounds(value, FormKey.RAS_WEEKLY)

    # --- Hours and weeks ---

    @field_validator("hours_per_month", mode="before")
    @classmethod
    def _read_hours(cls, value: Any) -> Any:
        return _read_number(_clean(value), Refusal.HOURS_UNREADABLE)

    @field_validator("hours_per_month")
    @classmethod
    def _hours_in_a_month(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None:
            if info.data.get("service") is Service.CHILDREN_SEND and \
                    "hours_per_month_over" in _policy(info).facts_used():
                _refuse(Refusal.HOURS_NEEDED)
            return None
        if value.is_signed():  # below zero, or written "-0"
            _refuse(Refusal.HOURS_NEGATIVE)
        if _decimal_places(value) > 2:
            _refuse(Refusal.HOURS_PLACES)
        if value > MAX_HOURS_PER_MONTH:
            _refuse(Refusal.HOURS_OVER_MONTH, limit=MAX_HOURS_PER_MONTH)
        return value

    @field_validator("respite_weeks_per_year", mode="before")
    @classmethod
    def _read_respite_weeks(cls, value: Any) -> Any:
        return _read_number(_clean(value), Refusal.RESPITE_UNREADABLE)

    @field_validator("respite_weeks_per_year")
    @classmethod
    def _weeks_in_a_year(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        respite = info.data.get("request_type") is RequestType.RESPITE
        if value is None:
            if respite:
                _refuse(Refusal.RESPITE_NEEDED)
            return None
        if value <= 0:
            _refuse(Refusal.RESPITE_NOT_POSITIVE if respite else Refusal.RESPITE_NOT_POSITIVE_OPTIONAL)
        if _decimal_places(value) > 2:
            _refuse(Refusal.RESPITE_PLACES)
        if value > WEEKS_IN_A_YEAR:
            _refuse(Refusal.RESPITE_OVER_YEAR, limit=WEEKS_IN_A_YEAR)
        return value

    # --- Urgency ---

    @field_validator("urgent", mode="before")
    @classmethod
    def _read_urgent_box(cls, value: Any) -> Any:
        if value is None:
            return False
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            if not set(value) <= {URGENT_OPTION}:
                _refuse(Refusal.URGENT_BOX)
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
                _refuse(Refusal.URGENT_REASON_NEEDED)
            return None
        return _check_text(value)

    # --- What the decider reads ---

    @field_validator("strengths_and_needs", mode="before")
    @classmethod
    def _read_strengths_and_needs(cls, value: Any) -> Any:
        return _required(value, Refusal.STRENGTHS_NEEDED)

    @field_validator("outcomes", mode="before")
    @classmethod
    def _read_outcomes(cls, value: Any) -> Any:
        return _required(value, Refusal.OUTCOMES_NEEDED)

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
                _refuse(Refusal.ALTERNATIVES_NEEDED)
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
            _refuse(Refusal.EVIDENCE_UNLISTED)
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
            _refuse(Refusal.RECORD_LINK_UNREADABLE)
        if parts.scheme.lower() == "http":
            _refuse(Refusal.RECORD_LINK_HTTP)
        if parts.scheme.lower() != "https" or not parts.hostname or re.search(r"\s", value):
            _refuse(Refusal.RECORD_LINK_UNREADABLE)
        return _check_text(value)

    # --- Who signs off and who attends ---

    @field_validator("team_manager", mode="before")
    @classmethod
    def _read_team_manager(cls, value: Any) -> Any:
        return _required(value, Refusal.TEAM_MANAGER_NEEDED)

    @field_validator("team_manager")
    @classmethod
    def _team_manager_is_someone_else(cls, value: str, info: ValidationInfo) -> str:
        _check_user(value, Refusal.TEAM_MANAGER_NOT_A_PERSON)
        if value == info.data.get("submitter"):
            _refuse(Refusal.OWN_SIGN_OFF)
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
        _check_user(value, Refusal.ATTENDEE_NOT_A_PERSON)
        if value == info.data.get("submitter"):
            _refuse(Refusal.ATTENDEE_SELF)
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
        choice = FormKey.AGE_BAND if name == "age_band" else FormKey.TEAM
        if value is None:
            if used:
                _refuse(Refusal.LISTED_NEEDED, choice=choice)
            return None
        if not isinstance(value, str) or value not in listed:
            _refuse(Refusal.LISTED_UNKNOWN, choice=choice)
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
                _refuse(Refusal.TOP_UP_BOX)
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
    does not have are ignored. Returns the `Submission`, or raises `FormErrors` with a refusal for
    every field that is wrong. Raises ValueError if `submitter` is not a person's id: that is the
    caller's mistake, not something the person filling in the form can fix.
    """
    data: dict[str, Any] = {field: raw.get(key) for field, key in FORM_KEYS.items()}
    data["submitter"] = submitter
    try:
        return Submission.model_validate(data, context={"policy": policy})
    except ValidationError as exc:
        errors, not_on_the_form = _refusals(exc)
    # Raised outside the except block so that pydantic's error, which quotes what was typed, is not
    # chained onto ours and cannot reach a log with the traceback.
    if not_on_the_form:
        raise ValueError(f"cannot check a case submission: {'; '.join(not_on_the_form)}")
    raise FormErrors(errors)


def _refusals(exc: ValidationError) -> tuple[dict[str, Problem], list[str]]:
    """(form key -> the first refusal for that field, problems with anything not on the form)."""
    errors: dict[str, Problem] = {}
    not_on_the_form: list[str] = []
    for error in exc.errors(include_input=False, include_url=False):
        field = error["loc"][0] if error["loc"] else None
        key = FORM_KEYS.get(field) if isinstance(field, str) else None
        if key is None:
            not_on_the_form.append(f"{field or 'submission'}: {error['msg']}")
        else:
            ours = error["type"] == _FORM_ERROR and isinstance((error.get("ctx") or {}).get("problem"), Problem)
            errors.setdefault(key, error["ctx"]["problem"] if ours else Problem(Refusal.ANSWER_UNREADABLE))
    return errors, not_on_the_form
