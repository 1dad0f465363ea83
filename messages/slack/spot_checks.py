"""Spot checks: the checker's DM and queue, the check's modal, and the practice concern to the team manager.

Pure Block Kit builders. References, amounts, dates and mentions only, except the recommended
actions of a practice concern, which go (as plain text) to the team manager's DM and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.routing import REQUEST_TYPE_LABELS, RequestType
from bot.domain.spot_checks import FINDING_LABELS, WHY_LABELS, Finding, SpotCheckNotice, SpotCheckOpened, SpotCheckView
from messages.slack.cases import case_details_modal
from messages.slack.format import cut, escape, long_date, mention, weekly
from messages.slack.ids import VALUE, Action, Callback, SpotCheckField

_SECTION_TEXT = 3000
_MODAL_BLOCKS = 100
_MAX_LISTED = 20  # two blocks each within a message's 50


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}


def _why(check: SpotCheckView) -> str:
    return "; ".join(WHY_LABELS[w] for w in check.why)


def check_line(check: SpotCheckView) -> str:
    """"Case 1234567 — £280.00/wk new package agreed at delegated sign-off by @Tomás on Tuesday 24
    November 2026 (drawn at random)"."""
    request = REQUEST_TYPE_LABELS.get(RequestType(check.request_type), check.request_type)
    return (f"*Case {escape(check.reference)}* — {weekly(check.agreed_weekly)} {request.lower()} agreed at "
            f"{escape(check.body_name)} by {mention(check.decided_by)} on {long_date(check.decided_at)} "
            f"({_why(check)})")


def _open_button(check: SpotCheckView) -> dict[str, Any]:
    return {"type": "button", "text": _plain("Check this case"), "action_id": Action.SPOT_CHECK_OPEN.value,
            "value": str(check.id), "style": "primary"}


def spot_check_dm(notice: SpotCheckNotice) -> dict[str, Any]:
    """To a checker: a decision drawn for a check, with a button to open it. To the team manager: the
    practice concern a check found, with the recommended actions as typed (plain text)."""
    check = notice.check
    if notice.to_manager:
        text = f"Spot check of case {check.reference}: a practice concern"
        blocks = [
            _section(f"*{escape(text)}*\n{check_line(check)}\nChecked by {mention(check.checked_by or '')}. "
                     "As the worker's line manager, please act on the recommended actions:"),
            {"type": "section", "text": _plain(cut(notice.actions or "—", _SECTION_TEXT))},
        ]
        return {"text": text, "blocks": blocks}
    text = f"Spot check: case {check.reference} was drawn for a quality check"
    blocks = [_section(f"*{escape(text)}*\n{check_line(check)}"),
              {"type": "actions", "block_id": f"spot_check_{check.id}", "elements": [_open_button(check)]}]
    return {"text": text, "blocks": blocks}


def spot_checks_message(checks: Sequence[SpotCheckView]) -> dict[str, Any]:
    """The ephemeral answer to `/panel spotchecks`: open checks, oldest first, each with its button."""
    if not checks:
        text = "No spot checks are waiting for you."
        return {"response_type": "ephemeral", "text": text, "blocks": [_section(text)]}
    text = f"{len(checks)} spot {'check is' if len(checks) == 1 else 'checks are'} waiting, oldest first"
    blocks: list[dict[str, Any]] = [_section(f"*{text}*")]
    for check in checks[:_MAX_LISTED]:
        blocks.append(_section(f"{check_line(check)}\nDrawn {long_date(check.drawn_at)}"))
        blocks.append({"type": "actions", "block_id": f"spot_check_{check.id}", "elements": [_open_button(check)]})
    if len(checks) > _MAX_LISTED:
        blocks.append(_section(f"…and {len(checks) - _MAX_LISTED} more: record these to see them."))
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}


def spot_check_modal(opened: SpotCheckOpened) -> dict[str, Any]:
    """The whole case (as `/panel case` shows it) and the finding: agreed, practice concern (with
    recommended actions) or refer to panel."""
    check = opened.check
    inputs = [
        {"type": "input", "block_id": SpotCheckField.FINDING.value, "label": _plain("What did you find?"),
         "element": {"type": "radio_buttons", "action_id": VALUE,
                     "options": [{"text": _plain(label), "value": finding.value}
                                 for finding, label in FINDING_LABELS.items()]}},
        {"type": "input", "block_id": SpotCheckField.ACTIONS.value, "optional": True,
         "label": _plain("Recommended actions (practice concern)"),
         "hint": _plain("Sent to the case's team manager only. Needed for a practice concern."),
         "element": {"type": "plain_text_input", "action_id": VALUE, "multiline": True, "max_length": 3000}},
    ]
    head = [_section(f"*Spot check*\n{check_line(check)}"), {"type": "divider"}]
    details = case_details_modal(opened.case)["blocks"]
    room = _MODAL_BLOCKS - len(head) - len(inputs) - 1
    return {
        "type": "modal",
        "callback_id": Callback.SPOT_CHECK_FORM.value,
        "private_metadata": str(check.id),
        "title": _plain("Spot check"),
        "submit": _plain("Record"),
        "close": _plain("Cancel"),
        "blocks": [*head, *details[:room], {"type": "divider"}, *inputs],
    }


def spot_check_recorded_text(check: SpotCheckView) -> str:
    finding = Finding(check.state)
    then = {
        Finding.AGREED: "The decision stands.",
        Finding.CONCERN: "The team manager has been sent your recommended actions.",
        Finding.REFERRED: "The case goes to the panel to be ratified; its deciders have been told.",
    }[finding]
    return f"Spot check of case {escape(check.reference)} recorded: {FINDING_LABELS[finding]}. {then}"
