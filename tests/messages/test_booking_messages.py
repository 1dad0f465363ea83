"""The forum booking builders: the form, the DMs, the calendar event and the agenda; their ids,
London times with UTC values, Slack's limits (DESIGN.md §7) and privacy (§4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.domain.booking import Agenda, AgendaItem, BookingChange, BookingChoice, BookingView, DayChoice
from bot.domain.calendar import LONDON, Slot
from bot.domain.routing import RequestType
from messages.slack.booking import (
    MAX_SLOT_OPTIONS,
    OUTLOOK_COMPOSE,
    agenda_message,
    booked_view,
    booking_cancelled_dm,
    booking_confirmation_dm,
    booking_modal,
    chair_agenda_dm,
    ics_event,
    outlook_link,
    slot_taken_notice,
)
from messages.slack.format import role_label, short_date
from messages.slack.ids import VALUE, Action, BookField, Callback
from messages.slack.text import render_message, render_view
from tests.messages.test_case_messages import (
    ANNA,
    CANARIES,
    FORUM,
    PRIYA,
    assert_slack_sdk_reads_it_back,
    assert_within_slack_limits,
    everything,
)

CHAIR_ROLE = "service_director_asc_operations"
CHAIR = "U0SDASCOP1"


def london_slot(day: date, hour: int, minute: int, minutes: int = 30) -> Slot:
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
    return Slot(start, start + timedelta(minutes=minutes))


def sitting(day: date, hour: int, minute: int, count: int) -> tuple[Slot, ...]:
    first = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
    return tuple(london_slot(day, (first + timedelta(minutes=30 * n)).hour, (first + timedelta(minutes=30 * n)).minute)
                 for n in range(count))


# Winter: GMT, so London and UTC agree.
MON_30_NOV, TUE_1_DEC, WED_2_DEC = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)
# The clocks went forward on Sunday 29 March 2026: Monday's 13:00 in London is 12:00 UTC.
MON_30_MAR, TUE_31_MAR = date(2026, 3, 30), date(2026, 3, 31)

DEC_SLOT = london_slot(TUE_1_DEC, 9, 30)
MAR_SLOT = london_slot(MON_30_MAR, 13, 0)

BOOKING = BookingView(
    case_id=1,
    reference="1234567",
    slot=DEC_SLOT,
    worker=PRIYA,
    attendee=ANNA,
    chair_role=CHAIR_ROLE,
    chairs=(CHAIR,),
)
CHOICE = BookingChoice(
    case=FORUM,
    days=(
        DayChoice(MON_30_NOV, ()),  # full
        DayChoice(TUE_1_DEC, (DEC_SLOT, london_slot(TUE_1_DEC, 12, 30))),
        DayChoice(WED_2_DEC, sitting(WED_2_DEC, 9, 0, 3)),
    ),
    current=None,
)
SPRING_CHOICE = BookingChoice(
    case=FORUM,
    days=(DayChoice(MON_30_MAR, sitting(MON_30_MAR, 13, 0, 7)), DayChoice(TUE_31_MAR, ())),
    current=None,
)
NO_FREE_SLOTS = BookingChoice(case=FORUM, days=(DayChoice(MON_30_NOV, ()), DayChoice(TUE_1_DEC, ())), current=None)
REBOOKING = replace(CHOICE, current=BOOKING, notice=slot_taken_notice(london_slot(WED_2_DEC, 9, 0)))

BOOKED = BookingChange(booking=BOOKING)
MOVED = BookingChange(booking=BOOKING, previous=MAR_SLOT)
CANCELLED = BookingChange(booking=BOOKING, cancelled=True, by=PRIYA, at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))

AGENDA = Agenda(
    day=TUE_1_DEC,
    items=(  # out of order on purpose: the agenda sorts by time
        AgendaItem(slot=DEC_SLOT),
        AgendaItem(slot=london_slot(TUE_1_DEC, 9, 0), case_id=1, reference="1234567",
                   request_type=RequestType.NEW_PACKAGE, proposed_weekly=Decimal("412.00"), worker=PRIYA,
                   attendee=ANNA),
        AgendaItem(slot=london_slot(TUE_1_DEC, 10, 0), case_id=7, reference="7654321",
                   request_type=RequestType.RESIDENTIAL_PLACEMENT, proposed_weekly=Decimal("1234.5"), worker="U0BEN"),
    ),
    chair_role=CHAIR_ROLE,
    chairs=(CHAIR,),
)
CLOSED = Agenda(day=date(2026, 12, 25), items=(), chair_role=None, chairs=(), closed="Christmas Day")
# A full sitting: Tuesday's 09:00-13:00 in 15-minute slots, every one booked with a long reference.
FULL_SITTING = Agenda(
    day=TUE_1_DEC,
    items=tuple(
        AgendaItem(slot=london_slot(TUE_1_DEC, 9 + n // 4, 15 * (n % 4), minutes=15), case_id=n,
                   reference=f"{n:02d}" + "9" * 200, request_type=RequestType.INCREASE,
                   proposed_weekly=Decimal("99999.99"), worker=PRIYA, attendee=ANNA)
        for n in range(16)
    ),
    chair_role=CHAIR_ROLE,
    chairs=("S0CHAIRS01", CHAIR),
)


def select(view: dict) -> dict:
    [block] = [b for b in view["blocks"] if b["type"] == "input"]
    assert block["block_id"] == BookField.SLOT
    return block["element"]


def options(view: dict) -> list[dict]:
    return [option for group in select(view)["option_groups"] for option in group["options"]]


def words(payload: dict) -> str:
    return "\n".join(render_view(payload) if payload.get("type") == "modal" else render_message(payload))


def mrkdwn_texts(value: object) -> list[str]:
    """Every mrkdwn text object's text: where `<!channel>` would notify a whole channel."""
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [text for item in value.values() for text in mrkdwn_texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in mrkdwn_texts(item)]
    return []


def buttons(payload: dict) -> dict[str, dict]:
    return {element["action_id"]: element for block in payload["blocks"] if block["type"] == "actions"
            for element in block["elements"]}


# --- The booking form ------------------------------------------------------------------------------------


def test_the_form_has_its_callback_title_buttons_and_the_case_id_in_its_metadata():
    view = booking_modal(CHOICE)
    assert (view["type"], view["callback_id"], view["private_metadata"]) == ("modal", Callback.BOOK_FORM, "1")
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Book a forum slot", "Book", "Cancel")
    assert select(view)["type"] == "static_select"
    assert select(view)["action_id"] == VALUE


def test_the_form_names_the_case_its_request_type_and_weekly_cost():
    assert "Case 1234567:* new package, £412.00/wk" in words(booking_modal(CHOICE))


def test_slots_are_grouped_by_sitting_day_with_london_times_and_utc_values():
    groups = select(booking_modal(CHOICE))["option_groups"]
    assert [group["label"]["text"] for group in groups] == ["Tuesday 1 December", "Wednesday 2 December"]
    assert [option["text"]["text"] for option in groups[0]["options"]] == ["09:30–10:00", "12:30–13:00"]
    assert groups[0]["options"][0]["value"] == "2026-12-01T09:30:00+00:00"


def test_after_the_clocks_go_forward_the_option_shows_london_time_and_its_value_is_utc():
    [first, *_] = options(booking_modal(SPRING_CHOICE))
    assert first["text"]["text"] == "13:00–13:30"
    assert first["value"] == "2026-03-30T12:00:00+00:00"
    assert datetime.fromisoformat(first["value"]) == MAR_SLOT.starts_at


def test_the_earliest_free_slot_is_chosen_even_when_days_come_out_of_order():
    shuffled = replace(CHOICE, days=tuple(reversed(CHOICE.days)))
    element = select(booking_modal(shuffled))
    assert element["initial_option"] == element["option_groups"][0]["options"][0]
    assert element["initial_option"]["value"] == DEC_SLOT.starts_at.isoformat()


def test_full_days_are_left_out_of_the_select_and_listed_below_it():
    view = booking_modal(CHOICE)
    assert "Monday 30 November" not in everything(select(view))
    assert view["blocks"][-1] == {"type": "context",
                                  "elements": [{"type": "mrkdwn", "text": "Full: Monday 30 November"}]}
    assert "Full: Tuesday 31 March" in words(booking_modal(SPRING_CHOICE))


def test_at_most_100_free_slots_are_offered_the_earliest_first_with_a_note():
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(20)]
    many = replace(CHOICE, days=tuple(DayChoice(day, sitting(day, 9, 0, 8)) for day in days))  # 160 free
    view = booking_modal(many)
    offered = options(view)
    assert len(offered) == MAX_SLOT_OPTIONS == 100
    assert offered[-1]["value"] == london_slot(days[12], 10, 30).starts_at.isoformat()  # 12 full days + 4
    assert len(select(view)["option_groups"]) == 13
    assert "Showing the first 100 free slots" in words(view)
    assert_within_slack_limits(view)
    assert "Showing the first" not in words(booking_modal(CHOICE))


def test_with_no_free_slot_the_form_says_so_and_cannot_be_submitted():
    view = booking_modal(NO_FREE_SLOTS)
    assert "submit" not in view
    assert all(block["type"] != "input" for block in view["blocks"])
    text = words(view)
    assert "No forum slots are free" in text and "panel admin" in text
    assert "Full: Monday 30 November, Tuesday 1 December" in text
    assert_within_slack_limits(view)
    assert_slack_sdk_reads_it_back(view)


def test_rebooking_shows_the_current_slot_and_the_notice_as_a_warning():
    text = words(booking_modal(REBOOKING))
    assert ("Currently booked: Tuesday 1 December 2026, 09:30–10:00 — choosing another slot moves the case"
            in text)
    assert ("⚠ The Wednesday 2 December 2026, 09:00–09:30 slot has just been booked by someone else: "
            "pick another." in text)


def test_the_slot_taken_notice_names_the_slot_on_the_london_clock():
    assert slot_taken_notice(MAR_SLOT) == (
        "The Monday 30 March 2026, 13:00–13:30 slot has just been booked by someone else: pick another."
    )


# --- After booking ------------------------------------------------------------------------------------------


def test_the_booked_view_names_the_slot_who_attends_the_chair_and_links_the_calendar():
    view = booked_view(BOOKED)
    assert (view["type"], view["callback_id"], view["close"]["text"]) == ("modal", Callback.BOOKED, "Done")
    assert "submit" not in view
    text = words(view)
    assert "Case 1234567 is booked: Tuesday 1 December 2026, 09:30–10:00" in text
    assert f"*Attending:* <@{PRIYA}> (presenting) with <@{ANNA}>" in text
    assert f"*Chair:* Service director ASC operations (<@{CHAIR}>)" in text
    assert buttons(view)[Action.ADD_TO_CALENDAR]["url"] == outlook_link(BOOKING)


def test_the_confirmation_dm_has_the_slot_chair_and_calendar_rebook_and_cancel_buttons():
    message = booking_confirmation_dm(BOOKED)
    assert message["text"] == (
        "Case 1234567 is booked into the Enhanced Peer Forum: Tuesday 1 December 2026, 09:30–10:00."
    )
    assert f"Service director ASC operations (<@{CHAIR}>)" in words(message)
    found = buttons(message)
    assert list(found) == [Action.ADD_TO_CALENDAR, Action.REBOOK, Action.CANCEL_BOOKING]
    assert found[Action.ADD_TO_CALENDAR]["text"]["text"] == "Add to Outlook calendar"
    assert found[Action.ADD_TO_CALENDAR]["url"] == outlook_link(BOOKING)
    assert found[Action.REBOOK]["value"] == found[Action.CANCEL_BOOKING]["value"] == "1"


def test_cancelling_from_the_dm_asks_first():
    cancel = buttons(booking_confirmation_dm(BOOKED))[Action.CANCEL_BOOKING]
    assert cancel["style"] == "danger"
    assert cancel["confirm"]["text"]["text"] == "Cancel the forum slot for case 1234567?"
    assert {"title", "confirm", "deny"} <= set(cancel["confirm"])


def test_a_moved_booking_says_where_it_moved_from():
    message = booking_confirmation_dm(MOVED)
    assert "moved from Monday 30 March 2026, 13:00–13:30" in message["text"]
    assert "Moved from Monday 30 March 2026, 13:00–13:30." in words(booked_view(MOVED))


def test_without_a_named_attendee_the_dm_says_who_should_come():
    message = booking_confirmation_dm(replace(BOOKED, booking=replace(BOOKING, attendee=None)))
    assert "with an advanced practitioner or service manager" in words(message)


def test_the_cancellation_dm_says_who_cancelled_and_offers_to_book_again():
    message = booking_cancelled_dm(CANCELLED)
    assert message["text"] == (
        f"The forum slot for case 1234567 on Tuesday 1 December 2026, 09:30–10:00 is cancelled (by <@{PRIYA}>)."
    )
    book = buttons(message)[Action.BOOK_SLOT]
    assert (book["text"]["text"], book["value"]) == ("Book a forum slot", "1")
    assert "(by" not in booking_cancelled_dm(replace(CANCELLED, by=None))["text"]


# --- The calendar event ----------------------------------------------------------------------------------


def test_the_outlook_link_parses_back_to_the_utc_times_and_the_reference():
    link = outlook_link(replace(BOOKING, slot=MAR_SLOT))
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == OUTLOOK_COMPOSE
    query = {key: value for key, [value] in parse_qs(parts.query, strict_parsing=True).items()}
    assert query["startdt"] == "2026-03-30T12:00:00Z"
    assert query["enddt"] == "2026-03-30T12:30:00Z"
    assert query["subject"] == "Enhanced Peer Forum: case 1234567"
    assert "1234567" in query["body"] and "See panelbot in Slack for details" in query["body"]
    assert (query["path"], query["rru"]) == ("/calendar/action/compose", "addevent")
    assert " " not in link and "+" not in link


def test_the_outlook_link_fits_a_buttons_url_however_long_the_reference():
    for reference in ("9" * 3000, "é" * 3000, "🙂&=?#" * 1000):
        assert len(outlook_link(replace(BOOKING, reference=reference))) <= 3000


ICS_STAMP = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def unfold(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").split("\r\n")


def test_the_ics_event_is_crlf_text_in_utc():
    ics = ics_event(replace(BOOKING, slot=MAR_SLOT), uid="booking-1@panelbot", stamp=ICS_STAMP)
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert "\n" not in ics.replace("\r\n", "")
    lines = unfold(ics)
    for expected in ("VERSION:2.0", "BEGIN:VEVENT", "UID:booking-1@panelbot", "DTSTAMP:20261125T090000Z",
                     "DTSTART:20260330T120000Z", "DTEND:20260330T123000Z",
                     "SUMMARY:Enhanced Peer Forum: case 1234567", "END:VEVENT"):
        assert expected in lines
    [description] = [line for line in lines if line.startswith("DESCRIPTION:")]
    assert "1234567" in description and "See panelbot in Slack for details" in description


def test_long_ics_lines_are_folded_at_75_octets_and_unfold_to_the_escaped_text():
    reference = "12345,67;89\\é" * 20
    ics = ics_event(replace(BOOKING, reference=reference), uid="u", stamp=ICS_STAMP)
    physical = ics.split("\r\n")[:-1]
    assert max(len(line.encode()) for line in physical) <= 75
    assert any(line.startswith(" ") for line in physical)
    escaped = reference.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    assert f"SUMMARY:Enhanced Peer Forum: case {escaped}" in unfold(ics)


def test_the_ics_stamp_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        ics_event(BOOKING, uid="u", stamp=datetime(2026, 11, 25, 9, 0))


# --- The agenda -------------------------------------------------------------------------------------------


def test_the_agenda_names_the_day_the_chair_and_every_slot_in_order():
    message = agenda_message(AGENDA)
    assert message["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": "Enhanced Peer Forum — Tuesday 1 December 2026"}}
    assert "response_type" not in message
    lines = render_message(message)
    assert f"*Chair:* Service director ASC operations (<@{CHAIR}>)" in lines
    start = lines.index(f"09:00–09:30 · case 1234567 · new package £412.00/wk · worker <@{PRIYA}> · with <@{ANNA}>")
    assert lines[start + 1:start + 3] == [
        "09:30–10:00 · free",
        "10:00–10:30 · case 7654321 · residential placement £1,234.50/wk · worker <@U0BEN>",
    ]
    assert message["text"] == "Enhanced Peer Forum — Tuesday 1 December 2026: 2 cases booked"


def test_a_closed_day_says_why_there_is_no_forum():
    message = agenda_message(CLOSED)
    assert render_message(message) == ["== Enhanced Peer Forum — Friday 25 December 2026 ==",
                                       "No sitting today: Christmas Day."]
    assert "Christmas Day" in chair_agenda_dm(CLOSED)["text"]


def test_a_full_sitting_of_long_lines_stays_within_a_messages_limits():
    for message in (agenda_message(FULL_SITTING), chair_agenda_dm(FULL_SITTING)):
        assert_within_slack_limits(message)
        assert sum(line.count(" · worker ") for line in render_message(message)) == 16


def test_the_chair_is_told_how_many_cases_they_hear_with_the_same_slot_lines():
    message = chair_agenda_dm(AGENDA)
    assert message["text"] == "You chair the Enhanced Peer Forum today (Tuesday 1 December 2026): 2 cases"
    assert "09:30–10:00 · free" in render_message(message)
    one = replace(AGENDA, items=AGENDA.items[:2])
    assert chair_agenda_dm(one)["text"].endswith(": 1 case")


# --- Every builder: Slack's limits, readable text, privacy ------------------------------------------------

VIEWS = {
    "form": lambda: booking_modal(CHOICE),
    "form-rebooking": lambda: booking_modal(REBOOKING),
    "form-spring": lambda: booking_modal(SPRING_CHOICE),
    "form-no-slots": lambda: booking_modal(NO_FREE_SLOTS),
    "booked": lambda: booked_view(BOOKED),
    "booked-moved": lambda: booked_view(MOVED),
}
MESSAGES = {
    "confirmation": lambda: booking_confirmation_dm(BOOKED),
    "confirmation-moved": lambda: booking_confirmation_dm(MOVED),
    "cancelled": lambda: booking_cancelled_dm(CANCELLED),
    "agenda": lambda: agenda_message(AGENDA),
    "agenda-closed": lambda: agenda_message(CLOSED),
    "agenda-full": lambda: agenda_message(FULL_SITTING),
    "chair": lambda: chair_agenda_dm(AGENDA),
    "chair-closed": lambda: chair_agenda_dm(CLOSED),
}


@pytest.mark.parametrize("build", [*VIEWS.values(), *MESSAGES.values()], ids=[*VIEWS, *MESSAGES])
def test_every_builder_stays_within_slacks_limits(build):
    payload = build()
    assert_within_slack_limits(payload)
    assert_slack_sdk_reads_it_back(payload)


@pytest.mark.parametrize("build", VIEWS.values(), ids=list(VIEWS))
def test_every_view_reads_as_text_naming_the_case(build):
    lines = render_view(build())
    assert any("1234567" in line for line in lines)
    assert not any("{'" in line or '{"' in line for line in lines)


@pytest.mark.parametrize("build", MESSAGES.values(), ids=list(MESSAGES))
def test_every_message_reads_as_text(build):
    message = build()
    lines = render_message(message)
    assert lines and message["text"]
    assert not any("{'" in line or '{"' in line for line in lines)


def test_no_free_text_about_the_person_reaches_the_booking_form():
    private = replace(FORUM, **CANARIES)
    for choice in (CHOICE, REBOOKING, SPRING_CHOICE, NO_FREE_SLOTS):
        assert "CANARY" not in everything(booking_modal(replace(choice, case=private)))


def test_a_reference_cannot_mention_anyone_in_channels_or_dms():
    hostile = "<!channel>"
    agenda = replace(AGENDA, items=(replace(AGENDA.items[1], reference=hostile),))
    booking = replace(BOOKING, reference=hostile)
    for payload in (agenda_message(agenda), chair_agenda_dm(agenda), booking_confirmation_dm(BookingChange(booking)),
                    booking_cancelled_dm(BookingChange(booking, cancelled=True)),
                    booking_modal(replace(CHOICE, case=replace(FORUM, reference=hostile)))):
        assert not any("<!channel>" in text for text in [payload.get("text", ""), *mrkdwn_texts(payload)])


# --- Words -----------------------------------------------------------------------------------------------------


def test_roles_and_days_read_as_words():
    assert role_label("service_director_asc_operations") == "Service director ASC operations"
    assert role_label("strategic_manager_his") == "Strategic manager HIS"
    assert role_label("panel_admins") == "Panel admins"
    assert short_date(date(2026, 12, 1)) == "Tuesday 1 December"
