"""Calendar invitations: a booking sends the worker, the person attending and the sitting's chair an
iCalendar file; a rebook updates it and a cancel cancels it (same UID, higher SEQUENCE)."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from bot.services.booking import book_slot, cancel_booking
from bot.services.outbox import deliver_due

PRIYA, ANNA = "U0PRIYA", "U0ANNAAP"
THURSDAY_NINE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
FRIDAY_NINE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def invitations(slack):
    """(channel, method, uid, sequence, start) of every .ics file uploaded, in order."""
    found = []
    for file_id, raw in slack.files.uploads.items():
        if not slack.files.names.get(file_id, "").endswith(".ics"):
            continue
        calendar = Calendar.from_ical(raw)
        [event] = calendar.walk("VEVENT")
        found.append((str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]), event.decoded("DTSTART"),
                      str(event["SUMMARY"]), str(event["STATUS"])))
    return found


def test_a_booking_a_rebook_and_a_cancel_keep_one_event_in_each_calendar(services, slack, new_case, clock):
    case_id = new_case()
    book_slot(services, case_id, THURSDAY_NINE, PRIYA)
    deliver_due(services, clock[0])
    booked = invitations(slack)
    assert len(booked) == 3  # the worker, the AP/SM attending, the chair of Thursday's sitting
    assert {(method, uid, seq, start, summary, status) for method, uid, seq, start, summary, status in booked} == {
        ("PUBLISH", f"panelbot-case-{case_id}@panelbot", 0, THURSDAY_NINE, "Enhanced Peer Forum: case 1234567",
         "CONFIRMED")}

    book_slot(services, case_id, FRIDAY_NINE, PRIYA)  # moved: the same event, a later version
    deliver_due(services, clock[0])
    moved = invitations(slack)[3:]
    assert ("PUBLISH", f"panelbot-case-{case_id}@panelbot", 1, FRIDAY_NINE) in {m[:4] for m in moved}
    assert ("CANCEL", f"panelbot-case-{case_id}@panelbot", 1) in {m[:3] for m in moved}  # Thursday's chair

    cancel_booking(services, case_id, PRIYA)
    deliver_due(services, clock[0])
    cancelled = [m for m in invitations(slack) if m[0] == "CANCEL" and m[2] == 2]
    assert len(cancelled) == 3 and {m[5] for m in cancelled} == {"CANCELLED"}


def test_the_invitation_holds_the_reference_and_never_a_name(services, slack, new_case, clock):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    deliver_due(services, clock[0])
    for raw in slack.files.uploads.values():
        text = raw.decode()
        assert "1234567" in text and "strengths" not in text and "outcomes" not in text
