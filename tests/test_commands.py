"""`/panel`, `/panel help` and mistyped subcommands, through the real app."""

import json

from tests.conftest import dispatch


def ephemeral_text(response) -> str:
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    return body["text"]


def test_panel_on_its_own_lists_the_subcommands(app, signer):
    text = ephemeral_text(dispatch(app, signer.command("U0PRIYA", "")))
    assert "/panel help" in text


def test_panel_help_lists_the_subcommands_only_to_the_person_asking(app, signer, slack):
    text = ephemeral_text(dispatch(app, signer.command("U0PRIYA", "help")))
    assert "/panel help" in text
    assert slack.calls_to("chat.postMessage") == []


def test_subcommands_are_not_case_sensitive(app, signer):
    assert "/panel help" in ephemeral_text(dispatch(app, signer.command("U0PRIYA", "  HELP  ")))


def test_an_unknown_subcommand_gets_usage_not_an_error(app, signer):
    text = ephemeral_text(dispatch(app, signer.command("U0PRIYA", "sumbit ABC-123")))
    assert "I don't know `sumbit`" in text
    assert "/panel help" in text


def test_a_very_long_unknown_word_is_shortened_in_the_reply(app, signer):
    text = ephemeral_text(dispatch(app, signer.command("U0PRIYA", "x" * 500)))
    assert "x" * 31 not in text
