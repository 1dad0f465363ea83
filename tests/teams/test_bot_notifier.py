"""The Teams notifier: where each message goes, and what each of the connector's answers means for the
outbox (retry, give up, or "it may be in Teams already"), against the stand-in as strict as Teams."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.notify import DeliveryError, Notice, RateGate
from bot.services.cases import case_by_id
from bot.services.outbox import deliver_due
from handlers.teams.addresses import NO_CHAT, PERSON, Address
from handlers.teams.auth import BotTokens
from handlers.teams.connector import Connector, refused
from handlers.teams.notify import TeamsNotifier
from handlers.teams.standin import APP_SECRET, BOT_APP_ID, TENANT_ID
from messages.teams.render import render_text
from store.models import Outbox
from tests.teams.test_bot_harness import (
    ADMIN,
    FORUM,
    PRIYA,
    everyone_installed,
    policy,
    seed_case,
    teams,
)

FIXTURES = (everyone_installed, policy, teams)  # pytest finds these fixtures by their names in this module

ERROR = b'{"error": {"code": "%s", "message": "Jamie Smith"}}'


@pytest.mark.parametrize(("status", "code", "permanent", "short"), [
    (400, "BadArgument", True, "bad_argument"),
    (401, None, True, "unauthorized"),
    (403, "BotNotInConversationRoster", True, "bot_not_in_conversation_roster"),
    (403, "ConversationBlockedByUser", True, "conversation_blocked_by_user"),
    (403, "ForbiddenOperationException", True, "forbidden_operation_exception"),
    (403, "BotDisabledByAdmin", True, "bot_disabled_by_admin"),
    (404, "ConversationNotFound", True, "conversation_not_found"),
    (404, "ActivityNotFoundInConversation", True, "activity_not_found_in_conversation"),
    (412, "PreconditionFailed", False, "precondition_failed"),
    (413, "MessageSizeTooBig", True, "message_size_too_big"),
    (502, "ServiceError", False, "http_502"),
    (503, None, False, "http_503"),
])
def test_each_refusal_says_whether_to_retry_with_a_short_code(status, code, permanent, short):
    error = refused(status, ERROR % code.encode() if code else b"")
    assert (error.permanent, error.code, error.maybe_sent, error.retry_after) == (permanent, short, False, None)
    assert "Jamie" not in str(error)  # Teams' message can quote what was sent: never kept


def test_a_throttle_carries_its_retry_after_and_a_500_or_504_may_have_kept_the_message():
    throttled = refused(429, ERROR % b"Throttled", "7")
    assert (throttled.permanent, throttled.code, throttled.retry_after) == (False, "ratelimited", 7.0)
    for status in (500, 504):
        assert refused(status, b"").maybe_sent and not refused(status, b"").permanent


def sent_rows(teams) -> dict[tuple[str, str], tuple[str, str | None]]:
    with teams.services.sessions() as session:
        rows = session.execute(select(Outbox.kind, Outbox.recipient, Outbox.state, Outbox.error)).all()
    return {(kind, recipient): (state, error) for kind, recipient, state, error in rows}


def test_a_person_seen_only_in_a_channel_gets_a_personal_chat_opened_once(teams):
    teams.bot.addresses.record(teams.bot_activity(teams.message(PRIYA, "mine", channel=teams.forum_channel)))
    found = teams.bot.addresses.find(PRIYA)
    assert found is not None and found.kind == PERSON and found.conversation_id == NO_CHAT
    teams.send(teams.message(PRIYA, "mine", channel=teams.forum_channel))  # answered in her own chat
    teams.send(teams.message(PRIYA, "mine", channel=teams.forum_channel))
    assert len(teams.standin.calls_to("create")) == 1
    assert len(teams.standin.sent_to(teams.users[PRIYA])) == 2
    assert teams.bot.addresses.find(PRIYA).conversation_id == teams.standin.sent_to(teams.users[PRIYA])[0][
        "conversation"]["id"]


def test_the_case_card_and_the_receipt_go_to_the_channel_and_the_workers_chat(everyone_installed):
    teams = everyone_installed
    case_id = seed_case(teams)
    rows = sent_rows(teams)
    assert rows[("case_card", FORUM)] == ("sent", None)
    assert rows[("receipt", PRIYA)] == ("sent", None)
    assert rows[("home", PRIYA)] == ("sent", None)  # no Home tab in Teams: nothing is sent for it
    case = case_by_id(teams.services, case_id, PRIYA).case
    assert (case.card_channel, case.card_ts) == (FORUM, teams.standin.posted_in(teams.forum_channel)[0]["id"])


def test_someone_panelbot_never_saw_in_teams_fails_at_once_with_no_address(teams):
    seed_case(teams)  # nobody installed anything: no addresses at all
    rows = sent_rows(teams)
    assert rows[("case_card", FORUM)] == ("failed", "no_address")
    assert rows[("receipt", PRIYA)] == ("failed", "no_address")
    assert teams.standin.calls_to("send") == []


def test_someone_who_removed_panelbot_fails_for_good_with_teams_code(everyone_installed):
    teams = everyone_installed
    teams.standin.uninstall(teams.users[PRIYA])
    seed_case(teams)
    assert sent_rows(teams)[("receipt", PRIYA)] == ("failed", "bot_not_in_conversation_roster")


def test_a_throttle_closes_the_gate_for_every_later_call_until_retry_after(everyone_installed):
    teams = everyone_installed
    teams.standin.fail_next("send", status=429, retry_after=30)
    sends = len(teams.standin.calls_to("send"))
    seed_case(teams)
    rows = sent_rows(teams)
    assert rows[("case_card", FORUM)] == ("pending", "ratelimited")
    assert teams.bot.notifier.gate.remaining() > 0
    assert len(teams.standin.calls_to("send")) == sends + 1  # the receipt did not go out behind the 429
    assert sent_rows(teams)[("receipt", PRIYA)] == ("pending", None)


def test_an_expired_bot_token_is_renewed_and_the_message_sent(everyone_installed):
    teams = everyone_installed
    teams.bot.connector.tokens.token()
    teams.standin.expire_tokens()
    seed_case(teams)
    assert sent_rows(teams)[("case_card", FORUM)] == ("sent", None)


def test_teams_unreachable_is_retried_and_not_taken_for_a_message_kept(everyone_installed):
    teams = everyone_installed
    closed = Connector(BotTokens(BOT_APP_ID, APP_SECRET, token_url=teams.standin.token_url()), gate=RateGate())
    notifier = TeamsNotifier(closed, teams.bot.addresses)
    teams.bot.addresses._keep(Address(PRIYA, PERSON, teams.users[PRIYA], "a:1chat", "http://127.0.0.1:9/uk/",
                                      TENANT_ID))
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [], "fallbackText": "x"}
    with pytest.raises(DeliveryError) as failed:
        notifier.post(PRIYA, card)
    assert (failed.value.code, failed.value.permanent, failed.value.maybe_sent) == ("connection_refused", False, False)


def test_a_case_card_whose_answer_was_lost_is_not_posted_again_and_the_panel_admin_is_told(everyone_installed):
    teams = everyone_installed
    teams.standin.drop_next("send", after_keeping=True)  # the card is in the channel; panelbot never hears so
    seed_case(teams)
    assert sent_rows(teams)[("case_card", FORUM)] == ("unknown", "no_answer")
    deliver_due(teams.services, teams.services.now())  # the admin's notice, queued with the verdict
    assert len(teams.standin.posted_in(teams.forum_channel)) == 1
    told = render_text(teams.chat(ADMIN)[-1])
    assert "Teams did not confirm whether the case card for case 1234567 was posted" in told


def test_a_personal_message_whose_answer_was_lost_is_not_sent_twice_and_the_panel_admin_is_told(
        everyone_installed, clock):
    from bot.services.cases import withdraw_case

    teams = everyone_installed
    case_id = seed_case(teams)
    withdraw_case(teams.services, case_id, "no longer needed", PRIYA)  # tells Anna and Tomas, personally
    teams.standin.drop_next("send", after_keeping=True)  # the first personal notice is kept; the answer is lost
    for _ in range(4):
        deliver_due(teams.services, clock[0])
        clock[0] += timedelta(hours=2)
    notices = [state for (kind, _), (state, _) in sent_rows(teams).items() if kind == "decision_notice"]
    assert notices.count("unknown") == 1 and "sending" not in notices  # never twice, never left waiting
    assert sent_rows(teams)[("delivery_unknown", ADMIN)] == ("sent", None)


def test_a_reminder_whose_answer_was_lost_is_not_sent_twice_and_the_panel_admin_is_told(everyone_installed, clock):
    """Teams cannot be asked whether it went: the reminder is not sent again, it stays open for Done,
    and the panel admin is told to check with the person."""
    from bot.domain.reminders import ReminderKind
    from bot.services.reminders import complete_reminder, remind, send_due_reminders
    from store.models import Reminder

    teams = everyone_installed
    case_id = seed_case(teams)
    services = teams.services
    with services.sessions.begin() as session:
        remind(session, kind=ReminderKind.REVIEW_DUE, case_id=case_id, person=PRIYA, due_at=clock[0],
               why="Review due today", now=clock[0])
    before, told_before = len(teams.chat(PRIYA)), len(teams.chat(ADMIN))
    teams.standin.drop_next("send", after_keeping=True)
    assert send_due_reminders(services, clock[0]) == 0
    for _ in range(3):  # the lease runs out, and later sweeps come round
        clock[0] += timedelta(hours=1)
        assert send_due_reminders(services, clock[0]) == 0
    sent = [render_text(card) for card in teams.chat(PRIYA)[before:]]
    assert len(sent) == 1 and sent[0].startswith("Reminder: Review due for case 1234567")
    with services.sessions() as session:
        [reminder] = session.query(Reminder).filter_by(case_id=case_id, person=PRIYA).all()
        assert (reminder.state, reminder.error) == ("unknown", "no_history")
    [told] = [render_text(card) for card in teams.chat(ADMIN)[told_before:]]
    assert "Teams did not confirm whether a reminder to" in told and "case 1234567" in told
    assert "has not sent it again" in told
    assert complete_reminder(services, reminder.id, PRIYA) == "1234567"  # still hers to close


def test_a_message_panelbot_sent_can_be_deleted_and_one_already_gone_counts_as_deleted(everyone_installed):
    teams = everyone_installed
    seed_case(teams)
    notifier = teams.bot.notifier
    [card] = teams.standin.posted_in(teams.forum_channel)
    notifier.delete_message(FORUM, card["id"])
    assert teams.standin.posted_in(teams.forum_channel) == []
    notifier.delete_message(FORUM, card["id"])  # gone already: nothing to do


def test_the_notifier_implements_the_seams_the_core_uses(teams):
    from bot.notify import MessageEraser, Notifier, ReminderNotifier

    notifier: Notifier = teams.bot.notifier
    reminders: ReminderNotifier = teams.bot.notifier
    assert isinstance(notifier, MessageEraser)
    with pytest.raises(DeliveryError) as cannot:
        reminders.reminders_already_sent(PRIYA)
    assert (cannot.value.code, cannot.value.permanent) == ("no_history", True)
    with pytest.raises(DeliveryError) as failed:
        notifier.outbox_already_sent(PRIYA, 1, teams.services.now())
    assert (failed.value.code, failed.value.permanent) == ("no_history", True)
    assert notifier.send(Notice.HOME, None, PRIYA, outbox_id=1).ts == "home"  # type: ignore[arg-type]
    assert [c for c in teams.standin.calls if c.operation not in ("metadata", "keys")] == []
