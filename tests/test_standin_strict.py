"""The stand-in refuses what Slack refuses, with Slack's error codes, so panelbot's handling of each
refusal can be tested against it."""

import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Case"}, "blocks": []}
META = {"event_type": "panelbot_outbox", "event_payload": {"outbox_id": 1}}


@pytest.fixture
def client(slack):
    return WebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])


def error_of(call, *args, **kwargs):
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value.response["error"]


def section(text):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_a_trigger_older_than_three_seconds_has_expired(client, slack):
    now = [1000.0]
    slack.clock = lambda: now[0]
    fresh, stale = slack.issue_trigger(), slack.issue_trigger()
    now[0] += 2.9
    assert client.views_open(trigger_id=fresh, view=MODAL)["ok"]
    now[0] += 0.2
    assert error_of(client.views_open, trigger_id=stale, view=MODAL) == "expired_trigger_id"


def test_updating_a_deleted_or_unknown_message_is_refused(client, slack):
    posted = client.chat_postMessage(channel="C0FORUM001", text="Case 1234567")
    slack.delete_message("C0FORUM001", posted["ts"])
    assert error_of(client.chat_update, channel="C0FORUM001", ts=posted["ts"], text="x") == "message_not_found"
    assert error_of(client.chat_update, channel="C0FORUM001", ts="1.000001", text="x") == "message_not_found"


def test_a_message_someone_else_posted_cannot_be_updated(client, slack):
    ts = slack.post_as_person("C0FORUM001", "U0PRIYA", "a person's message")
    assert error_of(client.chat_update, channel="C0FORUM001", ts=ts, text="x") == "cant_update_message"


def test_an_old_message_cannot_be_edited_once_the_edit_window_closes(client, slack):
    now = [50.0]
    slack.clock = lambda: now[0]
    slack.edit_window = 60
    ts = client.chat_postMessage(channel="C0FORUM001", text="Case 1234567")["ts"]
    now[0] += 61
    assert error_of(client.chat_update, channel="C0FORUM001", ts=ts, text="x") == "edit_window_closed"


def test_channels_the_app_is_not_in_or_that_do_not_exist_are_refused(client, slack):
    slack.add_channel("C0PRIVATE1", member=False)
    slack.add_channel("C0OLDPANEL", archived=True)
    assert error_of(client.chat_postMessage, channel="C0PRIVATE1", text="x") == "not_in_channel"
    assert error_of(client.chat_postMessage, channel="C0NOSUCH01", text="x") == "channel_not_found"
    assert error_of(client.chat_postMessage, channel="C0OLDPANEL", text="x") == "is_archived"


def test_a_person_slack_does_not_know_is_refused(client, slack):
    slack.remove_user("U0GONE")
    assert error_of(client.conversations_open, users="U0GONE") == "user_not_found"
    assert error_of(client.users_info, user="U0GONE") == "user_not_found"
    assert error_of(client.chat_postMessage, channel="U0GONE", text="x") == "channel_not_found"


def test_dms_are_refused_while_the_messages_tab_is_off(client, slack):
    slack.messages_tab = False
    assert error_of(client.chat_postMessage, channel="U0PRIYA", text="x") == "messages_tab_disabled"
    assert client.chat_postMessage(channel="C0FORUM001", text="x")["ok"]


@pytest.mark.parametrize(("blocks", "error"), [
    ([section("x")] * 51, "invalid_blocks"),
    ([section("x" * 3001)], "invalid_blocks"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "invalid_blocks"),
    ([section("x" * 2500)] * 5, "msg_blocks_too_long"),
])
def test_blocks_over_slacks_limits_are_refused(client, blocks, error):
    assert error_of(client.chat_postMessage, channel="C0FORUM001", text="x", blocks=blocks) == error


def test_blocks_within_slacks_limits_are_taken(client):
    assert client.chat_postMessage(channel="C0FORUM001", text="x", blocks=[section("x" * 240)] * 50)["ok"]


def test_a_view_may_have_100_blocks_and_no_more(client, slack):
    home = {"type": "home", "blocks": [{"type": "divider"}] * 100}
    assert client.views_publish(user_id="U0PRIYA", view=home)["ok"]
    too_many = {**home, "blocks": [{"type": "divider"}] * 101}
    assert error_of(client.views_publish, user_id="U0PRIYA", view=too_many) == "invalid_blocks"
    assert error_of(client.views_open, trigger_id=slack.issue_trigger(),
                    view={**MODAL, "blocks": [{"type": "divider"}] * 101}) == "invalid_blocks"


@pytest.mark.parametrize("metadata", [{"event_payload": {}}, {"event_type": "x"},
                                      {"event_type": "x", "event_payload": 3}])
def test_metadata_without_a_type_and_a_payload_is_refused(client, metadata):
    assert error_of(client.chat_postMessage, channel="C0FORUM001", text="x",
                    metadata=json.dumps(metadata)) == "invalid_metadata_format"


def test_history_is_paginated_newest_first_with_metadata_only_when_asked(client):
    posted = [client.chat_postMessage(channel="U0PRIYA", text=f"m{n}", metadata=META)["ts"] for n in range(5)]
    first = client.conversations_history(channel="D0PRIYA", limit=2)
    assert [m["ts"] for m in first["messages"]] == posted[:2:-1][:2]
    assert first["has_more"] and first["response_metadata"]["next_cursor"]
    assert "metadata" not in first["messages"][0]
    seen, cursor = [], None
    while True:
        page = client.conversations_history(channel="D0PRIYA", limit=2, cursor=cursor, include_all_metadata=True)
        seen += page["messages"]
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            break
    assert [m["ts"] for m in seen] == posted[::-1]
    assert all(m["metadata"] == META for m in seen)
    assert cursor == ""


def test_history_holds_top_level_messages_and_replies_are_read_from_the_thread(client):
    card = client.chat_postMessage(channel="C0FORUM001", text="card")["ts"]
    reply = client.chat_postMessage(channel="C0FORUM001", text="reply", thread_ts=card)["ts"]
    assert [m["ts"] for m in client.conversations_history(channel="C0FORUM001")["messages"]] == [card]
    assert [m["ts"] for m in client.conversations_replies(channel="C0FORUM001", ts=card)["messages"]] == [card, reply]


def test_history_since_a_moment_leaves_older_messages_out(client):
    old = client.chat_postMessage(channel="U0PRIYA", text="old")["ts"]
    new = client.chat_postMessage(channel="U0PRIYA", text="new")["ts"]
    assert [m["ts"] for m in client.conversations_history(channel="D0PRIYA", oldest=old)["messages"]] == [new]


def test_a_dropped_connection_can_come_after_the_message_was_kept(client, slack):
    slack.drop_next("chat.postMessage")
    with pytest.raises(OSError):
        client.chat_postMessage(channel="U0PRIYA", text="kept, but the answer is lost")
    assert [m["text"] for m in slack.messages_in("D0PRIYA")] == ["kept, but the answer is lost"]


def test_a_429_carries_retry_after(client, slack):
    slack.fail_next("conversations.history", status=429, retry_after=12)
    with pytest.raises(SlackApiError) as caught:
        client.conversations_history(channel="D0PRIYA")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "12"
