"""The Teams stand-in answers as the Bot Connector, Entra ID and the Bot Framework's key service do, refusals
included, so panelbot's handling of each can be tested against it; and it keeps what the bot sent where."""

import http.client
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from microsoft_teams.api import ActivityTypeAdapter

from handlers.teams.auth import BotTokens
from handlers.teams.standin import APP_SECRET, BOT_ACCOUNT_ID, BOT_APP_ID, TENANT_ID, TeamsStandIn

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()
CARD = {"contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Case 1234567"}]}}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def http_call(method: str, url: str, body: Any = None, *, token: str | None = None, raw: bytes | None = None,
              content_type: str = "application/json") -> tuple[int, dict[str, str], Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": content_type, **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 (a test's localhost)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            status, answer_headers, text = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        status, answer_headers, text = refused.code, dict(refused.headers), refused.read()
        refused.close()
    return status, answer_headers, json.loads(text) if text else None


class Bot:
    """What panelbot's connector client will do, written out plainly."""

    def __init__(self, teams: TeamsStandIn, clock: Clock) -> None:
        self.teams = teams
        self.tokens = BotTokens(BOT_APP_ID, APP_SECRET, token_url=teams.token_url(), clock=clock)

    def call(self, method: str, path: str, body: Any = None, **options: Any) -> tuple[int, dict[str, str], Any]:
        options.setdefault("token", self.tokens.token())
        return http_call(method, self.teams.service_url + path, body, **options)

    def open_chat(self, user: str) -> str:
        status, _, answer = self.call("POST", "v3/conversations", {
            "isGroup": False, "bot": {"id": BOT_ACCOUNT_ID}, "members": [{"id": user}], "tenantId": TENANT_ID,
            "channelData": {"tenant": {"id": TENANT_ID}}})
        assert status == 201, answer
        return answer["id"]

    def send(self, conversation: str, activity: dict[str, Any]) -> tuple[int, Any]:
        status, _, answer = self.call("POST", f"v3/conversations/{conversation}/activities", activity)
        return status, answer


def message(text: str = "Case 1234567 is booked for 1 December.") -> dict[str, Any]:
    return {"type": "message", "text": text}


def code(answer: Any) -> str:
    return answer["error"]["code"]


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def teams(clock):
    server = TeamsStandIn(clock=clock).start()
    yield server
    server.stop()


@pytest.fixture
def bot(teams, clock):
    return Bot(teams, clock)


@pytest.fixture
def priya(teams):
    return teams.add_user("Priya Shah")


def test_a_personal_chat_is_opened_and_a_message_sent_to_it(bot, teams, priya):
    chat = bot.open_chat(priya)
    assert chat.startswith("a:") and bot.open_chat(priya) == chat
    status, answer = bot.send(chat, {**message(), "attachments": [CARD]})
    assert status == 201 and answer["id"]
    [sent] = teams.sent_to(priya)
    assert sent["id"] == answer["id"] and sent["text"] == message()["text"]
    assert sent["attachments"] == [CARD]
    assert [call.operation for call in teams.calls] == ["token", "create", "create", "send"]


def test_a_chat_can_be_opened_with_its_first_message(bot, teams, priya):
    status, _, answer = bot.call("POST", "v3/conversations", {
        "isGroup": False, "members": [{"id": priya}], "tenantId": TENANT_ID, "activity": message()})
    assert status == 201 and answer["activityId"]
    assert [a["id"] for a in teams.sent_to(priya)] == [answer["activityId"]]


def test_the_connector_refuses_without_a_valid_bot_token(bot, teams, priya, clock):
    chat = bot.open_chat(priya)
    for token in (None, "not-a-token-the-service-issued"):
        status, _, answer = http_call("POST", f"{teams.service_url}v3/conversations/{chat}/activities", message(),
                                      token=token)
        assert status == 401 and answer == {"message": "Authorization has been denied for this request."}
    clock.now += 3600
    status, _ = bot.send(chat, message())  # BotTokens renews its token before this
    assert status == 201
    teams.expire_tokens()
    status, _ = bot.send(chat, message())
    assert status == 401
    assert len(teams.sent_to(priya)) == 1  # only the message sent with a token the service knew


def test_a_personal_chat_with_someone_without_the_app_is_forbidden(bot, teams):
    sam = teams.add_user("Sam Okafor", installed=False)
    status, _, answer = bot.call("POST", "v3/conversations", {
        "isGroup": False, "members": [{"id": sam}], "tenantId": TENANT_ID})
    assert (status, code(answer)) == (403, "ForbiddenOperationException")


def test_a_person_who_removed_the_app_takes_the_bot_out_of_their_chat(bot, teams, priya):
    chat = bot.open_chat(priya)
    teams.uninstall(priya)
    status, answer = bot.send(chat, message())
    assert (status, code(answer)) == (403, "BotNotInConversationRoster")
    assert teams.sent_to(priya) == []


def test_a_channel_of_a_team_without_the_app_is_forbidden(bot, teams, priya):
    forum = teams.add_channel("Forum", [priya], installed=False)
    status, answer = bot.send(forum, message())
    assert (status, code(answer)) == (403, "BotNotInConversationRoster")
    status, _, answer = bot.call("POST", "v3/conversations", {
        "isGroup": True, "channelData": {"channel": {"id": forum}, "tenant": {"id": TENANT_ID}}, "activity": message()})
    assert (status, code(answer)) == (403, "BotNotInConversationRoster")


def test_unknown_conversations_and_activities_are_not_found(bot, teams, priya):
    status, answer = bot.send("a:1nosuchchat", message())
    assert (status, code(answer)) == (404, "ConversationNotFound")
    chat = bot.open_chat(priya)
    for method in ("POST", "PUT", "DELETE"):
        status, _, answer = bot.call(method, f"v3/conversations/{chat}/activities/999", message())
        assert (status, code(answer)) == (404, "ActivityNotFoundInConversation"), method


def test_a_message_is_updated_then_deleted_and_then_is_gone(bot, teams, priya):
    chat = bot.open_chat(priya)
    _, sent = bot.send(chat, message("Case 1234567: awaiting a decision."))
    status, _, answer = bot.call("PUT", f"v3/conversations/{chat}/activities/{sent['id']}",
                                 {**message("Case 1234567: approved."), "id": sent["id"]})
    assert (status, answer) == (200, {"id": sent["id"]})
    assert [a["text"] for a in teams.sent_to(priya)] == ["Case 1234567: approved."]
    status, _, answer = bot.call("DELETE", f"v3/conversations/{chat}/activities/{sent['id']}")
    assert (status, answer) == (200, None)
    assert teams.sent_to(priya) == []
    status, _, answer = bot.call("PUT", f"v3/conversations/{chat}/activities/{sent['id']}", message())
    assert (status, code(answer)) == (404, "ActivityNotFoundInConversation")


def test_the_bot_cannot_change_what_a_person_wrote(bot, teams, priya):
    typed = teams.message_from(priya, "book 1234567")
    chat = typed["conversation"]["id"]
    status, _, answer = bot.call("PUT", f"v3/conversations/{chat}/activities/{typed['id']}", message())
    assert (status, code(answer)) == (403, "NotEnoughPermissions")
    status, _, answer = bot.call("DELETE", f"v3/conversations/{chat}/activities/{typed['id']}")
    assert (status, code(answer)) == (403, "NotEnoughPermissions")


def test_a_reply_to_a_channel_message_goes_into_its_thread(bot, teams, priya):
    forum = teams.add_channel("Forum", [priya])
    asked = teams.message_from(priya, "agenda", channel=forum)
    thread = asked["conversation"]["id"]
    status, _, answer = bot.call("POST", f"v3/conversations/{thread}/activities/{asked['id']}",
                                 message("The agenda for 1 December: 3 cases."))
    assert status == 201
    [reply] = teams.posted_in(forum)
    assert reply["id"] == answer["id"] and reply["replyToId"] == asked["id"]
    assert reply["conversation"]["id"] == thread


def test_a_new_channel_thread_is_created_with_its_first_message(bot, teams, priya):
    forum = teams.add_channel("Forum", [priya])
    status, _, answer = bot.call("POST", "v3/conversations", {
        "isGroup": True, "channelData": {"channel": {"id": forum}, "tenant": {"id": TENANT_ID}},
        "activity": message("Case 1234567 is on the agenda.")})
    assert status == 201 and answer["id"] == f"{forum};messageid={answer['activityId']}"
    status, _, refused = bot.call("POST", "v3/conversations", {
        "isGroup": True, "channelData": {"channel": {"id": forum}}})
    assert (status, code(refused)) == (400, "BadArgument")
    status, _, refused = bot.call("POST", "v3/conversations", {
        "isGroup": True, "channelData": {"channel": {"id": "19:none@thread.tacv2"}}, "activity": message()})
    assert (status, code(refused)) == (404, "ConversationNotFound")


def test_the_roster_of_a_chat_and_of_a_channel(bot, teams, priya):
    tomas = teams.add_user("Tomas Nowak")
    forum = teams.add_channel("Forum", [priya, tomas])
    status, _, members = bot.call("GET", f"v3/conversations/{bot.open_chat(priya)}/members")
    assert status == 200 and [m["id"] for m in members] == [priya]
    assert members[0]["aadObjectId"] and members[0]["tenantId"] == TENANT_ID
    status, _, members = bot.call("GET", f"v3/conversations/{forum}/members")
    assert [m["name"] for m in members] == ["Priya Shah", "Tomas Nowak"]


@pytest.mark.parametrize("attachment", [
    {"contentType": "application/x-unknown", "content": {}},
    {"content": CARD["content"]},
    {"contentType": CARD["contentType"], "content": {**CARD["content"], "version": "1.6"}},
    {"contentType": CARD["contentType"], "content": {"version": "1.5", "body": []}},
    {"contentType": CARD["contentType"], "content": {**CARD["content"], "body": "not a list"}},
    {"contentType": "image/png"},
])
def test_an_attachment_teams_would_not_show_is_a_bad_argument(bot, priya, attachment):
    status, answer = bot.send(bot.open_chat(priya), {"type": "message", "attachments": [attachment]})
    assert (status, code(answer)) == (400, "BadArgument")


@pytest.mark.parametrize("body", [{"type": "event", "name": "x"}, {"text": "no type"}, {"type": "message"},
                                  {"type": "message", "text": 42}, ["not", "an", "object"]])
def test_something_that_is_not_a_message_the_bot_may_send_is_a_bad_argument(bot, priya, body):
    status, answer = bot.send(bot.open_chat(priya), body)
    assert (status, code(answer)) == (400, "BadArgument")


def test_a_body_that_is_not_json_is_a_bad_argument(bot, priya):
    chat = bot.open_chat(priya)
    status, _, answer = bot.call("POST", f"v3/conversations/{chat}/activities", raw=b"{not json")
    assert (status, code(answer)) == (400, "BadArgument")


def test_a_typing_indicator_is_shown_but_not_kept(bot, teams, priya):
    status, answer = bot.send(bot.open_chat(priya), {"type": "typing"})
    assert (status, answer) == (201, {})
    assert teams.sent_to(priya) == []


def test_a_message_over_28_kb_is_too_big(bot, teams, priya):
    chat = bot.open_chat(priya)
    status, answer = bot.send(chat, message("x" * 28_100))
    assert (status, code(answer)) == (413, "MessageSizeTooBig")
    status, _ = bot.send(chat, message("x" * 27_000))
    assert status == 201


def test_throttling_says_when_to_retry(bot, teams, priya):
    chat = bot.open_chat(priya)
    teams.fail_next("send", status=429, retry_after=7)
    status, headers, answer = bot.call("POST", f"v3/conversations/{chat}/activities", message())
    assert (status, headers["Retry-After"], code(answer)) == (429, "7", "Throttled")
    assert teams.sent_to(priya) == []
    assert bot.send(chat, message())[0] == 201


@pytest.mark.parametrize(("status", "error"), [(500, "ServiceError"), (502, "ServiceError"), (503, None)])
def test_server_errors_keep_nothing(bot, teams, priya, status, error):
    chat = bot.open_chat(priya)
    teams.fail_next("send", status=status)
    got, answer = bot.send(chat, message())
    assert got == status and (answer is None if error is None else code(answer) == error)
    assert teams.sent_to(priya) == []


def test_a_gateway_timeout_can_hide_a_message_that_was_kept(bot, teams, priya):
    chat = bot.open_chat(priya)
    teams.fail_next("send", status=504, after_keeping=True)
    assert bot.send(chat, message()) == (504, None)
    assert len(teams.sent_to(priya)) == 1


def test_a_dropped_connection_can_hide_a_message_that_was_kept(bot, teams, priya):
    chat = bot.open_chat(priya)
    teams.drop_next("send", after_keeping=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        bot.send(chat, message())
    assert len(teams.sent_to(priya)) == 1
    teams.drop_next("send", after_keeping=False)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        bot.send(chat, message())
    assert len(teams.sent_to(priya)) == 1


def test_creating_a_chat_needs_one_known_member_in_this_tenant(bot, teams, priya):
    tomas = teams.add_user("Tomas Nowak")
    for body in ({"isGroup": False, "members": [{"id": priya}]},
                 {"isGroup": False, "members": [{"id": priya}], "tenantId": "another-tenant"},
                 {"isGroup": False, "members": [{"id": priya}, {"id": tomas}], "tenantId": TENANT_ID},
                 {"isGroup": False, "members": [{"id": "29:unknown"}], "tenantId": TENANT_ID},
                 {"isGroup": False, "members": [{"id": priya}], "tenantId": TENANT_ID, "bot": {"id": "28:other"}}):
        status, _, answer = bot.call("POST", "v3/conversations", body)
        assert (status, code(answer)) == (400, "BadArgument"), body


def test_the_token_endpoint_refuses_as_entra_id_does(teams):
    def ask(**form: str) -> tuple[int, Any]:
        fields = {"grant_type": "client_credentials", "client_id": BOT_APP_ID, "client_secret": APP_SECRET,
                  "scope": "https://api.botframework.com/.default", **form}
        raw = "&".join(f"{k}={urllib.request.quote(v, safe='')}" for k, v in fields.items()).encode()
        status, _, answer = http_call("POST", teams.token_url(), raw=raw,
                                      content_type="application/x-www-form-urlencoded")
        return status, answer

    status, answer = ask()
    assert status == 200 and answer["token_type"] == "Bearer" and answer["expires_in"] == 3599
    assert ask(client_secret="wrong")[0] == 401 and ask(client_secret="wrong")[1]["error"] == "invalid_client"
    assert ask(scope="https://graph.microsoft.com/.default")[1]["error"] == "invalid_scope"
    assert ask(grant_type="password")[1]["error"] == "unsupported_grant_type"
    assert ask(client_id="someone-else")[1]["error"] == "unauthorized_client"
    assert ask()[1]["access_token"] != answer["access_token"]


def test_the_openid_metadata_names_the_keys_and_the_keys_carry_endorsements(teams):
    _, _, metadata = http_call("GET", teams.metadata_url)
    assert metadata["issuer"] == "https://api.botframework.com"
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    _, _, keys = http_call("GET", metadata["jwks_uri"])
    endorsed = {key["kid"]: key["endorsements"] for key in keys["keys"]}
    assert endorsed == {teams.keys["teams"].kid: ["msteams", "skype"],
                        teams.keys["webchat"].kid: ["webchat", "directline"]}
    assert all(key["kty"] == "RSA" and key["use"] == "sig" for key in keys["keys"])


def test_what_teams_sends_the_bot_parses_as_a_teams_sdk_activity(teams, priya):
    forum = teams.add_channel("Forum", [priya])
    for sent in (teams.message_from(priya, "help"), teams.message_from(priya, "agenda", channel=forum),
                 teams.message_from(priya, value={"action": "decide", "case": "1234567"})):
        parsed = ActivityTypeAdapter.validate_python(sent)
        assert parsed.type == "message" and parsed.from_.id == priya
        assert parsed.service_url == teams.service_url and parsed.channel_id == "msteams"
        assert parsed.conversation.tenant_id == TENANT_ID
    assert teams.message_from(priya, "agenda", channel=forum)["text"] == "<at>panelbot</at> agenda"


def test_the_connector_path_must_be_joined_to_the_service_url(bot, teams, priya):
    chat = bot.open_chat(priya)
    status, _, _ = http_call("POST", f"{teams.base_url}v3/conversations/{chat}/activities", message(),
                             token=bot.tokens.token())
    assert status == 404
