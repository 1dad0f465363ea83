"""Reminder DMs' buttons (Done, Snooze 1 day, Snooze 1 week) and `/panel review <ref>`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain.reminders import PackageAfterReview, QualityOfLife
from bot.refusals import Refusal
from bot.services import Services
from bot.services.reminders import ReminderRefused, complete_reminder, snooze_reminder
from bot.services.reviews import ReviewRefused, record_review, start_review
from handlers.slack.forms import checked_answers, metadata_ints, refuse_form, row_id
from handlers.slack.replies import AfterAck, after_ack, deliver, open_view, tell
from messages.slack.format import said
from messages.slack.help import notice_view
from messages.slack.ids import Action, Callback, ReviewField, Subcommand
from messages.slack.reminders import reminder_done_text, reminder_snoozed_text, review_modal, review_recorded_text

SNOOZES = {Action.SNOOZE_DAY: 1, Action.SNOOZE_WEEK: 7}


def review(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, services: Services, later: AfterAck,
           **_: Any) -> None:
    reference = rest.split(" ")[0][:64] if rest else ""
    if not reference:
        ack({"response_type": "ephemeral", "text": "Usage: `/panel review <case reference>`."})
        return
    try:
        case = start_review(services, reference, command["user_id"])
    except ReviewRefused as refused:
        ack({"response_type": "ephemeral", "text": said(refused)})
        return
    ack()
    open_view(later, client, command.get("trigger_id"), review_modal(case))


SUBCOMMANDS = {Subcommand.REVIEW.value: review}


def _pounds(value: object) -> Decimal | None:
    """A weekly amount from the form, to the penny, within the form's bounds; None if not one."""
    try:
        amount = Decimal(str(value).replace("£", "").replace(",", "").strip()) if isinstance(value, str) else None
    except InvalidOperation:
        return None
    if amount is None or not amount.is_finite() or amount < 0 or amount > Decimal("25000") or \
            amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.action(Action.REMINDER_DONE)
    @app.action(Action.SNOOZE_DAY)
    @app.action(Action.SNOOZE_WEEK)
    def reminder_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                        respond: Respond) -> None:
        ack()
        reminder_id = row_id(action.get("value"))
        try:
            if reminder_id is None:
                raise ReminderRefused(Refusal.BUTTON_LOST_REMINDER)
            if action["action_id"] == Action.REMINDER_DONE:
                text = reminder_done_text(complete_reminder(services, reminder_id, body["user"]["id"]))
            else:
                reference, until = snooze_reminder(services, reminder_id, body["user"]["id"],
                                                   SNOOZES[Action(action["action_id"])])
                text = reminder_snoozed_text(reference, until)
        except ReminderRefused as refused:
            text = said(refused)
        tell(later, body, client, respond, text)

    @app.view(Callback.REVIEW_FORM)
    def review_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = checked_answers(ack, view)
        metadata = metadata_ints(view, 1)
        if answers is None:
            return
        if metadata is None:
            refuse_form(ack, view)
            return
        errors = {}
        if answers.get(ReviewField.QUALITY_OF_LIFE) not in set(QualityOfLife):
            errors[ReviewField.QUALITY_OF_LIFE] = "Say whether the person's quality of life has improved."
        if answers.get(ReviewField.PACKAGE) not in set(PackageAfterReview):
            errors[ReviewField.PACKAGE] = "Say what happens to the package."
        notes = answers.get(ReviewField.NOTES)
        if isinstance(notes, str) and len(notes) > 3000:
            errors[ReviewField.NOTES] = "Keep the notes under 3,000 characters."
        new_weekly = _pounds(answers.get(ReviewField.NEW_WEEKLY))
        if answers.get(ReviewField.PACKAGE) == PackageAfterReview.CHANGES and new_weekly is None:
            errors[ReviewField.NEW_WEEKLY] = "Enter the changed package's weekly cost in pounds, like 320.00."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            recorded = record_review(services, metadata[0], body["user"]["id"],
                                     QualityOfLife(answers[ReviewField.QUALITY_OF_LIFE]),
                                     PackageAfterReview(answers[ReviewField.PACKAGE]),
                                     notes.strip() if isinstance(notes, str) and notes.strip() else None,
                                     new_weekly=new_weekly)
        except ReviewRefused as refused:
            ack(response_action="errors", errors={ReviewField.PACKAGE: said(refused)})
            return
        ack(response_action="update", view=notice_view("Review recorded", review_recorded_text(recorded)))
        deliver(later, services, recorded.case_id)
