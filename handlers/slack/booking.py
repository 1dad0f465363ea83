"""Booking the forum: `/panel book <ref>`, the Book / Rebook / Cancel buttons, the booking form,
and `/panel agenda [date]`."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain.days import NotADay, read_day
from bot.refusals import Refusal
from bot.services import Services
from bot.services.booking import BookingRefused, SlotTaken, agenda, book_slot, booking_choice, cancel_booking
from bot.services.panel import panel_agenda, panel_bodies
from handlers.slack.forms import checked_answers, metadata_ints, refuse_form, row_id
from handlers.slack.replies import AfterAck, after_ack, deliver, open_view, tell
from messages.refusals import SENTENCES
from messages.slack.booking import agenda_message, booked_view, booking_modal, slot_taken_notice
from messages.slack.decisions import panel_agenda_message
from messages.slack.format import said
from messages.slack.ids import Action, BookField, Callback, Subcommand

logger = logging.getLogger("panelbot.booking")


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


def book(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, services: Services, later: AfterAck,
         **_: Any) -> None:
    reference = rest.split(" ")[0][:64] if rest else ""
    if not reference:
        ack(_ephemeral("Usage: `/panel book <case reference>`, e.g. "
                       f"`/panel book {services.policy.case_reference.example}`."))
        return
    try:
        choice = booking_choice(services, command["user_id"], reference=reference)
    except BookingRefused as refused:
        ack(_ephemeral(said(refused)))
        return
    ack()
    open_view(later, client, command.get("trigger_id"), booking_modal(choice))


NOT_A_SLOT = SENTENCES[Refusal.NOT_A_SLOT]


def _slot_start(value: str) -> datetime:
    """A slot's start as the form sends it (ISO 8601 with its offset); BookingRefused with our own
    refusal for anything else, never Python's error text."""
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise BookingRefused(Refusal.NOT_A_SLOT) from None
    if start.tzinfo is None:
        raise BookingRefused(Refusal.NOT_A_SLOT)
    return start


AGENDA_USAGE = ("Usage: `/panel agenda [date]`, e.g. `/panel agenda tomorrow`, `/panel agenda 1/12/2026` "
                "(day first) or `/panel agenda 2026-12-01`.")


def show_agenda(ack: Ack, rest: str, services: Services, **_: Any) -> None:
    first, _, after = rest.strip().partition(" ")
    if first in panel_bodies(services):  # `/panel agenda send_panel [date]`: a panel's next sitting
        day = read_day(after, services.calendar.local_date(services.now()))
        if isinstance(day, NotADay):
            ack(_ephemeral(f"{said(day)} Usage: `/panel agenda <panel> [date]`."))
            return
        found = panel_agenda(services, first, day) if day is not None else None
        if found is None:
            ack(_ephemeral("Usage: `/panel agenda <panel> [date]`: that panel's first sitting on or after the date."))
            return
        ack({**panel_agenda_message(found), "response_type": "ephemeral"})
        return
    day = read_day(rest, services.calendar.local_date(services.now()))
    if day is None:
        ack(_ephemeral(AGENDA_USAGE))
        return
    if isinstance(day, NotADay):
        ack(_ephemeral(f"{said(day)} {AGENDA_USAGE}"))
        return
    try:
        found = agenda(services, day)
    except BookingRefused as refused:
        panels = ", ".join(f"`{key}`" for key in panel_bodies(services))
        ack(_ephemeral(f"{said(refused)} For a panel's agenda: `/panel agenda <panel> [date]` ({panels})."))
        return
    ack({**agenda_message(found), "response_type": "ephemeral"})


SUBCOMMANDS = {Subcommand.BOOK.value: book, Subcommand.AGENDA.value: show_agenda}


def register(app: App, services: Services) -> None:
    later = after_ack(app)

    @app.action(Action.BOOK_SLOT)
    @app.action(Action.REBOOK)
    def open_booking(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                     respond: Respond) -> None:
        ack()
        case_id = row_id(action.get("value"))
        try:
            if case_id is None:
                raise BookingRefused(Refusal.BUTTON_LOST_CASE)
            choice = booking_choice(services, body["user"]["id"], case_id=case_id)
        except BookingRefused as refused:
            tell(later, body, client, respond, said(refused))
            return
        # A button in a modal (the submitted form) stacks the booking on it.
        open_view(later, client, body.get("trigger_id"), booking_modal(choice), push=bool(body.get("view")))

    @app.action(Action.CANCEL_BOOKING)
    def cancel(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        case_id = row_id(action.get("value"))
        try:
            if case_id is None:
                raise BookingRefused(Refusal.BUTTON_LOST_CASE)
            change = cancel_booking(services, case_id, body["user"]["id"])
        except BookingRefused as refused:
            tell(later, body, client, respond, said(refused))
            return
        if change is None:
            tell(later, body, client, respond, "That slot was already cancelled.")
            return
        deliver(later, services, change.booking.case_id)

    @app.action(Action.ADD_TO_CALENDAR)
    def calendar_link(ack: Ack) -> None:
        ack()  # a link button: Slack opens the link and still tells us about the click

    @app.view(Callback.BOOK_FORM)
    def book_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = checked_answers(ack, view)
        metadata = metadata_ints(view, 1)
        if answers is None:
            return
        if metadata is None:
            refuse_form(ack, view)
            return
        case_id, chosen = metadata[0], answers.get(BookField.SLOT)
        try:
            if not isinstance(chosen, str):
                raise BookingRefused(Refusal.PICK_A_SLOT)
            result = book_slot(services, case_id, _slot_start(chosen), body["user"]["id"])
        except SlotTaken as taken:
            offer = replace(taken.choice, notice=slot_taken_notice(taken.slot))
            ack(response_action="update", view=booking_modal(offer))
            return
        except BookingRefused as refused:
            ack(response_action="errors", errors={BookField.SLOT: said(refused)[:150]})
            return
        ack(response_action="update", view=booked_view(result.change))
        if result.changed:
            deliver(later, services, case_id)
