"""The case form in Teams ("submit", or the home card's button): an Adaptive Card dialog driven by the
council's policy like messages/slack/submit.py's modal, the same form again with the errors a refusal
names, the reading of its answers into what `bot.domain.submission.parse_submission` takes, and the
card it turns into once the case is submitted.

Every input's id is its SubmitInput, which is the `FORM_KEYS` value parse_submission reads. The form
asks for everything any route may need; which optional fields a request type needs is the server's
decision, and a refusal (`FormErrors.errors`, worded, keyed by the same ids) comes back with
`submit_form(..., answers=..., errors=...)`: each sentence in red under its field, the answers given
so far filled in. The form holds what the practitioner types about the person, so it is shown only
as a dialog or in panelbot's personal chat, never in a channel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.cases import CaseView
from bot.domain.routing import REQUEST_TYPE_LABELS, SERVICE_LABELS, RequestType, Service
from bot.domain.submission import FORM_KEYS, TOP_UP_OPTION, URGENT_OPTION
from bot.policy import Policy
from messages.teams.cases import receipt_actions, receipt_body
from messages.teams.elements import (
    MAX_TEXT,
    NO_NAMES,
    Card,
    Names,
    bold,
    card,
    choice_input,
    execute,
    heading,
    number_input,
    para,
    person_input,
    text_input,
    toggle_input,
)
from messages.teams.ids import SubmitInput, Verb
from messages.words import cut

__all__ = [
    "PRIVACY_NOTE",
    "URGENT_LABEL",
    "evidence_key",
    "read_answers",
    "refused_form",
    "submit_form",
    "submitted_card",
]

PRIVACY_NOTE = "Details stay in panelbot: channels show only the case reference and amounts."
URGENT_LABEL = "Urgent: needs a decision before the next panel"
_ERRORS_NOTE = "Please put right what is marked below, then submit again."

Answers = Mapping[str, str | list[str] | None]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def evidence_key(item: str) -> str:
    """The choice value of one piece of evidence: short, stable and without a comma (a multi-select
    answers with its values joined by commas, and evidence may have a comma in its name)."""
    return "ev-" + hashlib.sha256(item.encode("utf-8")).hexdigest()[:12]


def _text(answers: Answers, field: SubmitInput) -> str | None:
    value = answers.get(field.value)
    return value if isinstance(value, str) and value else None


def _number(answers: Answers, field: SubmitInput) -> float | None:
    value = _text(answers, field)
    if value is None:
        return None
    try:
        return float(value.replace("£", "").replace(",", ""))
    except ValueError:
        return None


def _ticked(answers: Answers, field: SubmitInput, option: str) -> bool:
    value = answers.get(field.value)
    return option in value if isinstance(value, list) else value == option


def _money_input(field: SubmitInput, label: str, answers: Answers, errors: Mapping[str, str], *, required: bool,
                 hint: str | None = None, needed: str | None = None) -> list[dict[str, Any]]:
    return number_input(field, f"{label} (£ a week)", required=required, minimum=0, value=_number(answers, field),
                        hint=hint, error=errors.get(field), needed=needed)


def _free_text(field: SubmitInput, label: str, placeholder: str, answers: Answers, errors: Mapping[str, str], *,
               required: bool, hint: str | None = None, needed: str | None = None) -> list[dict[str, Any]]:
    return text_input(field, label, required=required, multiline=True, max_length=MAX_TEXT, placeholder=placeholder,
                      value=_text(answers, field), hint=hint, error=errors.get(field), needed=needed)


def _fact_inputs(policy: Policy, facts: frozenset[str], answers: Answers,
                 errors: Mapping[str, str]) -> list[dict[str, Any]]:
    """The facts the council's routing rules use beyond the figures: age band, team, top-up."""
    inputs: list[dict[str, Any]] = []
    if "age_band" in facts:
        inputs += choice_input(SubmitInput.AGE_BAND, "Age band", [(band, band) for band in policy.case_form.age_bands],
                               required=True, placeholder="Choose an age band",
                               value=_text(answers, SubmitInput.AGE_BAND), error=errors.get(SubmitInput.AGE_BAND))
    if "team" in facts:
        inputs += choice_input(SubmitInput.TEAM, "Your team", [(team, team) for team in policy.case_form.teams],
                               required=True, placeholder="Choose your team", value=_text(answers, SubmitInput.TEAM),
                               error=errors.get(SubmitInput.TEAM))
    if "top_up" in facts:
        inputs += toggle_input(SubmitInput.TOP_UP, "First-party top-up", "A family member or friend pays a top-up",
                               value_on=TOP_UP_OPTION, on=_ticked(answers, SubmitInput.TOP_UP, TOP_UP_OPTION),
                               error=errors.get(SubmitInput.TOP_UP))
    return inputs


def submit_form(policy: Policy, *, team_managers: Sequence[str] = (), attendees: Sequence[str] = (),
                names: Names = NO_NAMES, answers: Answers | None = None,
                errors: Mapping[str, str] | None = None) -> Card:
    """The case form. `team_managers` (the ids in the policy's team manager role) and `attendees`
    (advanced practitioners and service managers) fill the two people drop-downs, shown by name; left
    empty, each asks for a work e-mail address instead. `answers` (in parse_submission's form, as
    `read_answers` gives them) fill the form in again and `errors` (FormErrors.errors, worded) put each sentence
    under its field. A policy that asks for no evidence gets no evidence input. Submit:
    Verb.SUBMIT_CASE."""
    answers = answers or {}
    errors = errors or {}
    field = SubmitInput
    facts = policy.facts_used()
    attendance = "; ".join(dict.fromkeys(item for body in policy.bodies.values() if body.attendee_required
                                         for item in body.attendance))
    services = [(_sentence(SERVICE_LABELS[service]), service.value) for service in Service]
    request_types = [(_sentence(REQUEST_TYPE_LABELS[kind]), kind.value) for kind in RequestType]
    evidence = policy.evidence_options()
    ticked = answers.get(field.EVIDENCE.value)
    ticked_items = ticked if isinstance(ticked, list) else []

    body: list[dict[str, Any]] = [heading("Submit a case"), para(PRIVACY_NOTE, subtle=True)]
    if errors:
        body.append(para(_ERRORS_NOTE, color="attention"))
    body += [
        para("The request", size="Medium"),
        *text_input(field.REFERENCE, "Case reference", required=True, max_length=100,
                    placeholder=cut(policy.case_reference.example, 150), value=_text(answers, field.REFERENCE),
                    hint="The person's ID in the case system. It is the only detail channels show.",
                    error=errors.get(field.REFERENCE), needed="Enter the case reference."),
        *choice_input(field.SERVICE, "Service", services, required=True, placeholder="Choose a service",
                      value=_text(answers, field.SERVICE), error=errors.get(field.SERVICE),
                      needed="Choose a service."),
        *choice_input(field.REQUEST_TYPE, "Request type", request_types, required=True,
                      placeholder="Choose a request type", value=_text(answers, field.REQUEST_TYPE),
                      error=errors.get(field.REQUEST_TYPE), needed="Choose a request type."),
        *_money_input(field.PROPOSED_WEEKLY, "Proposed cost", answers, errors, required=True,
                      hint="The whole package, after any change", needed="Enter the proposed weekly cost."),
    ]
    if "within_ras" in facts:
        body += _money_input(field.RAS_WEEKLY, "RAS indicative budget", answers, errors, required=False,
                             hint="Without it, the case cannot be signed off within the RAS")
    body += _money_input(field.CURRENT_WEEKLY, "Current cost", answers, errors, required=False,
                         hint="Needed for an increase or decrease")
    if "hours_per_month_over" in facts:
        body += number_input(field.HOURS_PER_MONTH, "Hours of support a month", required=False, minimum=0,
                             maximum=744, value=_number(answers, field.HOURS_PER_MONTH),
                             hint="For children's SEND, the panel needs this", error=errors.get(field.HOURS_PER_MONTH))
    body += _fact_inputs(policy, facts, answers, errors)
    body += [
        *number_input(field.RESPITE_WEEKS, "Respite weeks a year", required=False, minimum=0, maximum=52,
                      value=_number(answers, field.RESPITE_WEEKS), hint="Needed for respite",
                      error=errors.get(field.RESPITE_WEEKS)),
        *toggle_input(field.URGENT, "Urgent", URGENT_LABEL, value_on=URGENT_OPTION,
                      on=_ticked(answers, field.URGENT, URGENT_OPTION), error=errors.get(field.URGENT)),
        *_free_text(field.URGENT_REASON, "Why it cannot wait", "What happens if this waits for the next panel",
                    answers, errors, required=False, hint="Needed if urgent"),
        para("The person", size="Medium"),
        para("Shown only to people with a role on this case, never in a channel.", subtle=True, tight=True),
        *_free_text(field.STRENGTHS_AND_NEEDS, "Strengths and eligible needs",
                    "Strengths, eligible needs and the work done so far", answers, errors, required=True,
                    needed="Describe the person's strengths and eligible needs."),
        *_free_text(field.OUTCOMES, "Outcomes", "What the support will achieve, and the possible outcomes",
                    answers, errors, required=True, needed="Describe the outcomes this support should achieve."),
        *_free_text(field.ALTERNATIVES, "Alternative support considered",
                    "Community agents, occupational therapy, family and friends…", answers, errors, required=False),
        para("Evidence and people", size="Medium"),
    ]
    if evidence:
        body += choice_input(field.EVIDENCE, "Evidence on the case record",
                             [(item, evidence_key(item)) for item in evidence], required=False, multi=True,
                             expanded=True, value=",".join(evidence_key(item) for item in ticked_items),
                             hint="Tick what is attached; the receipt lists what the deciding body still needs",
                             error=errors.get(field.EVIDENCE))
    body += [
        *text_input(field.RECORD_LINK, "Link to the case record", required=False, max_length=2000,
                    placeholder="https://", value=_text(answers, field.RECORD_LINK),
                    hint="Shown only to people with a role on this case", error=errors.get(field.RECORD_LINK)),
        *person_input(field.TEAM_MANAGER, "Your team manager", team_managers, names, required=True,
                      value=_text(answers, field.TEAM_MANAGER),
                      hint="Signs off the case if it is within delegated limits",
                      error=errors.get(field.TEAM_MANAGER), needed="Choose the team manager who signs off your case."),
        *person_input(field.ATTENDEE, "Attending the forum with you", attendees, names, required=False,
                      value=_text(answers, field.ATTENDEE),
                      hint=cut(_sentence(attendance), 2000) if attendance else None, error=errors.get(field.ATTENDEE)),
    ]
    # Errors on fields this policy's form does not show still reach the person, at the top.
    shown = {block.get("id") for block in body}
    stray = [sentence for key, sentence in errors.items() if key not in shown]
    if stray:
        body[2:2] = [para("⚠ ", sentence, color="attention", tight=True) for sentence in stray]
    return card(body, [execute("Submit", Verb.SUBMIT_CASE, style="positive"), execute("Cancel", Verb.CLOSE_FORM)],
                summary="Submit a case")


def read_answers(data: Mapping[str, Any], policy: Policy) -> dict[str, str | list[str] | None]:
    """The case form's answers (an Action.Execute's data, keyed by input id) in the form
    parse_submission reads: text as typed, blank as None; the urgent and top-up boxes as the list of
    ticked values; the evidence as the list of items ticked (an unknown value is passed on as it came,
    for parse_submission to refuse). Keys the form does not have are left out."""
    raw: dict[str, str | list[str] | None] = {}
    by_key = {evidence_key(item): item for item in policy.evidence_options()}
    for key in FORM_KEYS.values():
        value = data.get(key)
        text = str(value).strip() if value is not None else ""
        if key == SubmitInput.EVIDENCE:
            raw[key] = [by_key.get(part, part) for part in text.split(",") if part] or None
        elif key in (SubmitInput.URGENT, SubmitInput.TOP_UP):
            raw[key] = [text] if text else None
        else:
            raw[key] = str(value) if value is not None and text else None
    return raw


def refused_form(policy: Policy, data: Mapping[str, Any], errors: Mapping[str, str], *,
                 team_managers: Sequence[str] = (), attendees: Sequence[str] = (), names: Names = NO_NAMES) -> Card:
    """The form again after parse_submission refused `data` (the Action.Execute's data): what was
    given filled in, and each of `errors` (FormErrors.errors, worded) under its field."""
    return submit_form(policy, team_managers=team_managers, attendees=attendees, names=names,
                       answers=read_answers(data, policy), errors=errors)


def submitted_card(case: CaseView, names: Names = NO_NAMES, *, corrected: tuple[str, ...] = ()) -> Card:
    """What the case form becomes once accepted: the receipt, and for a correction what changed."""
    body = receipt_body(case, names)
    if corrected:
        body = [para(bold(f"Case {case.reference} is corrected: "), "; ".join(corrected) + "."), *body]
    title = "Case corrected" if corrected else "Case submitted"
    return card([heading(title), *body], receipt_actions(case, open_button=False),
                summary=f"{title}: {case.reference}")
