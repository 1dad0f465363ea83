"""Booking a meeting's slot (the Enhanced Peer Forum) in Teams: the booking form and the card it turns
into, the confirmation, the "cancel?" question and the cancellation, the calendar invitation, the
day's agenda for the forum's channel and the chair's message. The Teams counterpart of
messages/slack/booking.py.

Privacy (DESIGN.md §4): bookings and agendas go to channels and personal chats, and calendar events
leave Teams altogether, so everything here uses only the case reference, request type, amounts,
times, role names and people's names, never a case's free text or its record link.

Times are shown on the London clock with the day's name; choice values and calendar times are UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any
from urllib.parse import quote, urlencode

from bot.domain.booking import Agenda, AgendaItem, BookingChange, BookingChoice, BookingView, CalendarInvite
from bot.domain.calendar import Slot
from bot.domain.routing import REQUEST_TYPE_LABELS
from messages.teams.elements import (
    NO_NAMES,
    Card,
    Names,
    bold,
    bullets,
    card,
    choice_input,
    execute,
    fit,
    heading,
    open_url,
    para,
    people,
    person,
)
from messages.teams.ids import BookInput, Key, Verb
from messages.words import clock_time, cut, long_date, role_label, short_date, weekly

__all__ = [
    "MAX_SLOT_CHOICES",
    "OUTLOOK_COMPOSE",
    "agenda_card",
    "booked_card",
    "booking_cancelled",
    "booking_confirmation",
    "booking_form",
    "calendar_invite",
    "cancel_question",
    "chair_agenda",
    "outlook_link",
    "slot_taken_notice",
]

MAX_SLOT_CHOICES = 100  # free slots the form offers, earliest first
OUTLOOK_COMPOSE = "https://outlook.office.com/calendar/0/deeplink/compose"
_AGENDA_LINES = 120
# Percent-encoding can make a character twelve long and the reference is in the subject and the body.
_LINK_REFERENCE = 100


def _times(slot: Slot) -> str:
    """"09:30–10:00" on the London clock."""
    return f"{clock_time(slot.starts_at)}–{clock_time(slot.ends_at)}"


def _chair_words(role: str | None, chairs: Sequence[str], names: Names) -> str:
    """"Service director ASC operations (Sam Okafor)"."""
    who = f" ({people(chairs, names)})" if chairs else ""
    return (role_label(role) if role else "not set") + who


def _cases(n: int) -> str:
    return "1 case" if n == 1 else f"{n} cases"


def _details(booking: BookingView, names: Names) -> list[dict[str, Any]]:
    worker = f"{person(booking.worker, names)} (presenting)"
    attendee = person(booking.attendee, names) if booking.attendee else \
        "an advanced practitioner or service manager"
    return [
        para(bold("Attending: "), f"{worker} with {attendee}"),
        para(bold("Chair: "), _chair_words(booking.chair_role, booking.chairs, names), tight=True),
    ]


def slot_taken_notice(slot: Slot) -> str:
    """The warning the booking form shows again when its slot went to someone else first."""
    return f"The {slot.label()} slot has just been booked by someone else: pick another."


# --- The booking form and the card it turns into ------------------------------------------------------


def booking_form(choice: BookingChoice, *, error: str | None = None) -> Card:
    """The form that books (or moves) a case's forum slot. It offers the free slots on the coming
    sitting days, earliest first and the earliest chosen, at most MAX_SLOT_CHOICES; each choice's value
    is the slot's start in ISO 8601 UTC (BookInput.SLOT). Full days are named below it. Submit:
    Verb.BOOK with the case. With no free slot at all it has no input and no Book button."""
    case = choice.case
    body: list[dict[str, Any]] = [
        heading("Book a forum slot"),
        para(bold(f"Case {case.reference}: "), f"{REQUEST_TYPE_LABELS[case.request_type]}, "
                                               f"{weekly(case.proposed_weekly)}"),
    ]
    if choice.notice:
        body.append(para(f"⚠ {choice.notice}", color="warning"))
    if choice.current:
        body.append(para(f"Currently booked: {choice.current.slot.label()} — choosing another slot moves the case"))
    days = sorted(choice.days, key=lambda day: day.day)
    slots = [slot for day in days for slot in sorted(day.slots, key=lambda slot: slot.starts_at)]
    shown = slots[:MAX_SLOT_CHOICES]
    actions = [execute("Cancel", Verb.CLOSE_FORM, {Key.CASE: case.id})]
    if shown:
        options = [(f"{short_date(slot.starts_at)}, {_times(slot)}", slot.starts_at.isoformat()) for slot in shown]
        body += choice_input(BookInput.SLOT, "Forum slot", options, required=True, value=options[0][1],
                             hint="Times are UK time. The earliest free slot is chosen for you.", error=error,
                             needed="Choose a slot.")
        actions.insert(0, execute("Book", Verb.BOOK, {Key.CASE: case.id}, style="positive"))
    else:
        body.append(para("No forum slots are free on the coming sitting days, so there is nothing to book here yet. "
                          "Ask the panel admin to find one."))
    notes = []
    if len(shown) < len(slots):
        notes.append(f"Showing the first {MAX_SLOT_CHOICES} free slots")
    if full := [short_date(day.day) for day in days if not day.slots]:
        notes.append("Full: " + ", ".join(full))
    if notes:
        body.append(para("  ·  ".join(notes), subtle=True))
    return card(body, actions, summary=f"Book a forum slot for case {case.reference}")


def booked_card(change: BookingChange, names: Names = NO_NAMES) -> Card:
    """What the booking form becomes once the slot is booked."""
    booking = change.booking
    body = [heading("Forum slot booked"), para(bold(f"Case {booking.reference} is booked: {booking.slot.label()}"))]
    if change.previous:
        body.append(para(f"Moved from {change.previous.label()}.", tight=True))
    body += _details(booking, names)
    return card(body, [open_url("Add to Outlook calendar", outlook_link(booking))],
                summary=f"Case {booking.reference} is booked: {booking.slot.label()}")


# --- Personal chat: the worker and the advanced practitioner / service manager ---------------------------


def booking_confirmation(change: BookingChange, names: Names = NO_NAMES) -> Card:
    """To the worker and whoever attends with them: slot, chair, who attends, and Add to Outlook
    calendar, Rebook and Cancel booking (which asks first: `cancel_question`)."""
    booking = change.booking
    text = f"Case {booking.reference} is booked into the {booking.body_name}: {booking.slot.label()}"
    if change.previous:
        text += f", moved from {change.previous.label()}"
    text += "."
    actions = [
        open_url("Add to Outlook calendar", outlook_link(booking)),
        execute("Rebook", Verb.REBOOK, {Key.CASE: booking.case_id}),
        execute("Cancel booking", Verb.CANCEL_BOOKING, {Key.CASE: booking.case_id}, style="destructive"),
    ]
    return card([para(bold(text)), *_details(booking, names)], actions, summary=text)


def cancel_question(booking: BookingView) -> Card:
    """The answer to "Cancel booking": Adaptive Cards have no confirm dialog, so the card asks."""
    text = f"Cancel the forum slot for case {booking.reference} ({booking.slot.label()})?"
    actions = [
        execute("Cancel the slot", Verb.CANCEL_BOOKING_CONFIRMED, {Key.CASE: booking.case_id}, style="destructive"),
        execute("Keep it", Verb.KEEP_BOOKING, {Key.CASE: booking.case_id}),
    ]
    return card([heading("Cancel the booking?"), para(text)], actions, summary=text)


def booking_cancelled(change: BookingChange, names: Names = NO_NAMES) -> Card:
    """When a forum slot is cancelled, with a button to book another."""
    booking = change.booking
    by = f" (by {person(change.by, names)})" if change.by else ""
    text = f"The forum slot for case {booking.reference} on {booking.slot.label()} is cancelled{by}."
    return card([para(text)], [execute("Book a forum slot", Verb.BOOK_SLOT, {Key.CASE: booking.case_id})],
                summary=text)


# --- The calendar event ---------------------------------------------------------------------------------


def outlook_link(booking: BookingView) -> str:
    """An Outlook on the web link that opens a new event for the slot (times in UTC). It carries the
    reference and the body's name, never a person's name."""
    reference = cut(booking.reference, _LINK_REFERENCE)
    query = {
        "subject": f"{booking.body_name}: case {reference}",
        "startdt": f"{booking.slot.starts_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
        "enddt": f"{booking.slot.ends_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
        "body": f"{booking.body_name} slot for case {reference}. See panelbot in Teams for details.",
        "location": booking.body_name,
        "path": "/calendar/action/compose",
        "rru": "addevent",
    }
    # %20 rather than "+" for spaces: some Outlook versions show a "+" literally.
    return f"{OUTLOOK_COMPOSE}?{urlencode(query, quote_via=quote, safe='/:')}"


def calendar_invite(invite: CalendarInvite) -> Card:
    """The calendar message for one person: a booked or moved slot with Add to Outlook calendar, or a
    cancelled one to take out of their calendar."""
    booking = invite.booking
    if invite.cancelled:
        text = (f"The slot for case {booking.reference} at the {booking.body_name} ({booking.slot.label()}) is "
                "cancelled: remove it from your calendar.")
        return card([para(text)], summary=text)
    what = "moved to" if invite.sequence else "booked for"
    text = f"Case {booking.reference} is {what} the {booking.body_name}, {booking.slot.label()}."
    return card([para(text)], [open_url("Add to Outlook calendar", outlook_link(booking))], summary=text)


# --- The day's agenda -----------------------------------------------------------------------------------


def _slot_line(item: AgendaItem, names: Names) -> str:
    """"09:00–09:30 · case 1234567 · new package £412.00/wk · worker … · with …", or "09:30–10:00 · free"."""
    if item.case_id is None:
        return f"{_times(item.slot)} · free"
    parts = [_times(item.slot), f"case {item.reference or f'#{item.case_id}'}"]
    request = [REQUEST_TYPE_LABELS[item.request_type]] if item.request_type is not None else []
    if item.proposed_weekly is not None:
        request.append(weekly(item.proposed_weekly))
    if request:
        parts.append(" ".join(request))
    if item.worker:
        parts.append(f"worker {person(item.worker, names)}")
    if item.attendee:
        parts.append(f"with {person(item.attendee, names)}")
    return " · ".join(parts)


def _agenda_lines(agenda: Agenda, names: Names) -> list[str]:
    items = sorted(agenda.items, key=lambda item: item.slot.starts_at)
    return [_slot_line(item, names) for item in items] or ["No slots are set for this sitting."]


def _closed_reason(agenda: Agenda) -> str:
    return (agenda.closed or "").rstrip(".")


def agenda_card(agenda: Agenda, names: Names = NO_NAMES) -> Card:
    """The day's agenda for the forum's channel (and "agenda"): the chair, then every slot in time
    order, booked or free, then the cases waiting for its endorsement or ratification; or why there is
    no sitting that day."""
    title = f"{agenda.body_name} — {long_date(agenda.day)}"
    if agenda.closed:
        sentence = f"No sitting today: {_closed_reason(agenda)}."
        return card([heading(title), para(sentence)], summary=f"{title}: {sentence}")
    booked, free = len(agenda.booked), len(agenda.items) - len(agenda.booked)
    lines = _agenda_lines(agenda, names)
    follow = [f"{case.reference}: {case.stage.replace('_', ' ')}" for case in agenda.follow_ons]

    def build(most: int) -> Card:
        body: list[dict[str, Any]] = [
            heading(title),
            para(bold("Chair: "), _chair_words(agenda.chair_role, agenda.chairs, names)),
            para(f"{_cases(booked)} booked  ·  {free} free {'slot' if free == 1 else 'slots'}", subtle=True),
            *[para(line, tight=index > 0) for index, line in enumerate(lines[:most])],
        ]
        if len(lines) > most:
            body.append(para(f"and {len(lines) - most} more slots", subtle=True, tight=True))
        if follow:
            body.append(para(bold(f"For endorsement / ratification ({len(follow)})")))
            body += bullets(follow[:most])
            if len(follow) > most:
                body.append(para(f"and {len(follow) - most} more", subtle=True, tight=True))
        return card(body, summary=f"{title}: {_cases(booked)} booked")

    return fit(build, _AGENDA_LINES)


def chair_agenda(agenda: Agenda, names: Names = NO_NAMES) -> Card:
    """The chair's message on the morning of their sitting: how many cases, then the agenda's lines."""
    day = long_date(agenda.day)
    if agenda.closed:
        text = f"No sitting today ({day}): {_closed_reason(agenda)}."
        return card([para(text)], summary=text)
    text = f"You chair the {agenda.body_name} today ({day}): {_cases(len(agenda.booked))}"
    lines = _agenda_lines(agenda, names)

    def build(most: int) -> Card:
        body = [para(bold(text)), *[para(line, tight=True) for line in lines[:most]]]
        if len(lines) > most:
            body.append(para(f"and {len(lines) - most} more slots", subtle=True, tight=True))
        return card(body, summary=text)

    return fit(build, _AGENDA_LINES)
