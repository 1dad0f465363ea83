"""Reminders and reviews in Teams: the one message that lists everything due for a person, the short
answers to its Done and Snooze buttons, the panel admin's notice when reminders cannot be delivered,
the review form and the confirmation of a recorded review. The Teams counterpart of
messages/slack/reminders.py.

Privacy (DESIGN.md §4): a reminder carries case references, panelbot's labels and the `why` the
reminder service wrote (dates and slot times), never a name of the person cared for or a case's
free text. The review form shows the reference, the request type and the agreed amount; its notes
are kept with the case record and never shown in a channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from messages.teams.cases import open_case_button
from messages.teams.elements import (
    NO_NAMES,
    Card,
    Names,
    action_set,
    bold,
    card,
    choice_input,
    execute,
    facts,
    heading,
    number_input,
    para,
    person,
    separator,
    text_input,
)
from messages.teams.ids import Key, ReviewInput, Verb
from messages.words import clock_time, long_date, weekly

__all__ = [
    "MAX_ITEMS_PER_MESSAGE",
    "NOTES_MAX_LENGTH",
    "reminder_done_text",
    "reminder_snoozed_text",
    "reminders_card",
    "reminders_failed_admin",
    "review_form",
    "review_recorded_text",
]

MAX_ITEMS_PER_MESSAGE = 15  # the sender claims at most this many reminders per person for one message
NOTES_MAX_LENGTH = 3000
_NOTES_HINT = "Kept with the case record in panelbot; never shown in a channel."


def _cases(references: Sequence[str]) -> str:
    """"case 1234567" or "cases 1234567, 2345678 and 3456789", each reference once."""
    unique = list(dict.fromkeys(references))
    if len(unique) == 1:
        return f"case {unique[0]}"
    return f"cases {', '.join(unique[:-1])} and {unique[-1]}"


def _about(item: ReminderItem) -> str:
    """"case 1234567", or a monitoring visit's provision by name (it has no case)."""
    return f"case {item.reference}" if item.case_id is not None else item.reference


def _abouts(items: Sequence[ReminderItem]) -> str:
    """"cases 1234567 and 2345678", or with a visit's provision "case 1234567 and Sunrise House"."""
    if all(item.case_id is not None for item in items):
        return _cases([item.reference for item in items])
    unique = list(dict.fromkeys(_about(item) for item in items))
    return unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} and {unique[-1]}"


# --- The reminders message --------------------------------------------------------------------------


def _item(item: ReminderItem, names: Names) -> list[dict[str, Any]]:
    first: list[Any] = [bold(REMINDER_LABELS[item.kind]), f" — {_about(item)}"]
    if item.kind is ReminderKind.DECISION_OVERDUE and item.late_person:
        first.append(f" — waiting on {person(item.late_person, names)}")
    blocks = [para(*first, element_id=f"reminder.{item.id}")]
    if item.why.strip():
        blocks.append(para(item.why, tight=True))
    buttons = [
        execute("Done", Verb.REMINDER_DONE, {Key.REMINDER: item.id}, style="positive"),
        execute("Snooze 1 day", Verb.SNOOZE_DAY, {Key.REMINDER: item.id}),
        execute("Snooze 1 week", Verb.SNOOZE_WEEK, {Key.REMINDER: item.id}),
    ]
    if item.case_id is not None:  # a monitoring visit's reminder has no case to open
        buttons.append(open_case_button(item.case_id))
    blocks.append(action_set(buttons))
    return blocks


def reminders_card(items: Sequence[ReminderItem], names: Names = NO_NAMES) -> Card:
    """The one message listing everything due for a person now, in the order given: per reminder its
    label, case reference and why, then Done / Snooze 1 day / Snooze 1 week (data: the reminder id)
    and Open the case. The summary names the references only.

    Raises ValueError for no items, more than MAX_ITEMS_PER_MESSAGE, or a reminder id given twice:
    the sender claims what fits."""
    if not items:
        raise ValueError("a reminders message needs at least one reminder")
    if len(items) > MAX_ITEMS_PER_MESSAGE:
        raise ValueError(f"{len(items)} reminders in one message; at most {MAX_ITEMS_PER_MESSAGE} fit")
    if len({item.id for item in items}) != len(items):
        raise ValueError("a reminder id appears twice in one message")
    if len(items) == 1:
        text = f"Reminder: {REMINDER_LABELS[items[0].kind]} for {_about(items[0])}"
    else:
        text = f"You have {len(items)} reminders: {_abouts(items)}"
    body: list[dict[str, Any]] = [para(bold(text))]
    for index, item in enumerate(items):
        if index:
            body.append(separator())
        body += _item(item, names)
    return card(body, summary=text)


# --- Answers to the buttons ---------------------------------------------------------------------------


def reminder_done_text(reference: str) -> str:
    """The answer to Done."""
    return f"Done: the reminder about case {reference} is cleared."


def reminder_snoozed_text(reference: str, until: datetime) -> str:
    """The answer to a snooze (London clock)."""
    return f"Snoozed: case {reference} comes back on {long_date(until)} at {clock_time(until)}"


def reminders_failed_admin(person_id: str, references: Sequence[str], error: str, names: Names = NO_NAMES, *,
                           unknown: bool = False) -> Card:
    """To the panel admin when reminders to someone could not be delivered, or (`unknown`) may or may
    not have been; `error` is the chat service's short code."""
    if not references:
        raise ValueError("a failed reminder is about at least one case")
    if unknown:
        text = (
            f"Teams did not confirm whether a reminder to {person(person_id, names)} about {_cases(references)} "
            f"arrived, so panelbot has not sent it again. Please check with them that they have it."
        )
        return card([para(text)], summary=text)
    text = (
        f"A reminder to {person(person_id, names)} about {_cases(references)} could not be delivered "
        f"({error}). Please check that they are still in the team, and remind them another way."
    )
    return card([para(text)], summary=text)


# --- The review ---------------------------------------------------------------------------------------


def _agreed_weekly(case: CaseView) -> Decimal:
    """The newest amount a decider agreed, else the proposed amount."""
    for decision in reversed(case.decisions):
        if decision.amended_weekly is not None:
            return decision.amended_weekly
    return case.proposed_weekly


def review_form(case: CaseView, *, errors: Mapping[str, str] | None = None) -> Card:
    """The review form (seed 001: "has the person's quality of life improved?"). Submit:
    Verb.RECORD_REVIEW with the case; the inputs are ReviewInput. Shows the reference, request type
    and agreed amount: no free text about the person."""
    errors = errors or {}
    request = REQUEST_TYPE_LABELS[case.request_type]
    body: list[dict[str, Any]] = [
        heading("Review case"),
        para(bold(f"Case {case.reference}")),
        facts([("Request", request[:1].upper() + request[1:]), ("Agreed", weekly(_agreed_weekly(case)))]),
        *choice_input(ReviewInput.QUALITY_OF_LIFE, "Has the person's quality of life improved?",
                      [(text, choice.value) for choice, text in QUALITY_LABELS.items()], required=True, expanded=True,
                      error=errors.get(ReviewInput.QUALITY_OF_LIFE), needed="Choose one."),
        *choice_input(ReviewInput.PACKAGE, "What happens to the package?",
                      [(text, choice.value) for choice, text in PACKAGE_LABELS.items()], required=True, expanded=True,
                      error=errors.get(ReviewInput.PACKAGE), needed="Choose one."),
        *number_input(ReviewInput.NEW_WEEKLY, "New weekly cost, if the package changes (£ a week)", required=False,
                      minimum=0, error=errors.get(ReviewInput.NEW_WEEKLY)),
        *text_input(ReviewInput.NOTES, "Notes", required=False, multiline=True, max_length=NOTES_MAX_LENGTH,
                    hint=_NOTES_HINT, error=errors.get(ReviewInput.NOTES)),
    ]
    actions = [execute("Record review", Verb.RECORD_REVIEW, {Key.CASE: case.id}, style="positive"),
               execute("Cancel", Verb.CLOSE_FORM, {Key.CASE: case.id})]
    return card(body, actions, summary=f"Review case {case.reference}")


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
    due Tuesday 24 November 2027."."""
    text = (f"Review recorded for case {review.reference}: "
            f"{_QUALITY_WORDS[review.quality_of_life]}; {_PACKAGE_WORDS[review.package]}")
    if review.next_review_on is not None and review.package is not PackageAfterReview.ENDS:
        text += f" Next review due {long_date(review.next_review_on)}."
    return text
