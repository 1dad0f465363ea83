"""Reminders and reviews: the one DM that lists everything due for a person, the short answers to
its Done and Snooze buttons, the panel admin's notice when a reminder cannot be delivered, the
review form and the confirmation of a recorded review.

Privacy (DESIGN.md §4): a reminder DM carries case references, panelbot's labels and the `why`
the reminder service wrote (dates and slot times), never a name or a case's free text. The review
form shows the reference, the request type and the agreed amount, and nothing anyone typed; its
notes field is kept with the case record and never shown in a channel.

Times are shown on the London clock with the day's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain.cases import CaseView
from bot.domain.reminders import (
    PACKAGE_LABELS,
    QUALITY_LABELS,
    REMINDER_LABELS,
    PackageAfterReview,
    QualityOfLife,
    ReminderItem,
    ReminderKind,
    ReviewRecorded,
)
from bot.domain.routing import REQUEST_TYPE_LABELS
from messages.slack.format import clock_time, cut, escape, long_date, mention, slack_words, weekly
from messages.slack.ids import REMINDER_BLOCK_PREFIX, VALUE, Action, Callback, ReviewField

__all__ = [
    "MAX_ITEMS_PER_DM",
    "NOTES_MAX_LENGTH",
    "REMINDER_BLOCK_PREFIX",
    "reminder_block_id",
    "reminder_dm",
    "reminder_done_text",
    "reminder_failed_admin",
    "reminder_snoozed_text",
    "review_modal",
    "review_recorded_text",
]

# One heading, then a section and an actions block per item: 1 + 2 × 15 = 31 of Slack's 50 blocks.
# The sender claims at most this many reminders per person for one message.
MAX_ITEMS_PER_DM = 15
NOTES_MAX_LENGTH = 3000  # a plain_text_input's most
# The actions block of each reminder is "reminder_<reminder id>", so block ids stay unique.
_SECTION_TEXT = 3000
_FIELD_TEXT = 2000
_TEXT_FALLBACK = 3000  # Slack allows 40,000; a notification shows far less
_NOTES_HINT = "Kept with the case record in panelbot; never shown in a channel."


def reminder_block_id(reminder_id: int) -> str:
    """The block id of a reminder's buttons: "reminder_<id>"."""
    return f"{REMINDER_BLOCK_PREFIX}{reminder_id}"


# --- Block pieces -----------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}


def _fields(items: Sequence[str]) -> dict[str, Any]:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": cut(item, _FIELD_TEXT)} for item in items]}


def _button(text: str, action: Action, value: int, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": _plain(text), "action_id": action.value, "value": str(value), **extra}


def _radio_input(field: ReviewField, label: str, labels: dict[Any, str]) -> dict[str, Any]:
    options = [{"text": _plain(text), "value": choice.value} for choice, text in labels.items()]
    return {
        "type": "input",
        "block_id": field.value,
        "label": _plain(label),
        "element": {"type": "radio_buttons", "action_id": VALUE, "options": options},
    }


# --- Words ------------------------------------------------------------------------------------------


def _cases(references: Sequence[str]) -> str:
    """"case 1234567" or "cases 1234567, 2345678 and 3456789", each reference once, escaped."""
    unique = [escape(reference) for reference in dict.fromkeys(references)]
    if len(unique) == 1:
        return f"case {unique[0]}"
    return f"cases {', '.join(unique[:-1])} and {unique[-1]}"


# --- The reminder DM --------------------------------------------------------------------------------


def _item_text(item: ReminderItem) -> str:
    """"*Review due* — case 1234567\\n<why>"; an escalation also names who it is waiting on."""
    first = f"*{REMINDER_LABELS[item.kind]}* — case {escape(item.reference)}"
    if item.kind is ReminderKind.DECISION_OVERDUE and item.late_person:
        first += f" — waiting on {mention(item.late_person)}"
    return f"{first}\n{slack_words(escape(item.why))}" if item.why.strip() else first


def _item_actions(item: ReminderItem) -> dict[str, Any]:
    buttons = [
        _button("Done", Action.REMINDER_DONE, item.id, style="primary"),
        _button("Snooze 1 day", Action.SNOOZE_DAY, item.id),
        _button("Snooze 1 week", Action.SNOOZE_WEEK, item.id),
    ]
    if item.case_id is not None:  # a monitoring visit's reminder has no case to open
        buttons.append(_button("Open the case", Action.OPEN_CASE, item.case_id))
    return {"type": "actions", "block_id": reminder_block_id(item.id), "elements": buttons}


def reminder_dm(items: Sequence[ReminderItem]) -> dict[str, Any]:
    """The one DM listing everything due for a person now, in the order given: per reminder, its
    label, case reference and why, then Done / Snooze 1 day / Snooze 1 week (value: the reminder id)
    and Open the case (value: the case id). The text fallback names the references only.

    Raises ValueError for no items, more than MAX_ITEMS_PER_DM, or a reminder id given twice (its
    block id would repeat, and Slack refuses the whole message): the sender claims what fits.
    """
    if not items:
        raise ValueError("a reminder DM needs at least one reminder")
    if len(items) > MAX_ITEMS_PER_DM:
        raise ValueError(f"{len(items)} reminders in one DM; at most {MAX_ITEMS_PER_DM} fit")
    if len({item.id for item in items}) != len(items):
        raise ValueError("a reminder id appears twice in one DM")
    if len(items) == 1:
        [item] = items
        text = f"Reminder: {REMINDER_LABELS[item.kind]} for case {escape(item.reference)}"
    else:
        text = f"You have {len(items)} reminders: {_cases([item.reference for item in items])}"
    blocks: list[dict[str, Any]] = [_section(f"*{text}*")]
    for item in items:
        blocks.append(_section(_item_text(item)))
        blocks.append(_item_actions(item))
    return {"text": cut(text, _TEXT_FALLBACK), "blocks": blocks}


# --- Answers to the buttons ---------------------------------------------------------------------------


def reminder_done_text(item_reference: str) -> str:
    """The ephemeral answer to Done."""
    return f"Done: the reminder about case {escape(item_reference)} is cleared."


def reminder_snoozed_text(reference: str, until: datetime) -> str:
    """The ephemeral answer to a snooze: "Snoozed: case 1234567 comes back on Wednesday 25 November
    2026 at 09:00" (London clock)."""
    return f"Snoozed: case {escape(reference)} comes back on {long_date(until)} at {clock_time(until)}"


def reminder_failed_admin(person: str, references: Sequence[str], error: str, *, unknown: bool = False
                          ) -> dict[str, Any]:
    """The DM to the panel admin when a reminder DM could not be delivered, or (`unknown`) may or may
    not have been; `error` is Slack's error code (user_not_found, account_inactive, …)."""
    if not references:
        raise ValueError("a failed reminder is about at least one case")
    if unknown:
        text = (f"Slack did not confirm whether a reminder to {mention(person)} about {_cases(references)} "
                f"arrived, so panelbot has not sent it again. Please check with them that they have it.")
        return {"text": cut(text, _TEXT_FALLBACK), "blocks": [_section(text)]}
    text = (
        f"A reminder to {mention(person)} about {_cases(references)} could not be delivered "
        f"({escape(error)}). Please check that they are still in the workspace, and remind them another way."
    )
    return {"text": cut(text, _TEXT_FALLBACK), "blocks": [_section(text)]}


# --- The review ---------------------------------------------------------------------------------------


def _agreed_weekly(case: CaseView) -> Decimal:
    """The newest amount a decider agreed (an approval with changes; a later endorsement or
    ratification carries none of its own), else the proposed amount."""
    for decision in reversed(case.decisions):
        if decision.amended_weekly is not None:
            return decision.amended_weekly
    return case.proposed_weekly


def review_modal(case: CaseView) -> dict[str, Any]:
    """The review form (seed 001: "has the person's quality of life improved?"). `private_metadata`
    is the case id; each input's block id is its ReviewField and its action id VALUE. Shows the
    reference, request type and agreed amount: no free text about the person."""
    request = REQUEST_TYPE_LABELS[case.request_type]
    blocks: list[dict[str, Any]] = [
        _fields([
            f"*Case:* {escape(case.reference)}",
            f"*Request:* {request[:1].upper()}{request[1:]}",
            f"*Agreed:* {weekly(_agreed_weekly(case))}",
        ]),
        _radio_input(ReviewField.QUALITY_OF_LIFE, "Has the person's quality of life improved?", QUALITY_LABELS),
        _radio_input(ReviewField.PACKAGE, "What happens to the package?", PACKAGE_LABELS),
        {
            "type": "input",
            "block_id": ReviewField.NEW_WEEKLY.value,
            "label": _plain("New weekly cost, if the package changes (£ a week)"),
            "element": {"type": "number_input", "action_id": VALUE, "is_decimal_allowed": True, "min_value": "0"},
            "optional": True,
        },
        {
            "type": "input",
            "block_id": ReviewField.NOTES.value,
            "label": _plain("Notes"),
            "element": {"type": "plain_text_input", "action_id": VALUE, "multiline": True,
                        "max_length": NOTES_MAX_LENGTH},
            "hint": _plain(_NOTES_HINT),
            "optional": True,
        },
    ]
    return {
        "type": "modal",
        "callback_id": Callback.REVIEW_FORM.value,
        "private_metadata": str(case.id),
        "title": _plain("Review case"),
        "submit": _plain("Record review"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


_QUALITY_WORDS = {
    QualityOfLife.IMPROVED: "quality of life improved",
    QualityOfLife.SAME: "quality of life about the same",
    QualityOfLife.WORSE: "quality of life worse",
}
_PACKAGE_WORDS = {
    PackageAfterReview.CONTINUES: "the package continues.",
    PackageAfterReview.CHANGES: "the package changes: it goes to the panel for ratification.",
    PackageAfterReview.ENDS: "the package ends: no further reviews.",
}


def review_recorded_text(review: ReviewRecorded) -> str:
    """"Review recorded for case 1234567: quality of life improved; the package continues. Next review
    due Tuesday 24 November 2027." The next review is named when there is one and the package
    has not ended."""
    text = (
        f"Review recorded for case {escape(review.reference)}: "
        f"{_QUALITY_WORDS[review.quality_of_life]}; {_PACKAGE_WORDS[review.package]}"
    )
    if review.next_review_on is not None and review.package is not PackageAfterReview.ENDS:
        text += f" Next review due {long_date(review.next_review_on)}."
    return text
