"""The Slack stand-in answers like Slack, so the SDK's own error handling is exercised for real."""

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


@pytest.fixture
def client(slack):
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def test_it_records_each_call_with_its_arguments(client, slack):
    client.chat_postMessage(channel="C0FORUM001", text="Case ABC-123 listed")
    [call] = slack.calls_to("chat.postMessage")
    assert call.args["channel"] == "C0FORUM001"
    assert call.token == "xoxb-test"


def test_it_answers_429_with_retry_after_when_told(client, slack):
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="U0PRIYA", text="hello")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="U0PRIYA", text="hello")["ok"]


def test_it_answers_a_slack_error_when_told(client, slack):
    slack.fail_next("chat.postMessage", error="account_inactive")
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="U0GONE", text="hello")
    assert caught.value.response["error"] == "account_inactive"


def test_it_answers_500_when_told(client, slack):
    slack.fail_next("views.open", status=500)
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id="1.t", view={"type": "modal", "title": {"type": "plain_text", "text": "x"}})
    assert caught.value.response.status_code == 500


def test_it_knows_the_users_it_was_given(client, slack):
    slack.add_user("U0PRIYA", "Priya")
    assert client.users_info(user="U0PRIYA")["user"]["name"] == "Priya"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0NOBODY")


def test_a_dm_channel_is_opened_for_a_user(client):
    assert client.conversations_open(users="U0PRIYA")["channel"]["id"].startswith("D")
