"""Booking the forum: `/panel book <ref>`, the Book / Rebook / Cancel buttons, the booking form,
and `/panel agenda [date]`."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from dateutil import parser as dateparser
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.services.booking import BookingRefused, SlotTaken, agenda, book_slot, booking_choice, cancel_booking
from bot.services.outbox import deliver_due
from bot.services.panel import panel_agenda, panel_bodies
from handlers.forms import read_state
from messages.booking import agenda_message, booked_view, booking_modal, slot_taken_notice
from messages.decisions import panel_agenda_message
from messages.ids import Action, BookField, Callback, Subcommand

logger = logging.getLogger("panelbot.booking")


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


def _deliver(services: Services, case_id: int) -> None:
    try:
        deliver_due(services, services.now(), case_id=case_id)
    except Exception:
        logger.exception("case id %s: booking messages left for the worker to send", case_id)


def book(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, services: Services, **_: Any) -> None:
    reference = rest.split(" ")[0][:64] if rest else ""
    if not reference:
        ack(_ephemeral("Usage: `/panel book <case reference>`, e.g. "
                       f"`/panel book {services.policy.case_reference.example}`."))
        return
    try:
        choice = booking_choice(services, command["user_id"], reference=reference)
    except BookingRefused as refused:
        ack(_ephemeral(str(refused)))
        return
    ack()
    client.views_open(trigger_id=command["trigger_id"], view=booking_modal(choice))


def parse_day(text: str, today: date) -> date | None:
    """'' or 'today', 'tomorrow', or a date such as 2026-12-01, 1/12/2026 or '1 December'."""
    words = text.strip().lower()
    if words in ("", "today"):
        return today
    if words == "tomorrow":
        return today + timedelta(days=1)
    try:
        # A local calendar date, no time of day: the default only fills a missing year or month.
        default = datetime(today.year, today.month, today.day)  # noqa: DTZ001
        return dateparser.parse(words, dayfirst=True, default=default).date()
    except (ValueError, OverflowError):
        return None


def show_agenda(ack: Ack, rest: str, services: Services, **_: Any) -> None:
    first, _, after = rest.strip().partition(" ")
    if first in panel_bodies(services):  # `/panel agenda send_panel [date]`: a panel's next sitting
        day = parse_day(after, services.calendar.local_date(services.now()))
        found = panel_agenda(services, first, day) if day is not None else None
        if found is None:
            ack(_ephemeral("Usage: `/panel agenda <panel> [date]`: that panel's first sitting on or after the date."))
            return
        ack({**panel_agenda_message(found), "response_type": "ephemeral"})
        return
    day = parse_day(rest, services.calendar.local_date(services.now()))
    if day is None:
        ack(_ephemeral("Usage: `/panel agenda [date]`, e.g. `/panel agenda tomorrow` or `/panel agenda 1/12/2026`."))
        return
    try:
        found = agenda(services, day)
    except BookingRefused as refused:
        panels = ", ".join(f"`{key}`" for key in panel_bodies(services))
        ack(_ephemeral(f"{refused} For a panel's agenda: `/panel agenda <panel> [date]` ({panels})."))
        return
    ack({**agenda_message(found), "response_type": "ephemeral"})


SUBCOMMANDS = {Subcommand.BOOK.value: book, Subcommand.AGENDA.value: show_agenda}


def register(app: App, services: Services) -> None:
    @app.action(Action.BOOK_SLOT)
    @app.action(Action.REBOOK)
    def open_booking(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                     respond: Respond) -> None:
        ack()
        value = str(action.get("value", ""))
        try:
            if not value.isdigit():
                raise BookingRefused("That button no longer points at a case.")
            choice = booking_choice(services, body["user"]["id"], case_id=int(value))
        except BookingRefused as refused:
            respond(text=str(refused), response_type="ephemeral", replace_original=False)
            return
        if body.get("view"):  # the button was in a modal (the submitted form): stack the booking on it
            client.views_push(trigger_id=body["trigger_id"], view=booking_modal(choice))
        else:
            client.views_open(trigger_id=body["trigger_id"], view=booking_modal(choice))

    @app.action(Action.CANCEL_BOOKING)
    def cancel(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        value = str(action.get("value", ""))
        try:
            if not value.isdigit():
                raise BookingRefused("That button no longer points at a case.")
            change = cancel_booking(services, int(value), body["user"]["id"])
        except BookingRefused as refused:
            respond(text=str(refused), response_type="ephemeral", replace_original=False)
            return
        if change is None:
            respond(text="That slot was already cancelled.", response_type="ephemeral", replace_original=False)
            return
        _deliver(services, change.booking.case_id)

    @app.action(Action.ADD_TO_CALENDAR)
    def calendar_link(ack: Ack) -> None:
        ack()  # a link button: Slack opens the link and still tells us about the click

    @app.view(Callback.BOOK_FORM)
    def book_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        chosen = read_state(view["state"]["values"]).get(BookField.SLOT)
        case_id = int(view["private_metadata"])
        try:
            if not isinstance(chosen, str):
                raise BookingRefused("Pick a slot.")
            result = book_slot(services, case_id, datetime.fromisoformat(chosen), body["user"]["id"])
        except SlotTaken as taken:
            offer = replace(taken.choice, notice=slot_taken_notice(taken.slot))
            ack(response_action="update", view=booking_modal(offer))
            return
        except (BookingRefused, ValueError) as refused:
            ack(response_action="errors", errors={BookField.SLOT: str(refused)[:150]})
            return
        ack(response_action="update", view=booked_view(result.change))
        if result.changed:
            _deliver(services, case_id)
