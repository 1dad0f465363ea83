"""One core for Slack and Teams: addresses say which surface and kind, services write people and commands
as tokens each surface words, and `BySurface` hands each message to the notifier of its recipient."""

import pytest

from bot import markup
from bot.addresses import Kind, Surface, parse
from bot.domain.submission import parse_submission
from bot.notify import BySurface, DeliveryError, Notice, Sent
from messages.slack.format import slack_words
from tests.conftest import FORUM_ANSWERS

TEAMS_PERSON = "teams:0f8fad5b-d9cb-469f-a165-70867728950e"
TEAMS_GROUP = "teams-group:7c9e6679-7425-40de-944b-e07fc1f90ae7"
TEAMS_CHANNEL = "teams:19:a1b2c3d4e5f6@thread.tacv2"


@pytest.mark.parametrize(("value", "surface", "kind"), [
    ("U0PRIYA12", Surface.SLACK, Kind.PERSON), ("W0ENTERPRISE", Surface.SLACK, Kind.PERSON),
    ("S0TEAMMGRS", Surface.SLACK, Kind.GROUP), ("C0FORUM001", Surface.SLACK, Kind.CHANNEL),
    (TEAMS_PERSON, Surface.TEAMS, Kind.PERSON), (TEAMS_GROUP, Surface.TEAMS, Kind.GROUP),
    (TEAMS_CHANNEL, Surface.TEAMS, Kind.CHANNEL),
])
def test_every_address_says_its_surface_and_kind(value, surface, kind):
    found = parse(value)
    assert found is not None and (found.surface, found.kind) == (surface, kind)


@pytest.mark.parametrize("value", ["priya", "@jane.smith", "#forum", "u0priya12", "teams:not-a-guid",
                                   "teams:" + "0" * 300, "", None, 42, "29:1abcdefg"])
def test_anything_else_is_no_address(value):
    assert parse(value) is None


def test_a_policy_may_name_teams_people_groups_and_channels(default_policy):
    roles = {**default_policy.roles, "panel_admins": (TEAMS_PERSON, "U0PANELADM"), "team_managers": (TEAMS_GROUP,)}
    policy = default_policy.model_validate({**default_policy.model_dump(), "roles": roles})
    assert policy.members("panel_admins") == (TEAMS_PERSON, "U0PANELADM")


def test_a_teams_person_may_submit_a_case(default_policy):
    submission = parse_submission(FORUM_ANSWERS, policy=default_policy, submitter=TEAMS_PERSON)
    assert submission.submitter == TEAMS_PERSON


def test_services_write_people_and_commands_as_tokens_that_slack_words_its_way():
    sentence = f"You cover for {markup.person('U0SAM123')} today; {markup.command('away off')} ends it."
    assert sentence == "You cover for {{@U0SAM123}} today; {{/away off}} ends it."
    assert slack_words(sentence) == "You cover for <@U0SAM123> today; `/panel away off` ends it."
    # Slack cannot mention someone on Teams, and the core never stores their name.
    assert slack_words(markup.person(TEAMS_PERSON)) == "a colleague on Teams"
    assert markup.plain(sentence) == "You cover for U0SAM123 today; away off ends it."


class Recording:
    def __init__(self, name):
        self.name, self.sent = name, []

    def send(self, notice, about, recipient, *, outbox_id):
        self.sent.append((notice, recipient, outbox_id))
        return Sent(recipient, f"{self.name}-{outbox_id}")

    def group_members(self, group_id):
        return frozenset({f"{self.name}-member"})


def test_each_message_goes_to_the_notifier_of_its_recipients_surface():
    slack, teams = Recording("slack"), Recording("teams")
    notifier = BySurface({Surface.SLACK: slack, Surface.TEAMS: teams}, {Surface.SLACK: slack, Surface.TEAMS: teams})
    assert notifier.send(Notice.RECEIPT, None, "U0PRIYA12", outbox_id=1) == Sent("U0PRIYA12", "slack-1")
    assert notifier.send(Notice.CASE_CARD, None, TEAMS_CHANNEL, outbox_id=2) == Sent(TEAMS_CHANNEL, "teams-2")
    assert [r for _, r, _ in slack.sent] == ["U0PRIYA12"] and [r for _, r, _ in teams.sent] == [TEAMS_CHANNEL]
    assert notifier.group_members(TEAMS_GROUP) == {"teams-member"}
    assert notifier.group_members("S0TEAMMGRS") == {"slack-member"}


def test_a_message_for_a_surface_this_deployment_does_not_run_fails_at_once():
    notifier = BySurface({Surface.SLACK: Recording("slack")})
    with pytest.raises(DeliveryError) as failed:
        notifier.send(Notice.RECEIPT, None, TEAMS_PERSON, outbox_id=1)
    assert failed.value.permanent and failed.value.code == "surface_not_configured"
    assert notifier.group_members(TEAMS_GROUP) == frozenset()


def test_a_teams_member_of_a_role_holds_it_through_the_directory(services, default_policy):
    services.policy = default_policy.model_validate(
        {**default_policy.model_dump(), "roles": {**default_policy.roles, "panel_admins": (TEAMS_GROUP,)}})
    teams = Recording("teams")
    services.directory = BySurface({}, {Surface.TEAMS: teams})
    assert services.holds_role("teams-member", "panel_admins")
    assert services.people(services.policy.members("panel_admins")) == ["teams-member"]


def test_a_card_update_queued_before_the_card_was_posted_goes_to_the_surface_the_card_is_on():
    from dataclasses import dataclass

    @dataclass
    class Card:
        card_channel: str

    slack, teams = Recording("slack"), Recording("teams")
    notifier = BySurface({Surface.SLACK: slack, Surface.TEAMS: teams})
    notifier.send(Notice.CARD_UPDATE, Card(TEAMS_CHANNEL), "card", outbox_id=7)
    notifier.send(Notice.CARD_UPDATE, Card("C0FORUM001"), "card", outbox_id=8)
    assert [n for _, _, n in teams.sent] == [7] and [n for _, _, n in slack.sent] == [8]
