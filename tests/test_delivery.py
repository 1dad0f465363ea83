"""Messages go out exactly once, through the real notifier against the strict stand-in: permanent
errors fail at once with Slack's code, passing ones are retried, a message that may be in Slack
already is looked for before it is sent again, a live worker's claims are never taken over, and a
429 holds every later call of the process."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update

from bot.notify import PROCESS_GATE, Notice
from bot.services import Services
from bot.services.booking import book_slot
from bot.services.outbox import deliver_due, queue_notice
from bot.services.reminders import send_due_reminders
from handlers.slack.notify import PERMANENT, SlackDirectory, SlackNotifier
from handlers.slack.standin.webapi import Failure
from store.models import CaseCard, Outbox, Reminder
from tests.conftest import BOT_TOKEN, PINNED_NOW

PRIYA, ANNA, ADMIN, FORUM = "U0PRIYA", "U0ANNAAP", "U0PANELAD1", "C0FORUM001"
THURSDAY_NINE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a forum slot; its eve is Wednesday 09:00
WEDNESDAY_NINE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = PINNED_NOW + timedelta(hours=2)


@pytest.fixture(autouse=True)
def open_gate():
    PROCESS_GATE.close_for(0)
    PROCESS_GATE.wait(lambda _: None, float("inf"))
    yield
    PROCESS_GATE.wait(lambda _: None, float("inf"))


def outbox(engine, kind):
    with engine.connect() as connection:
        return connection.execute(select(Outbox.state, Outbox.error, Outbox.sent_ts)
                                  .where(Outbox.kind == kind)).one()


def kept(slack, event="panelbot_outbox"):
    """How many times Slack holds each outbox id (or reminder id)."""
    ids = Counter()
    for _, message in slack.all_messages():
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == event == "panelbot_outbox":
            ids[metadata["event_payload"]["outbox_id"]] += 1
        elif metadata.get("event_type") == event == "panelbot_reminders":
            ids.update(metadata["event_payload"]["reminder_ids"])
    return ids


def to_admin(slack):
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == ADMIN]


def only_to(channel, failure):
    """A `misbehave` that fails the first call to `channel` (then answers normally)."""
    done = []

    def decide(method, args):
        if method == "chat.postMessage" and args.get("channel") == channel and not done:
            done.append(1)
            return failure
        return None
    return decide


def crashed(engine, kind, *, lease_until=PINNED_NOW - timedelta(seconds=1), **values):
    """As if the process holding the row died: still `sending`, its lease run out."""
    with engine.begin() as connection:
        connection.execute(update(Outbox).where(Outbox.kind == kind).values(
            state="sending", claim_token="dead-worker", lease_until=lease_until, claimed_at=PINNED_NOW, **values))


# -- permanent errors fail at once; passing ones are retried ----------------------------------------------

@pytest.mark.parametrize("code", sorted({
    "message_not_found", "cant_update_message", "edit_window_closed", "messages_tab_disabled", "msg_blocks_too_long",
    "invalid_metadata_format", "channel_not_found", "not_in_channel", "user_not_found", "invalid_blocks",
    "is_archived", "account_inactive"}))
def test_a_permanent_error_fails_the_message_at_once_with_its_code(services, engine, slack, new_case, code):
    assert code in PERMANENT
    slack.misbehave = only_to(PRIYA, Failure(error=code))
    new_case()
    deliver_due(services, PINNED_NOW)
    assert outbox(engine, "receipt")[:2] == ("failed", code)
    assert deliver_due(services, LATER + timedelta(days=3)) == 0
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == PRIYA]) == 1


def test_an_update_of_a_card_someone_deleted_fails_at_once(services, engine, slack, new_case):
    case_id = new_case()
    deliver_due(services, PINNED_NOW)
    card = outbox(engine, "case_card")
    slack.delete_message(FORUM, card.sent_ts)
    with services.sessions.begin() as session:
        queue_notice(session, Notice.CARD_UPDATE, case_id, FORUM, PINNED_NOW, key="update:1")
    deliver_due(services, PINNED_NOW)
    assert outbox(engine, "card_update")[:2] == ("failed", "message_not_found")
    assert len(slack.calls_to("chat.update")) == 1


def test_an_update_after_the_edit_window_closed_fails_at_once(services, engine, slack, new_case):
    now = [0.0]
    slack.clock = lambda: now[0]
    slack.edit_window = 3600
    case_id = new_case()
    deliver_due(services, PINNED_NOW)
    now[0] += 3601
    with services.sessions.begin() as session:
        queue_notice(session, Notice.CARD_UPDATE, case_id, FORUM, PINNED_NOW, key="update:1")
    deliver_due(services, PINNED_NOW)
    assert outbox(engine, "card_update")[:2] == ("failed", "edit_window_closed")


def test_a_card_for_a_channel_the_app_was_not_invited_to_fails_and_the_receipt_still_goes(
        services, engine, slack, new_case):
    slack.add_channel(FORUM, member=False)
    new_case()
    deliver_due(services, PINNED_NOW)
    assert outbox(engine, "case_card")[:2] == ("failed", "not_in_channel")
    assert outbox(engine, "receipt")[0] == "sent"


def test_a_reminder_to_someone_whose_messages_tab_is_off_fails_and_the_admin_is_told(
        services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    deliver_due(services, PINNED_NOW)
    slack.messages_tab = False
    send_due_reminders(services, WEDNESDAY_NINE)
    with engine.connect() as connection:
        assert set(connection.execute(select(Reminder.state, Reminder.error)
                                      .where(Reminder.kind == "forum_tomorrow")).all()) == {
            ("failed", "messages_tab_disabled")}
    slack.messages_tab = True
    assert send_due_reminders(services, WEDNESDAY_NINE + timedelta(days=1)) == 0
    assert len(to_admin(slack)) == 2  # one for Priya's, one for Anna's


def test_the_admins_notice_of_a_failed_reminder_survives_a_rate_limit(services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    deliver_due(services, PINNED_NOW)
    first_tries = {PRIYA: Failure(error="account_inactive"), ADMIN: Failure(status=429, retry_after=5)}
    slack.misbehave = lambda method, args: first_tries.pop(args.get("channel"), None) \
        if method == "chat.postMessage" else None
    send_due_reminders(services, WEDNESDAY_NINE)
    with engine.connect() as connection:
        assert connection.execute(select(Outbox.state, Outbox.error).where(Outbox.kind == "reminders_failed")).one() \
            == ("pending", "ratelimited")
    PROCESS_GATE.wait(lambda _: None, float("inf"))
    deliver_due(services, WEDNESDAY_NINE + timedelta(minutes=1))
    with engine.connect() as connection:
        state, told_id = connection.execute(select(Outbox.state, Outbox.id)
                                            .where(Outbox.kind == "reminders_failed")).one()
    assert state == "sent" and kept(slack)[told_id] == 1
    assert "account_inactive" in to_admin(slack)[-1].args["text"]


@pytest.mark.parametrize(("failure", "code"), [(Failure(status=503), "http_503"),
                                               (Failure(status=429, retry_after=600), "ratelimited"),
                                               (Failure(error="ratelimited"), "ratelimited")])
def test_a_passing_error_is_retried_after_a_backoff(services, engine, slack, new_case, failure, code):
    slack.misbehave = only_to(PRIYA, failure)
    new_case()
    deliver_due(services, PINNED_NOW)
    assert outbox(engine, "receipt")[:2] == ("pending", code)
    PROCESS_GATE.wait(lambda _: None, float("inf"))
    deliver_due(services, PINNED_NOW + timedelta(seconds=20))
    assert outbox(engine, "receipt")[:2] == ("pending", code)  # not before the backoff
    deliver_due(services, LATER)
    assert outbox(engine, "receipt")[0] == "sent"
    assert set(kept(slack).values()) == {1}


# -- nothing posted twice, nothing lost -------------------------------------------------------------------

def test_a_dm_sent_just_before_a_crash_is_found_in_slack_and_not_sent_again(services, engine, slack, new_case):
    new_case()
    deliver_due(services, PINNED_NOW)
    crashed(engine, "receipt", sent_ts=None)
    assert deliver_due(services, LATER) == 0
    state, _, sent_ts = outbox(engine, "receipt")
    assert state == "sent" and sent_ts is not None
    assert set(kept(slack).values()) == {1}


def test_a_crash_before_anything_went_sends_the_message_once(services, engine, slack, new_case):
    new_case()
    crashed(engine, "receipt")
    deliver_due(services, LATER)
    assert outbox(engine, "receipt")[0] == "sent"
    assert set(kept(slack).values()) == {1} and len(kept(slack)) == 2  # the card and the receipt


def test_a_claim_whose_owner_is_alive_is_never_taken_over(services, engine, slack, new_case):
    new_case()
    crashed(engine, "receipt", lease_until=LATER)  # its owner renews its lease: it is working on it
    deliver_due(services, LATER - timedelta(seconds=1))
    assert outbox(engine, "receipt")[0] == "sending"
    assert not [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == PRIYA]


def test_a_dm_whose_answer_was_lost_after_slack_kept_it_is_not_posted_twice(services, engine, slack, new_case):
    slack.misbehave = only_to(PRIYA, Failure(drop=True, after_keeping=True))
    new_case()
    deliver_due(services, PINNED_NOW)  # (slack_sdk's own connection-error retry would post it again here)
    assert outbox(engine, "receipt")[:2] == ("sending", "no_answer")
    deliver_due(services, LATER)
    assert outbox(engine, "receipt")[0] == "sent"
    assert set(kept(slack).values()) == {1}
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == PRIYA]) == 1


def test_a_dm_whose_answer_was_lost_before_slack_kept_it_is_sent_once_after_checking(
        services, engine, slack, new_case):
    slack.misbehave = only_to(PRIYA, Failure(drop=True, after_keeping=False))
    new_case()
    deliver_due(services, PINNED_NOW)
    deliver_due(services, LATER)
    assert outbox(engine, "receipt")[0] == "sent"
    assert set(kept(slack).values()) == {1} and len(kept(slack)) == 2


def test_a_500_on_a_dm_is_checked_in_slack_before_the_retry(services, engine, slack, new_case):
    slack.misbehave = only_to(PRIYA, Failure(status=500))
    new_case()
    deliver_due(services, PINNED_NOW)
    assert outbox(engine, "receipt")[:2] == ("sending", "http_500")
    deliver_due(services, LATER)
    assert outbox(engine, "receipt")[0] == "sent"
    assert len(slack.calls_to("conversations.history")) == 1


def test_a_channel_post_whose_answer_was_lost_is_marked_unknown_and_the_panel_admin_told(
        services, engine, slack, new_case):
    slack.misbehave = only_to(FORUM, Failure(drop=True, after_keeping=True))
    new_case()
    deliver_due(services, PINNED_NOW)
    deliver_due(services, LATER)
    assert outbox(engine, "case_card")[:2] == ("unknown", "no_answer")
    assert set(kept(slack).values()) == {1}
    [told] = to_admin(slack)
    assert "1234567" in told.args["text"] and FORUM in told.args["text"]
    assert not slack.calls_to("conversations.history")  # panelbot does not read channel history


def test_a_reminder_whose_answer_was_lost_is_found_in_slack_and_not_sent_again(services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    slack.misbehave = only_to(PRIYA, Failure(drop=True, after_keeping=True))
    send_due_reminders(services, WEDNESDAY_NINE)
    with engine.connect() as connection:
        assert connection.scalar(select(Reminder.state).where(Reminder.person == PRIYA)) == "sending"
    send_due_reminders(services, WEDNESDAY_NINE + timedelta(hours=1))
    with engine.connect() as connection:
        assert set(connection.scalars(select(Reminder.state).where(Reminder.kind == "forum_tomorrow"))) == {"sent"}
    assert set(kept(slack, "panelbot_reminders").values()) == {1}


def test_a_reminder_whose_answer_is_lost_on_every_try_fails_once_slack_is_known_not_to_have_it(
        services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    slack.misbehave = lambda method, args: Failure(drop=True) if method == "chat.postMessage" \
        and args.get("channel") == PRIYA else None
    for day in range(20):
        send_due_reminders(services, WEDNESDAY_NINE + timedelta(days=day))
    with engine.connect() as connection:
        assert connection.execute(select(Reminder.state, Reminder.error).where(Reminder.person == PRIYA)).one() \
            == ("failed", "no_answer")
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == PRIYA]) == 6
    assert "no_answer" in to_admin(slack)[0].args["text"]


def test_a_dm_whose_answer_is_lost_on_every_try_fails_once_slack_is_known_not_to_have_it(
        services, engine, slack, new_case):
    slack.misbehave = lambda method, args: Failure(drop=True) if method == "chat.postMessage" \
        and args.get("channel") == PRIYA else None
    new_case()
    for hour in range(40):
        deliver_due(services, PINNED_NOW + timedelta(hours=hour))
    assert outbox(engine, "receipt")[:2] == ("failed", "gave_up")
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == PRIYA]) == 8


def test_every_page_of_the_dm_history_is_searched(services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    send_due_reminders(services, WEDNESDAY_NINE)
    with engine.begin() as connection:  # the process died before marking them sent
        connection.execute(update(Reminder).values(state="sending", claim_token="dead", sent_ts=None,
                                                   lease_until=WEDNESDAY_NINE))
    other = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    for n in range(450):  # many messages since: the reminder is on the third page
        other.chat_postMessage(channel=PRIYA, text=f"filler {n}")
    assert send_due_reminders(services, WEDNESDAY_NINE + timedelta(minutes=5)) == 0
    assert set(kept(slack, "panelbot_reminders").values()) == {1}
    assert len(slack.calls_to("conversations.history")) >= 3


def test_after_a_429_no_call_goes_out_before_its_retry_after_whichever_sender_makes_it(
        services, engine, slack, new_case):
    slack.fail_next("chat.postMessage", status=429, retry_after=20)
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    deliver_due(services, PINNED_NOW)  # the card gets the 429; the receipt waits for it
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert 19 < PROCESS_GATE.remaining() <= 20
    calls_when_waiting = []

    def sleep(seconds):
        calls_when_waiting.append((round(seconds), len(slack.calls_to("chat.postMessage"))))

    assert send_due_reminders(services, WEDNESDAY_NINE, sleep=sleep) == 2
    assert calls_when_waiting == [(20, 1)]  # the reminder sweep waited before its first call


def test_a_person_rate_limited_twice_in_one_sweep_is_left_for_a_later_sweep(services, engine, slack, new_case):
    book_slot(services, new_case(), THURSDAY_NINE, PRIYA)
    deliver_due(services, PINNED_NOW)
    slack.misbehave = lambda method, args: Failure(status=429, retry_after=1) \
        if method == "chat.postMessage" and args.get("channel") == PRIYA else None
    assert send_due_reminders(services, WEDNESDAY_NINE, sleep=lambda _: None) == 1  # Anna's
    with engine.connect() as connection:
        assert connection.execute(select(Reminder.state, Reminder.error).where(Reminder.person == PRIYA)).one() \
            == ("pending", "ratelimited")
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == PRIYA
                and c.args["metadata"]["event_type"] == "panelbot_reminders"]) == 2  # the try, and one more


def test_the_bolt_apps_429s_close_the_gate_too(services, slack, client):
    slack.fail_next("views.publish", status=429, retry_after=9)
    with pytest.raises(SlackApiError):
        client.views_publish(user_id=PRIYA, view={"type": "home", "blocks": []})
    assert 8 < PROCESS_GATE.remaining() <= 9


# -- two workers --------------------------------------------------------------------------------------------

def running_clock():
    """The pinned moment, then running at real speed (leases need time to pass)."""
    started = time.monotonic()
    return lambda: WEDNESDAY_NINE + timedelta(seconds=time.monotonic() - started)


def worker_services(services, clock, claim_timeout):
    client = WebClient(token=BOT_TOKEN, base_url=services.notifier.client.base_url)
    return Services(engine=services.engine, policy=services.policy, notifier=SlackNotifier(client),
                    directory=SlackDirectory(client), clock=clock, claim_timeout=claim_timeout)


def test_a_second_worker_never_takes_a_slow_workers_live_claims(services, engine, slack, new_case):
    for n in range(6):
        book_slot(services, new_case(reference=f"800000{n}", submitter=f"U0WORKER{n}"),
                  THURSDAY_NINE + timedelta(minutes=30 * n), f"U0WORKER{n}")
    clock = running_clock()
    first, second = (worker_services(services, clock, timedelta(seconds=2)) for _ in range(2))
    slack.delays["chat.postMessage"] = 0.25  # 12 DMs: 3 s, longer than the lease

    def second_worker():
        time.sleep(2.5)  # when the first worker's claims would have run out, had it not renewed them
        return sum(send_due_reminders(second, clock()) for _ in range(3))

    with ThreadPoolExecutor(max_workers=2) as pool:
        one, two = pool.submit(send_due_reminders, first, clock()), pool.submit(second_worker)
        assert one.result() + two.result() == 12
    assert two.result() == 0
    assert Counter(kept(slack, "panelbot_reminders").values()) == Counter({1: 12})


def test_two_sweeps_taking_over_the_same_abandoned_claims_send_each_reminder_once(services, engine, slack, new_case):
    for n in range(6):
        book_slot(services, new_case(reference=f"800000{n}", submitter=f"U0WORKER{n}"),
                  THURSDAY_NINE + timedelta(minutes=30 * n), f"U0WORKER{n}")
    with engine.begin() as connection:  # claimed by a worker that died before sending anything
        connection.execute(update(Reminder).values(state="sending", claim_token="dead", claimed_at=WEDNESDAY_NINE,
                                                   lease_until=WEDNESDAY_NINE))
    slack.delays["conversations.history"] = 0.1
    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = sum(pool.map(lambda _: send_due_reminders(services, WEDNESDAY_NINE + timedelta(minutes=5)),
                            range(2)))
    assert sent == 12
    assert Counter(kept(slack, "panelbot_reminders").values()) == Counter({1: 12})


def test_two_passes_taking_over_the_same_abandoned_message_send_it_once(services, engine, slack, new_case):
    for n in range(4):
        new_case(reference=f"900000{n}", submitter=f"U0WORKER{n}")
    crashed(engine, "receipt")
    slack.delays["conversations.history"] = 0.1
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda _: deliver_due(services, LATER), range(2)))
    assert Counter(kept(slack).values()) == Counter({1: 8})  # four cards, four receipts
    with engine.connect() as connection:
        assert set(connection.scalars(select(Outbox.state))) == {"sent"}
        assert connection.scalar(select(CaseCard.ts).limit(1)) is not None
