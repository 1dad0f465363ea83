"""The panel admin's notice about a channel post of unknown fate: reference, kind and channel only."""

import pytest

from messages.slack.delivery import delivery_unknown_admin


def test_it_names_the_case_the_message_and_the_channel_to_check():
    message = delivery_unknown_admin("the case card", "1234567", "C0FORUM001")
    assert "the case card for case 1234567" in message["text"] and "<#C0FORUM001>" in message["text"]
    assert "will not post it again" in message["text"]
    assert len(message["blocks"]) == 1 and len(message["blocks"][0]["text"]["text"]) <= 3000


def test_a_message_about_no_case_names_none():
    assert "for case" not in delivery_unknown_admin("the forum's agenda", "", "C0FORUM001")["text"]


def test_a_reference_cannot_smuggle_mentions_or_links():
    text = delivery_unknown_admin("the case card", "<!channel> 123", "C0FORUM001")["text"]
    assert "<!channel>" not in text


def test_only_a_channel_can_be_named():
    with pytest.raises(ValueError, match="channel"):
        delivery_unknown_admin("the case card", "1234567", "U0PRIYA")
