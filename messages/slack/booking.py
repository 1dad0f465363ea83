"""Booking the Enhanced Peer Forum: the booking form and the view it turns into, the confirmation
and cancellation DMs, the calendar event (an Outlook on the web link, or RFC 5545 text), the day's
agenda for the forum channel and the chair's DM.

Privacy (DESIGN.md §4): bookings and agendas go to channels and DMs, and calendar events leave
Slack altogether, so everything here uses only the case reference, request type, amounts, times,
role names and Slack mentions, never a case's free-text fields or its record link.

Times are shown on the London clock with the day's name; select values and calendar times are UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from icalendar import Calendar, Event

from bot.domain.booking import Agenda, AgendaItem, BookingChange, BookingChoice, BookingView
from bot.domain.calendar import Slot
from bot.domain.routing import REQUEST_TYPE_LABELS
from messages.slack.format import clock_time, cut, escape, long_date, mention, role_label, short_date, weekly
from messages.slack.ids import VALUE, Action, BookField, Callback

__all__ = [
    "MAX_SLOT_OPTIONS",
    "agenda_message",
    "booked_view",
    "booking_cancelled_dm",
    "booking_confirmation_dm",
    "booking_modal",
    "chair_agenda_dm",
    "ics_event",
    "outlook_link",
    "slot_taken_notice",
]

FORUM = "Enhanced Peer Forum"  # the seeds' meeting; a booking or agenda names its own body
MAX_SLOT_OPTIONS = 100  # Slack's most options in one select, counted across its option groups
OUTLOOK_COMPOSE = "https://outlook.office.com/calendar/0/deeplink/compose"
_MESSAGE_BLOCKS = 50
_SECTION_TEXT = 3000
_HEADER_TEXT = 150
_OPTION_TEXT = 75
_CONFIRM_TEXT = 300
# Percent-encoding can make a character twelve long and the reference is in the subject and the
# body, so the link cuts it to keep within a button url's 3,000 characters.
_LINK_REFERENCE = 100


# --- Block pieces -----------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}]}


def _button(text: str, action: Action, case_id: int, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": _plain(text), "action_id": action.value, "value": str(case_id), **extra}


def _calendar_button(booking: BookingView) -> dict[str, Any]:
    # A link button: Slack opens the url and still sends the click, which the handler just acks.
    return {
        "type": "button",
        "text": _plain("Add to Outlook calendar"),
        "action_id": Action.ADD_TO_CALENDAR.value,
        "url": outlook_link(booking),
    }


# --- Words ------------------------------------------------------------------------------------------


def _times(slot: Slot) -> str:
    """"09:30–10:00" on the London clock."""
    return f"{clock_time(slot.starts_at)}–{clock_time(slot.ends_at)}"


def _mentions(ids: Sequence[str]) -> str:
    return ", ".join(mention(who) for who in ids)


def _chair_words(role: str | None, chairs: Sequence[str]) -> str:
    """"Service director ASC operations (<@U…>)"."""
    if role is None:
        return "not set" + (f" ({_mentions(chairs)})" if chairs else "")
    return role_label(role) + (f" ({_mentions(chairs)})" if chairs else "")


def _cases(n: int) -> str:
    return "1 case" if n == 1 else f"{n} cases"


def _attending(booking: BookingView) -> str:
    worker = f"{mention(booking.worker)} (presenting)"
    if booking.attendee:
        return f"*Attending:* {worker} with {mention(booking.attendee)}"
    return f"*Attending:* {worker} with an advanced practitioner or service manager"


def _booking_details(booking: BookingView) -> str:
    return f"{_attending(booking)}\n*Chair:* {_chair_words(booking.chair_role, booking.chairs)}"


def slot_taken_notice(slot: Slot) -> str:
    """The warning the booking form shows again when its slot went to someone else first."""
    return f"The {slot.label()} slot has just been booked by someone else: pick another."


# --- The booking form and the view it turns into ------------------------------------------------------


def _slot_option(slot: Slot) -> dict[str, Any]:
    return {"text": _plain(_times(slot)), "value": slot.starts_at.isoformat()}


def booking_modal(choice: BookingChoice) -> dict[str, Any]:
    """The form that books (or moves) a case's forum slot; `private_metadata` is the case id.

    The select offers the free slots grouped by sitting day, earliest first, at most
    MAX_SLOT_OPTIONS of them; each option's value is the slot's start in ISO 8601 UTC. Full days are
    named below it. With no free slot at all the form has no input and no submit button.
    """
    case = choice.case
    blocks: list[dict[str, Any]] = [
        _section(f"*Case {escape(case.reference)}:* {REQUEST_TYPE_LABELS[case.request_type]}, "
                 f"{weekly(case.proposed_weekly)}")
    ]
    if choice.notice:
        blocks.append(_section(f"⚠ {escape(choice.notice)}"))
    if choice.current:
        blocks.append(_section(
            f"Currently booked: {choice.current.slot.label()} — choosing another slot moves the case"
        ))

    days = sorted(choice.days, key=lambda day: day.day)
    free = sum(len(day.slots) for day in days)
    groups: list[dict[str, Any]] = []
    shown = 0
    for day in days:
        slots = sorted(day.slots, key=lambda slot: slot.starts_at)[: MAX_SLOT_OPTIONS - shown]
        if slots:
            groups.append({"label": _plain(cut(short_date(day.day), _OPTION_TEXT)),
                           "options": [_slot_option(slot) for slot in slots]})
            shown += len(slots)

    if groups:
        blocks.append({
            "type": "input",
            "block_id": BookField.SLOT.value,
            "label": _plain("Forum slot"),
            "hint": _plain("Times are UK time. The earliest free slot is chosen for you."),
            "element": {
                "type": "static_select",
                "action_id": VALUE,
                "placeholder": _plain("Choose a slot"),
                "option_groups": groups,
                "initial_option": groups[0]["options"][0],
            },
        })
    else:
        blocks.append(_section(
            "No forum slots are free on the coming sitting days, so there is nothing to book here yet. "
            "Ask the panel admin to find one."
        ))
    notes = []
    if shown < free:
        notes.append(f"Showing the first {MAX_SLOT_OPTIONS} free slots")
    if full := [short_date(day.day) for day in days if not day.slots]:
        notes.append("Full: " + ", ".join(full))
    if notes:
        blocks.append(_context("  ·  ".join(notes)))

    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": Callback.BOOK_FORM.value,
        "private_metadata": str(case.id),
        "title": _plain("Book a forum slot"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }
    if groups:
        view["submit"] = _plain("Book")
    return view


def booked_view(change: BookingChange) -> dict[str, Any]:
    """The modal the booking form becomes once the slot is booked (a `response_action: update`)."""
    booking = change.booking
    head = f"*Case {escape(booking.reference)} is booked: {booking.slot.label()}*"
    if change.previous:
        head += f"\nMoved from {change.previous.label()}."
    return {
        "type": "modal",
        "callback_id": Callback.BOOKED.value,
        "title": _plain("Forum slot booked"),
        "close": _plain("Done"),
        "blocks": [
            _section(head),
            _section(_booking_details(booking)),
            {"type": "actions", "elements": [_calendar_button(booking)]},
        ],
    }


# --- The DMs to the worker and the advanced practitioner / service manager --------------------------


def booking_confirmation_dm(change: BookingChange) -> dict[str, Any]:
    """The DM to the worker and to whoever attends with them: slot, chair, who attends, and
    buttons to add it to Outlook, rebook or cancel (cancelling asks first)."""
    booking = change.booking
    ref = escape(booking.reference)
    text = f"Case {ref} is booked into the {escape(booking.body_name)}: {booking.slot.label()}"
    if change.previous:
        text += f", moved from {change.previous.label()}"
    text += "."
    cancel = _button(
        "Cancel booking", Action.CANCEL_BOOKING, booking.case_id,
        style="danger",
        confirm={
            "title": _plain("Cancel the booking?"),
            "text": _plain(cut(f"Cancel the forum slot for case {booking.reference}?", _CONFIRM_TEXT)),
            "confirm": _plain("Cancel the slot"),
            "deny": _plain("Keep it"),
            "style": "danger",
        },
    )
    blocks = [
        _section(f"*{text}*"),
        _section(_booking_details(booking)),
        {"type": "actions", "elements": [
            _calendar_button(booking),
            _button("Rebook", Action.REBOOK, booking.case_id),
            cancel,
        ]},
    ]
    return {"text": text, "blocks": blocks}


def booking_cancelled_dm(change: BookingChange) -> dict[str, Any]:
    """The DM when a forum slot is cancelled, with a button to book another."""
    booking = change.booking
    by = f" (by {mention(change.by)})" if change.by else ""
    text = f"The forum slot for case {escape(booking.reference)} on {booking.slot.label()} is cancelled{by}."
    blocks = [
        _section(text),
        {"type": "actions", "elements": [_button("Book a forum slot", Action.BOOK_SLOT, booking.case_id)]},
    ]
    return {"text": text, "blocks": blocks}


# --- The calendar event -------------------------------------------------------------------------------


def _subject(reference: str) -> str:
    return f"{FORUM}: case {reference}"


def _description(reference: str) -> str:
    return f"{FORUM} slot for case {reference}. See panelbot in Slack for details."


def outlook_link(booking: BookingView) -> str:
    """An Outlook on the web link that opens a new event for the slot (times in UTC), at most
    3,000 characters long (a Slack button's url). It carries the reference, never a name."""
    reference = cut(booking.reference, _LINK_REFERENCE)
    query = {
        "subject": _subject(reference),
        "startdt": f"{booking.slot.starts_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
        "enddt": f"{booking.slot.ends_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
        "body": _description(reference),
        "location": FORUM,
        "path": "/calendar/action/compose",
        "rru": "addevent",
    }
    # %20 rather than "+" for spaces: some Outlook versions show a "+" literally.
    return f"{OUTLOOK_COMPOSE}?{urlencode(query, quote_via=quote, safe='/:')}"


def ics_event(booking: BookingView, *, uid: str, stamp: datetime, sequence: int = 0, cancelled: bool = False) -> str:
    """The slot as an iCalendar file (RFC 5545, written by the `icalendar` library): one VEVENT in UTC.

    The same `uid` with a higher `sequence` replaces the event in Outlook and Google Calendar (a
    rebook); `cancelled` sends METHOD:CANCEL and STATUS:CANCELLED so they remove it. `stamp`
    (DTSTAMP, when this version was made) must be timezone-aware. The event carries the case
    reference and the body's name, never a person's name."""
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError(f"stamp must be a timezone-aware datetime, got naive {stamp!r}")
    calendar = Calendar()
    calendar.add("prodid", "-//panelbot//deciding bodies//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", booking.slot.starts_at.astimezone(UTC))
    event.add("dtend", booking.slot.ends_at.astimezone(UTC))
    event.add("summary", f"{booking.body_name}: case {booking.reference}")
    event.add("description", f"{booking.body_name} slot for case {booking.reference}. See panelbot in Slack for "
                             "details.")
    event.add("location", booking.body_name)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def invitation_text(booking: BookingView, *, cancelled: bool, sequence: int) -> str:
    """The words beside the .ics file in the DM."""
    if cancelled:
        return (f"The slot for case {escape(booking.reference)} at the {escape(booking.body_name)} "
                f"({booking.slot.label()}) is cancelled: open the file to remove it from your calendar.")
    what = "moved to" if sequence else "booked for"
    return (f"Case {escape(booking.reference)} is {what} the {escape(booking.body_name)}, {booking.slot.label()}: "
            "open the file to add it to your calendar (Outlook or Google Calendar).")


# --- The day's agenda -----------------------------------------------------------------------------------


def _slot_line(item: AgendaItem) -> str:
    """"09:00–09:30 · case 1234567 · new package £412.00/wk · worker <@…> · with <@…>", or
    "09:30–10:00 · free"."""
    if item.case_id is None:
        return f"{_times(item.slot)} · free"
    parts = [_times(item.slot), f"case {escape(item.reference or f'#{item.case_id}')}"]
    request = [REQUEST_TYPE_LABELS[item.request_type]] if item.request_type is not None else []
    if item.proposed_weekly is not None:
        request.append(weekly(item.proposed_weekly))
    if request:
        parts.append(" ".join(request))
    if item.worker:
        parts.append(f"worker {mention(item.worker)}")
    if item.attendee:
        parts.append(f"with {mention(item.attendee)}")
    return " · ".join(parts)


def _line_sections(lines: Sequence[str], most: int) -> list[dict[str, Any]]:
    """`lines` packed into as few sections as fit 3,000 characters each, at most `most` blocks;
    anything beyond is counted in a closing context line."""
    packed: list[list[str]] = []
    for line in (cut(line, _SECTION_TEXT) for line in lines):
        if packed and len("\n".join([*packed[-1], line])) <= _SECTION_TEXT:
            packed[-1].append(line)
        else:
            packed.append([line])
    if len(packed) <= most:
        return [_section("\n".join(group)) for group in packed]
    kept = packed[: most - 1]
    hidden = len(lines) - sum(len(group) for group in kept)
    return [*(_section("\n".join(group)) for group in kept), _context(f"and {hidden} more slots")]


def _closed_reason(agenda: Agenda) -> str:
    return escape((agenda.closed or "").rstrip("."))


def _agenda_lines(agenda: Agenda) -> list[str]:
    items = sorted(agenda.items, key=lambda item: item.slot.starts_at)
    return [_slot_line(item) for item in items] or ["No slots are set for this sitting."]


def agenda_message(agenda: Agenda) -> dict[str, Any]:
    """The day's agenda for the forum channel (and `/panel agenda`): the chair, then every slot in
    time order, booked or free; or why there is no forum that day."""
    title = f"{agenda.body_name} — {long_date(agenda.day)}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(cut(title, _HEADER_TEXT))}]
    if agenda.closed:
        sentence = f"No sitting today: {_closed_reason(agenda)}."
        blocks.append(_section(sentence))
        return {"text": f"{title}: {sentence}", "blocks": blocks}
    booked, free = len(agenda.booked), len(agenda.items) - len(agenda.booked)
    blocks.append(_section(f"*Chair:* {_chair_words(agenda.chair_role, agenda.chairs)}"))
    blocks.append(_context(f"{_cases(booked)} booked  ·  {free} free {'slot' if free == 1 else 'slots'}"))
    follow = [f"• {escape(case.reference)}: {escape(case.stage.replace('_', ' '))}" for case in agenda.follow_ons]
    room = _MESSAGE_BLOCKS - len(blocks) - (2 if follow else 0)
    blocks += _line_sections(_agenda_lines(agenda), room)
    if follow:
        blocks.append(_section(f"*For endorsement / ratification ({len(follow)})*"))
        blocks += _line_sections(follow, 1)
    return {"text": f"{title}: {_cases(booked)} booked", "blocks": blocks}


def chair_agenda_dm(agenda: Agenda) -> dict[str, Any]:
    """The chair's DM on the morning of their sitting: how many cases, then the agenda's slot lines."""
    day = long_date(agenda.day)
    if agenda.closed:
        text = f"No sitting today ({day}): {_closed_reason(agenda)}."
        return {"text": text, "blocks": [_section(text)]}
    text = f"You chair the {escape(agenda.body_name)} today ({day}): {_cases(len(agenda.booked))}"
    blocks = [_section(f"*{text}*")]
    blocks += _line_sections(_agenda_lines(agenda), _MESSAGE_BLOCKS - len(blocks))
    return {"text": text, "blocks": blocks}
