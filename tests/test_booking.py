"""Booking the Enhanced Peer Forum end to end: the form, the checks, cancel and rebook, the agenda,
and no double booking when many people click at once (on SQLite and PostgreSQL)."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot import worker
from bot.services.booking import book_slot, booking_choice, cancel_booking, post_agendas
from bot.services.outbox import deliver_due
from handlers.slack.standin.requests import form_state
from messages.slack.ids import Action, BookField, Callback
from store.models import Audit, Case, ForumBooking, Outbox
from tests.conftest import at_once, dispatch

PRIYA, ANNA, STRANGER = "U0PRIYA", "U0ANNAAP", "U0STRANGER"
# The pinned clock is Tuesday 24 November 2026, 10:00 in London; the forum sits 09:00-13:00 and slots
# must be booked 2 hours ahead, so the first free slot is 12:00 today.
TODAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TOMORROW_NINE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def opened_view(slack):
    return slack.calls_to("views.open")[-1].args["view"]


def slot_options(view):
    [block] = [b for b in view["blocks"] if b.get("block_id") == BookField.SLOT]
    return [option for group in block["element"]["option_groups"] for option in group["options"]]


def choose(app, signer, case_id, starts_at, *, user=PRIYA, view_id="V0BOOK"):
    view = {"type": "modal", "callback_id": Callback.BOOK_FORM, "private_metadata": str(case_id), "id": view_id,
            "blocks": [{"type": "input", "block_id": BookField.SLOT,
                        "element": {"type": "static_select", "action_id": "value"}}]}
    answers = {BookField.SLOT: starts_at.isoformat()}
    response = dispatch(app, signer.view_submission(user, view, form_state(view, answers)))
    assert response.status == 200
    return json.loads(response.body)


def live_bookings(engine):
    with engine.connect() as connection:
        return connection.execute(select(ForumBooking.case_id, ForumBooking.starts_at)
                                  .where(ForumBooking.cancelled_at.is_(None))).all()


def test_panel_book_offers_the_earliest_free_slots_first(app, signer, slack, new_case):
    new_case()
    dispatch(app, signer.command(PRIYA, "book 1234567"))
    view = opened_view(slack)
    assert view["callback_id"] == Callback.BOOK_FORM
    options = slot_options(view)
    assert options[0]["value"] == TODAY_NOON.isoformat()
    assert options[0]["text"]["text"].startswith("12:00")
    assert TOMORROW_NINE.isoformat() in [option["value"] for option in options]


def test_the_book_button_on_the_receipt_opens_the_same_form(app, signer, slack, new_case):
    case_id = new_case()
    dispatch(app, signer.block_action(PRIYA, Action.BOOK_SLOT, value=str(case_id), channel="D0PRIYA", message_ts="1.1"))
    assert opened_view(slack)["private_metadata"] == str(case_id)


def test_booking_confirms_to_worker_and_attendee_updates_the_card_and_lists_the_case(
        app, signer, slack, new_case, services, engine):
    case_id = new_case()
    deliver_due(services, services.now())  # the card is posted
    answer = choose(app, signer, case_id, TOMORROW_NINE)
    assert answer["response_action"] == "update"
    assert "Wednesday 25 November 2026" in json.dumps(answer["view"])
    assert live_bookings(engine) == [(case_id, TOMORROW_NINE)]
    with engine.connect() as connection:
        assert connection.scalar(select(Case.stage)) == "booked"
        assert connection.scalar(select(Audit.action).order_by(Audit.id.desc())) == "booking.made"
    for person in (PRIYA, ANNA):
        confirmations = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == person
                         and "09:00" in json.dumps(c.args)]
        assert confirmations, person
        assert "outlook.office.com" in json.dumps(confirmations[-1].args)
    [updated] = slack.calls_to("chat.update")
    assert "09:00" in json.dumps(updated.args["blocks"])
    agenda = json.loads(dispatch(app, signer.command(STRANGER, "agenda 25/11/2026")).body)
    assert "1234567" in json.dumps(agenda)


def test_only_forum_cases_can_be_booked(app, signer, new_case):
    new_case(reference="2345678", proposed_weekly="280", ras_weekly="300")
    answer = json.loads(dispatch(app, signer.command(PRIYA, "book 2345678")).body)
    assert "does not go to a meeting with slots" in answer["text"]


def test_only_the_worker_or_their_attendee_can_book(app, signer, slack, new_case, engine):
    case_id = new_case()
    answer = json.loads(dispatch(app, signer.command(STRANGER, "book 1234567")).body)
    assert "Only the worker who submitted" in answer["text"]
    assert choose(app, signer, case_id, TOMORROW_NINE, user=STRANGER)["response_action"] == "errors"
    assert live_bookings(engine) == []
    assert choose(app, signer, case_id, TOMORROW_NINE, user=ANNA)["response_action"] == "update"


@pytest.mark.parametrize(
    ("starts_at", "says"),
    [
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "in the past"),
        (datetime(2026, 11, 24, 11, 30, tzinfo=UTC), "at least 2 hours ahead"),
        (datetime(2026, 12, 25, 9, 0, tzinfo=UTC), "does not sit"),  # Christmas Day, a Friday
        (datetime(2026, 11, 28, 9, 0, tzinfo=UTC), "does not sit"),  # a Saturday
        (datetime(2026, 11, 25, 9, 10, tzinfo=UTC), "does not sit"),  # not a slot time
        (datetime(2026, 11, 25, 13, 0, tzinfo=UTC), "does not sit"),  # after Wednesday's sitting ends
    ],
    ids=["past", "inside-lead-time", "bank-holiday", "weekend", "between-slots", "after-the-sitting"],
)
def test_a_slot_that_cannot_be_booked_gets_an_inline_error(app, signer, new_case, engine, starts_at, says):
    case_id = new_case()
    answer = choose(app, signer, case_id, starts_at)
    assert answer["response_action"] == "errors"
    assert says in answer["errors"][BookField.SLOT]
    assert live_bookings(engine) == []


def test_cancelling_frees_the_slot_at_once_and_tells_both(app, signer, slack, new_case, engine):
    case_id = new_case()
    choose(app, signer, case_id, TODAY_NOON)
    dispatch(app, signer.block_action(PRIYA, Action.CANCEL_BOOKING, value=str(case_id), channel="D0P", message_ts="1"))
    assert live_bookings(engine) == []
    with engine.connect() as connection:
        assert connection.scalar(select(Case.stage)) == "awaiting_booking"
        assert connection.scalar(select(Audit.action).order_by(Audit.id.desc())) == "booking.cancelled"
    for person in (PRIYA, ANNA):
        assert any("cancelled" in json.dumps(c.args).lower() for c in slack.calls_to("chat.postMessage")
                   if c.args["channel"] == person)
    dispatch(app, signer.command(PRIYA, "book 1234567"))
    assert slot_options(opened_view(slack))[0]["value"] == TODAY_NOON.isoformat()


def test_rebooking_moves_the_case_and_frees_the_old_slot(app, signer, slack, new_case, engine):
    case_id = new_case()
    choose(app, signer, case_id, TODAY_NOON, view_id="V1")
    choose(app, signer, case_id, TOMORROW_NINE, view_id="V2")
    assert live_bookings(engine) == [(case_id, TOMORROW_NINE)]
    last = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == PRIYA][-1]
    assert "moved from" in json.dumps(last.args)


def test_a_double_clicked_booking_makes_one_booking_and_one_confirmation(app, signer, slack, new_case, engine):
    case_id = new_case()
    choose(app, signer, case_id, TOMORROW_NINE)
    sent = len(slack.calls_to("chat.postMessage"))
    assert choose(app, signer, case_id, TOMORROW_NINE)["response_action"] == "update"
    assert live_bookings(engine) == [(case_id, TOMORROW_NINE)]
    assert len(slack.calls_to("chat.postMessage")) == sent


def test_twenty_people_booking_one_slot_at_once_get_exactly_one_booking(app, signer, new_case, engine):
    case_ids = [new_case(submitter=f"U0WORKER{n:02d}", reference=f"99000{n:02d}") for n in range(20)]

    def attempt(n):
        return choose(app, signer, case_ids[n], TOMORROW_NINE, user=f"U0WORKER{n:02d}", view_id=f"V{n}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(attempt, range(20)))
    assert len(live_bookings(engine)) == 1
    losers = [a for a in answers if "just been booked" in json.dumps(a)]
    assert len(losers) == 19
    for answer in losers:
        assert answer["response_action"] == "update"
        offered = [option["value"] for option in slot_options(answer["view"])]
        assert TOMORROW_NINE.isoformat() not in offered
        assert offered[0] == TODAY_NOON.isoformat()


def test_four_cancel_presses_at_once_cancel_once_and_the_others_are_told_it_is_already_cancelled(
        services, new_case, engine):
    case_id = new_case()
    book_slot(services, case_id, TOMORROW_NINE, PRIYA)
    with engine.connect() as connection:
        audited = connection.scalar(select(func.max(Audit.id)))
        queued = connection.scalar(select(func.count()).select_from(Outbox))
    answers = at_once(*[lambda: cancel_booking(services, case_id, PRIYA)] * 4)
    assert [answer.cancelled for answer in answers if answer is not None] == [True]
    assert answers.count(None) == 3  # the surfaces say "That slot was already cancelled."
    with engine.connect() as connection:
        assert connection.scalars(select(Audit.action).where(Audit.id > audited)).all() == ["booking.cancelled"]
        assert connection.scalar(select(Case.stage)) == "awaiting_booking"
        single = connection.scalar(select(func.count()).select_from(Outbox)) - queued
    assert live_bookings(engine) == []
    # What one cancel queues, once: the two notices, the card, the calendars (the later presses add nothing).
    case_id = new_case(reference="7654321")
    book_slot(services, case_id, TOMORROW_NINE, PRIYA)
    with engine.connect() as connection:
        queued = connection.scalar(select(func.count()).select_from(Outbox))
    cancel_booking(services, case_id, PRIYA)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Outbox)) - queued == single


def test_a_cancel_racing_a_rebook_of_the_same_case_never_leaves_it_waiting_while_it_holds_a_slot(
        services, new_case, engine):
    for n in range(5):  # a race is not lost every time
        case_id = new_case(reference=f"88000{n:02d}")
        [first, second] = [slot.starts_at for day in booking_choice(services, PRIYA, case_id=case_id).days
                           for slot in day.slots][:2]
        book_slot(services, case_id, first, PRIYA)
        cancelled, moved = at_once(lambda case_id=case_id: cancel_booking(services, case_id, PRIYA),
                                   lambda case_id=case_id, to=second: book_slot(services, case_id, to, PRIYA))
        with engine.connect() as connection:
            stage = connection.scalar(select(Case.stage).where(Case.id == case_id))
            live = connection.scalars(select(ForumBooking.starts_at).where(
                ForumBooking.case_id == case_id, ForumBooking.cancelled_at.is_(None))).all()
        assert cancelled is not None and moved.changed  # each was done, one after the other
        # The cancel went first (the rebook then booked afresh) or second (it gave up the new slot).
        assert (stage, live) in (("booked", [second]), ("awaiting_booking", [])), (n, stage, live)


def test_the_agenda_of_a_bank_holiday_says_there_is_no_forum(app, signer):
    answer = json.loads(dispatch(app, signer.command(PRIYA, "agenda 25/12/2026")).body)
    assert "bank holiday" in json.dumps(answer)


def test_an_unreadable_agenda_date_gets_usage(app, signer):
    answer = json.loads(dispatch(app, signer.command(PRIYA, "agenda next blue moon")).body)
    assert answer["text"].startswith("Usage: `/panel agenda")


def test_the_agenda_is_posted_once_at_eight_and_the_chair_is_told(app, signer, slack, new_case, services, policy):
    case_id = new_case()
    choose(app, signer, case_id, TOMORROW_NINE)
    slack.reset()
    seven = datetime(2026, 11, 25, 7, 59, tzinfo=UTC)
    eight = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert worker.tick(services, seven)["post_agendas"] == 0
    worker.tick(services, eight)
    worker.tick(services, eight)  # a second tick, or a second worker, changes nothing
    posted = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == policy.bodies["forum"].channel]
    assert len(posted) == 1
    assert "1234567" in json.dumps(posted[0].args)
    chair_dms = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"].startswith("U")]
    assert len(chair_dms) == 1


def test_two_workers_ticking_at_the_same_moment_post_the_agenda_once(services, slack, policy):
    eight = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: worker.tick(services, eight), range(2)))
    assert all(result["post_agendas"] == 1 and result["deliver_outbox"] >= 0 for result in results)
    posted = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == policy.bodies["forum"].channel]
    assert len(posted) == 1


def test_no_agenda_is_posted_on_a_weekend(services, slack):
    assert post_agendas(services, datetime(2026, 11, 28, 9, 0, tzinfo=UTC)) == 0


def test_after_the_clocks_go_forward_a_monday_13_00_slot_is_12_00_utc(app, signer, slack, new_case, clock):
    clock[0] = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # Friday; the clocks go forward on Sunday 29 March 2026
    new_case()
    dispatch(app, signer.command(PRIYA, "book 1234567"))
    monday = [o for o in slot_options(opened_view(slack)) if o["value"].startswith("2026-03-30")]
    assert monday[0]["value"] == datetime(2026, 3, 30, 12, 0, tzinfo=UTC).isoformat()
    assert monday[0]["text"]["text"].startswith("13:00")


def test_the_booking_form_offers_no_slot_already_taken(services, new_case, app, signer):
    first, second = new_case(), new_case(submitter="U0OTHER", reference="7654321")
    choose(app, signer, first, TODAY_NOON)
    from bot.services.booking import booking_choice

    offered = [slot.starts_at for day in booking_choice(services, "U0OTHER", case_id=second).days
               for slot in day.slots]
    assert TODAY_NOON not in offered
    assert offered[0] == datetime(2026, 11, 24, 12, 30, tzinfo=UTC)
