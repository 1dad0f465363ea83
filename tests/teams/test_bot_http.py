"""`POST /api/messages` over real HTTP: only requests Teams signed are served; a forged or unsigned one
gets 401 or 403 and changes nothing, calls nothing and logs nothing it carried; a body panelbot cannot
read gets a clear 4xx, never a 500."""

from __future__ import annotations

import json
import logging

import pytest

from handlers.teams.wsgi import MAX_BODY
from tests.teams.test_bot_harness import (
    PRIYA,
    counts,
    policy,
    teams,
)

FIXTURES = (policy, teams)  # pytest finds these fixtures by their names in this module

TYPED = "Jamie Smith, born 3 March 2015, needs help"  # what a person typed: never in a log


def nothing_happened(served, before) -> None:
    assert counts(served.services.engine) == before
    assert [call.operation for call in served.standin.calls if call.operation not in ("metadata", "keys")] == []


def test_an_unsigned_request_gets_401_and_nothing_else(teams, caplog):
    caplog.set_level(logging.DEBUG)
    before = counts(teams.services.engine)
    activity = teams.message(PRIYA, TYPED)
    for headers in ({"Content-Type": "application/json"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer"}):
        status, body = teams.post(activity, headers)
        assert status == 401 and TYPED not in json.dumps(body)
    nothing_happened(teams, before)
    assert teams.standin.calls == []  # refused before even fetching Microsoft's keys
    assert TYPED not in caplog.text and "Priya" not in caplog.text


def test_a_forged_token_gets_403_and_nothing_else(teams, caplog):
    caplog.set_level(logging.DEBUG)
    before = counts(teams.services.engine)
    activity = teams.message(PRIYA, TYPED)
    forged = teams.standin.sign_activity(activity, key="stranger")  # a key Microsoft never published
    assert teams.post(activity, forged)[0] == 403
    other_bot = teams.standin.sign_activity(activity, aud="11111111-2222-3333-4444-555555555555")
    assert teams.post(activity, other_bot)[0] == 403
    elsewhere = teams.standin.sign_activity({**activity, "serviceUrl": "https://attacker.example/"})
    assert teams.post(activity, elsewhere)[0] == 403  # a token for another service URL cannot steer replies
    nothing_happened(teams, before)
    assert TYPED not in caplog.text


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe", b"{" * 5000])
def test_a_signed_body_that_is_not_an_activity_gets_400(teams, raw):
    activity = teams.message(PRIYA, "help")
    before = counts(teams.services.engine)
    status, body = teams.post(raw, teams.standin.sign_activity(activity))
    assert status == 400 and body["error"] == "The body is not a JSON activity."
    nothing_happened(teams, before)


def test_an_unsigned_body_that_is_not_json_is_refused_for_its_token_first(teams):
    status, _ = teams.post(b"not json", {"Authorization": "Bearer not.a.token"})
    assert status == 403


def test_an_activity_the_teams_sdk_cannot_read_gets_400_without_quoting_it(teams, caplog):
    activity = teams.message(PRIYA, "help")
    broken = {**activity, "from": TYPED}  # "from" must be an account
    status, body = teams.post(broken, teams.standin.sign_activity(broken))
    assert status == 400 and TYPED not in json.dumps(body) and TYPED not in caplog.text


def test_activity_types_and_invokes_panelbot_does_not_handle_are_answered_without_error(teams):
    activity = teams.message(PRIYA, "")
    reaction = {**activity, "type": "endOfConversation"}
    assert teams.post(reaction)[0] == 200
    composer = {**activity, "type": "invoke", "name": "composeExtension/query", "value": {}}
    assert teams.post(composer)[0] == 501


def test_a_body_over_a_megabyte_gets_413_before_it_is_read(teams):
    activity = teams.message(PRIYA, "help")
    headers = {**teams.standin.sign_activity(activity), "Content-Length": str(MAX_BODY + 1)}
    status, _ = teams.post(b"{}", headers)  # refused on its length: the megabyte is never read
    assert status == 413


def test_only_post_to_api_messages_is_served(teams):
    activity = teams.message(PRIYA, "help")
    assert teams.post(activity, method="GET")[0] == 405
    assert teams.post(activity, path="/api/other")[0] == 404


def test_a_message_is_answered_200_with_no_body_and_the_reply_goes_through_the_connector(teams):
    status, body = teams.post(teams.message(PRIYA, "help"))
    assert (status, body) == (200, None)
    assert [call.operation for call in teams.standin.calls if call.operation not in ("metadata", "keys")] == [
        "token", "send"]
