"""A body may post its case cards in a Slack channel and a Teams channel both (`also_in`): one card in
each, every change shown on both, the decision replied under both, and the agendas posted in both.
Driven through the Teams bot over HTTP and the Slack Web API stand-in, one database, one policy."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text

from bot.addresses import Surface
from bot.notify import BySurface
from bot.policy import Policy
from bot.services.booking import book_slot, booking_choice, post_agendas
from bot.services.cases import case_by_id
from bot.services.outbox import deliver_due
from handlers.slack.notify import SlackNotifier
from messages.teams.ids import DecisionInput
from messages.teams.render import render_text
from store import migrate
from store.models import CaseCard
from tests.conftest import TEST_AUDIT_KEY, upgrade_as_owner
from tests.teams.test_bot_harness import (
    CHAIR,
    FORUM,
    PRIYA,
    button,
    buttons,
    cards_in,
    everyone_installed,
    seed_case,
    teams,
    teams_policy,
)

FIXTURES = (everyone_installed, teams)  # pytest finds these fixtures by their names in this module
SLACK_FORUM = "C0FORUM001"
REASON = "Agreed for twelve weeks."


@pytest.fixture
def policy(default_policy: Policy) -> Policy:
    """The Teams journey's policy, with the forum's cards in Slack's forum channel and in Teams'."""
    shaped = teams_policy(default_policy)
    forum = shaped.bodies["forum"].model_copy(update={"channel": SLACK_FORUM, "also_in": (FORUM,)})
    return shaped.model_copy(update={"bodies": {**shaped.bodies, "forum": forum}})


@pytest.fixture
def both(everyone_installed, slack, client):
    """The Teams harness, with Slack's notifier beside Teams' behind one BySurface."""
    teams = everyone_installed
    teams.services.notifier = BySurface({Surface.SLACK: SlackNotifier(client), Surface.TEAMS: teams.bot.notifier})
    return teams


def slack_posts(slack, channel=SLACK_FORUM):
    return [call for call in slack.calls_to("chat.postMessage") if call.args["channel"] == channel]


def cards_of(teams, case_id):
    with teams.services.sessions() as session:
        return dict(session.execute(select(CaseCard.channel, CaseCard.ts).where(CaseCard.case_id == case_id)).all())


def test_the_policy_names_a_channel_once(default_policy):
    forum = default_policy.bodies["forum"]
    for also in ((forum.channel,), (FORUM, FORUM)):
        data = default_policy.model_dump()
        data["bodies"]["forum"]["also_in"] = also
        with pytest.raises(ValidationError, match="a channel is named twice"):
            Policy.model_validate(data)
    data = default_policy.model_dump()
    data["bodies"]["forum"]["also_in"] = ("#forum",)
    with pytest.raises(ValidationError):
        Policy.model_validate(data)


def test_a_case_gets_one_card_in_each_channel_of_its_body(both, slack):
    case_id = seed_case(both)
    [slack_card] = slack_posts(slack)
    assert "1234567" in slack_card.args["text"] and "Jamie" not in str(slack_card.args)
    [teams_card] = both.channel_cards()
    assert teams_card["fallbackText"].startswith("Case 1234567")
    cards = cards_of(both, case_id)
    assert set(cards) == {SLACK_FORUM, FORUM}
    view = case_by_id(both.services, case_id, PRIYA).case
    assert view.card_on(SLACK_FORUM) == cards[SLACK_FORUM] and view.card_on(FORUM) == cards[FORUM]
    assert deliver_due(both.services, both.services.now()) == 0  # each card once


def test_a_decision_pressed_in_teams_changes_the_card_in_slack_too_and_is_replied_under_both(both, slack):
    case_id = seed_case(both)
    slack_ts = cards_of(both, case_id)[SLACK_FORUM]
    book(both, case_id)  # booked, so the chair may decide (as in the journey)
    deliver_due(both.services, both.services.now())
    [card] = both.channel_cards()
    approve = button(card, "Approve")
    form = cards_in(both.send(both.press(CHAIR, approve, channel=both.forum_channel)))
    decided = cards_in(both.send(both.press(CHAIR, button(form, "Record decision"), {DecisionInput.REASON: REASON},
                                            channel=both.forum_channel)))
    assert "Approved by" in render_text(decided)
    deliver_due(both.services, both.services.now())

    update = [call for call in slack.calls_to("chat.update") if call.args["ts"] == slack_ts][-1]
    assert update.args["channel"] == SLACK_FORUM and "Approved" in str(update.args["blocks"])
    assert "decide_" not in str(update.args.get("blocks"))  # Slack's buttons are gone too
    [reply] = [call for call in slack_posts(slack) if call.args.get("thread_ts") == slack_ts]
    assert "Approved" in reply.args["text"] and REASON not in str(reply.args)  # the reason only in DMs
    teams_channel = both.standin.posted_in(both.forum_channel)
    [card_now] = [a["attachments"][0]["content"] for a in teams_channel if "replyToId" not in a]
    assert "Approve" not in [b["title"] for b in buttons(card_now)]
    assert [a for a in teams_channel if "replyToId" in a]
    assert deliver_due(both.services, both.services.now()) == 0


def test_a_card_whose_channel_refuses_leaves_the_other_channels_card_standing(both, slack):
    slack.fail_next("chat.postMessage", error="not_in_channel")
    case_id = seed_case(both)
    assert set(cards_of(both, case_id)) == {FORUM}  # Teams' card went; Slack's failed for good, with its code
    with both.services.sessions() as session:
        [(state, error)] = session.execute(text(
            "SELECT state, error FROM outbox WHERE kind = 'case_card' AND recipient = :c"), {"c": SLACK_FORUM}).all()
    assert (state, error) == ("failed", "not_in_channel")


def book(teams, case_id):
    choice = booking_choice(teams.services, PRIYA, case_id=case_id)
    slot = next(day.slots[0] for day in choice.days if day.slots)
    book_slot(teams.services, case_id, slot.starts_at, PRIYA)
    return slot


def test_the_days_agenda_goes_to_every_channel_of_the_forum(both, slack, clock):
    case_id = seed_case(both)
    slot = book(both, case_id)
    deliver_due(both.services, clock[0])
    clock[0] = slot.starts_at.replace(hour=8, minute=5)  # the sitting's morning (GMT: London is UTC)
    slack.reset()
    teams_before = len(both.channel_cards())
    assert post_agendas(both.services, clock[0]) == 1
    deliver_due(both.services, clock[0])
    with both.services.sessions() as session:
        agendas = dict(session.execute(text("SELECT recipient, state FROM outbox WHERE kind = 'agenda'")).all())
    assert agendas == {SLACK_FORUM: "sent", FORUM: "sent"}
    [posted] = slack_posts(slack)
    assert "1234567" in str(posted.args)
    assert len(both.channel_cards()) == teams_before + 1
    assert "1234567" in render_text(both.channel_cards()[-1])


def test_0015_moves_each_card_into_case_cards_and_back(both, migration_engine, engine):
    case_id = seed_case(both)
    with engine.begin() as connection:  # one card only, as a case had before 0015
        connection.execute(text("DELETE FROM case_cards WHERE channel = :c"), {"c": FORUM})
    slack_ts = cards_of(both, case_id)[SLACK_FORUM]
    migrate.downgrade(migration_engine, "0014")
    with migration_engine.connect() as connection:
        assert connection.execute(text("SELECT card_channel, card_ts FROM cases WHERE id = :id"),
                                  {"id": case_id}).one() == (SLACK_FORUM, slack_ts)
    upgrade_as_owner(migration_engine, audit_key=TEST_AUDIT_KEY)
    assert cards_of(both, case_id) == {SLACK_FORUM: slack_ts}


def test_0015_will_not_downgrade_while_a_case_has_cards_in_two_channels(both, migration_engine):
    case_id = seed_case(both)
    assert len(cards_of(both, case_id)) == 2
    with pytest.raises(RuntimeError, match="cards in two channels"):
        migrate.downgrade(migration_engine, "0014")
    assert len(cards_of(both, case_id)) == 2
