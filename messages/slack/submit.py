"""The case form (`/panel submit` and the global shortcut) and the view it turns into once submitted.

Every input block's `block_id` is its `SubmitField` and every element's `action_id` is `VALUE`, so
a handler reads `view.state.values[field][VALUE]`. The form asks for everything any route may need;
which optional fields a request type needs is the server's decision, and it answers with inline
errors (`response_action: errors`) keyed by the same `SubmitField` values.
"""

from __future__ import annotations

from typing import Any

from bot.domain.cases import CaseView
from bot.domain.routing import REQUEST_TYPE_LABELS, SERVICE_LABELS, RequestType, Service
from bot.policy import Policy
from messages.slack.cases import receipt_blocks
from messages.slack.format import cut
from messages.slack.ids import VALUE, Callback, SubmitField

TOP_UP_OPTION = "top_up"  # the first-party top-up checkbox's one option (bot.domain.submission reads it)

__all__ = [
    "MAX_FREE_TEXT",
    "MAX_PRIVATE_METADATA",
    "URGENT_OPTION",
    "evidence_choices",
    "submit_modal",
    "submitted_view",
]

URGENT_OPTION = "urgent"  # the value of the one "urgent" checkbox; ticked means urgent
URGENT_LABEL = "Urgent: needs a decision before the next panel"
MAX_FREE_TEXT = 3000  # Slack's longest plain_text_input, and its longest section text
MAX_PRIVATE_METADATA = 3000
_MAX_CHECKBOXES = 10  # Slack's limit for a checkboxes element; more choices become a multi-select
_OPTION_TEXT = 75

PRIVACY_NOTE = "Details stay in panelbot: channels show only the case reference and amounts."


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _sentence(text: str) -> str:
    """First letter up, the rest as written ("children's SEND" → "Children's SEND")."""
    return text[:1].upper() + text[1:]


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(cut(text, _OPTION_TEXT)), "value": value}


def _input(
    field: SubmitField,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.value,
        "label": _plain(label),
        "element": {**element, "action_id": VALUE},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _money_input(field: SubmitField, label: str, *, optional: bool, hint: str | None = None) -> dict[str, Any]:
    element = {"type": "number_input", "is_decimal_allowed": True, "min_value": "0"}
    return _input(field, f"{label} (£ a week)", element, optional=optional, hint=hint)


def _free_text(
    field: SubmitField, label: str, placeholder: str, *, optional: bool, hint: str | None = None
) -> dict[str, Any]:
    element = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": MAX_FREE_TEXT,
        "placeholder": _plain(placeholder),
    }
    return _input(field, label, element, optional=optional, hint=hint)


def evidence_choices(policy: Policy) -> tuple[str, ...]:
    """The evidence the form offers to tick: every route's list, once each (`Policy.evidence_options`).

    Each option's value is the evidence string itself, so what is ticked compares directly with a
    route's `evidence`, whichever route the case takes.
    """
    return policy.evidence_options()


def _evidence_element(policy: Policy) -> dict[str, Any]:
    options = [_option(item, item) for item in evidence_choices(policy)]
    if len(options) <= _MAX_CHECKBOXES:
        return {"type": "checkboxes", "options": options}
    # Past Slack's checkbox limit a multi-select holds them; both report `selected_options`.
    return {
        "type": "multi_static_select",
        "placeholder": _plain("Choose what is on the case record"),
        "options": options[:100],
    }


def _fact_inputs(policy: Policy, facts: frozenset[str]) -> list[dict[str, Any]]:
    """The facts the council's routing rules use beyond the figures: age band, team, top-up."""
    inputs = []
    if "age_band" in facts:
        options = [_option(band, band) for band in policy.case_form.age_bands]
        inputs.append(_input(SubmitField.AGE_BAND, "Age band", {"type": "static_select",
                             "placeholder": _plain("Choose an age band"), "options": options[:100]}))
    if "team" in facts:
        options = [_option(team, team) for team in policy.case_form.teams]
        inputs.append(_input(SubmitField.TEAM, "Your team", {"type": "static_select",
                             "placeholder": _plain("Choose your team"), "options": options[:100]}))
    if "top_up" in facts:
        inputs.append(_input(SubmitField.TOP_UP, "First-party top-up", {"type": "checkboxes", "options": [
            _option("A family member or friend pays a top-up", TOP_UP_OPTION)]}, optional=True))
    return inputs


def submit_modal(policy: Policy, *, private_metadata: str = "") -> dict[str, Any]:
    """The case form as a modal view. `private_metadata` travels back with the submission
    (e.g. the channel it was opened from); it raises ValueError if over Slack's 3,000 characters.
    A policy that asks for no evidence gets no evidence input."""
    if len(private_metadata) > MAX_PRIVATE_METADATA:
        raise ValueError(f"private_metadata is {len(private_metadata)} characters; Slack allows 3,000")
    field = SubmitField
    services = [_option(_sentence(SERVICE_LABELS[s]), s.value) for s in Service]
    request_types = [_option(_sentence(REQUEST_TYPE_LABELS[t]), t.value) for t in RequestType]
    attendance = "; ".join(dict.fromkeys(item for body in policy.bodies.values() if body.attendee_required
                                         for item in body.attendance))
    facts = policy.facts_used()
    blocks: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": PRIVACY_NOTE}]},
        {"type": "header", "text": _plain("The request")},
        _input(
            field.REFERENCE,
            "Case reference",
            {"type": "plain_text_input", "placeholder": _plain(cut(policy.case_reference.example, 150))},
            hint="The person's ID in the case system. It is the only detail channels show.",
        ),
        _input(
            field.SERVICE,
            "Service",
            {"type": "static_select", "placeholder": _plain("Choose a service"), "options": services},
        ),
        _input(
            field.REQUEST_TYPE,
            "Request type",
            {"type": "static_select", "placeholder": _plain("Choose a request type"), "options": request_types},
        ),
        _money_input(
            field.PROPOSED_WEEKLY, "Proposed cost", optional=False, hint="The whole package, after any change"
        ),
        *([_money_input(
            field.RAS_WEEKLY,
            "RAS indicative budget",
            optional=True,
            hint="Without it, the case cannot be signed off within the RAS",
        )] if "within_ras" in facts else []),
        _money_input(field.CURRENT_WEEKLY, "Current cost", optional=True, hint="Needed for an increase or decrease"),
        *([_input(
            field.HOURS_PER_MONTH,
            "Hours of support a month",
            {"type": "number_input", "is_decimal_allowed": True, "min_value": "0", "max_value": "744"},
            optional=True,
            hint="For children's SEND, the panel needs this",
        )] if "hours_per_month_over" in facts else []),
        *_fact_inputs(policy, facts),
        _input(
            field.RESPITE_WEEKS,
            "Respite weeks a year",
            {"type": "number_input", "is_decimal_allowed": True, "min_value": "0", "max_value": "52"},
            optional=True,
            hint="Needed for respite",
        ),
        _input(
            field.URGENT,
            "Urgent",
            {"type": "checkboxes", "options": [_option(URGENT_LABEL, URGENT_OPTION)]},
            optional=True,
        ),
        _free_text(
            field.URGENT_REASON,
            "Why it cannot wait",
            "What happens if this waits for the next panel",
            optional=True,
            hint="Needed if urgent",
        ),
        {"type": "header", "text": _plain("The person")},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "Shown only to people with a role on this case, never in a channel."
        )}]},
        _free_text(
            field.STRENGTHS_AND_NEEDS,
            "Strengths and eligible needs",
            "Strengths, eligible needs and the work done so far",
            optional=False,
        ),
        _free_text(
            field.OUTCOMES,
            "Outcomes",
            "What the support will achieve, and the possible outcomes",
            optional=False,
        ),
        _free_text(
            field.ALTERNATIVES,
            "Alternative support considered",
            "Community agents, occupational therapy, family and friends…",
            optional=True,
        ),
        {"type": "header", "text": _plain("Evidence and people")},
        *(
            [_input(
                field.EVIDENCE,
                "Evidence on the case record",
                _evidence_element(policy),
                optional=True,
                hint="Tick what is attached; the receipt lists what the deciding forum still needs",
            )]
            if evidence_choices(policy)  # Slack refuses a checkbox group with no boxes
            else []
        ),
        _input(
            field.RECORD_LINK,
            "Link to the case record",
            {"type": "url_text_input"},
            optional=True,
            hint="Shown only to people with a role on this case",
        ),
        _input(
            field.TEAM_MANAGER,
            "Your team manager",
            {"type": "users_select", "placeholder": _plain("Choose your team manager")},
            hint="Signs off the case if it is within delegated limits",
        ),
        _input(
            field.ATTENDEE,
            "Attending the forum with you",
            {"type": "users_select", "placeholder": _plain("Choose who attends with you")},
            optional=True,
            hint=cut(_sentence(attendance), 2000) if attendance else None,
        ),
    ]
    view = {
        "type": "modal",
        "callback_id": Callback.SUBMIT_FORM.value,
        "title": _plain("Submit a case"),
        "submit": _plain("Submit"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def submitted_view(case: CaseView, *, corrected: tuple[str, ...] = ()) -> dict[str, Any]:
    """The modal the form becomes after a successful submission (the `view` of a
    `response_action: update`): where the case goes, why, and what happens next; for a correction of a
    case not yet decided, what changed."""
    blocks = receipt_blocks(case)
    if corrected:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": cut(
            f"*Case {case.reference} is corrected:* " + "; ".join(corrected) + ".", 3000)}}, *blocks]
    return {
        "type": "modal",
        "callback_id": Callback.SUBMITTED.value,
        "title": _plain("Case corrected" if corrected else "Case submitted"),
        "close": _plain("Done"),
        "blocks": blocks,
    }
