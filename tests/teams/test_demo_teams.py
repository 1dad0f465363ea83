"""`panelbot demo --teams` tells the demo's story through the real Teams bot over HTTP against the Teams
stand-in, and prints what each person sees, cards rendered as text."""

import io
import sys

import pytest

from bot.cli import main
from handlers.teams.demo import REASON


@pytest.fixture(scope="module")
def demo() -> tuple[int, str, str]:
    """The exit status and output of `panelbot demo --teams` (run once for these tests)."""
    capture = pytest.MonkeyPatch()
    out, err = io.StringIO(), io.StringIO()
    capture.setattr(sys, "stdout", out)
    capture.setattr(sys, "stderr", err)
    try:
        status = main(["demo", "--teams"])
    finally:
        capture.undo()
    return status, out.getvalue(), err.getvalue()


def step(text: str, title: str) -> str:
    return text.split(title, 1)[1].split("\n── ", 1)[0]


def seen(text: str, header: str) -> list[str]:
    """Each card or sentence printed under `header` (its "    │ " lines)."""
    found = []
    for part in text.split(header + "\n")[1:]:
        lines = []
        for line in part.splitlines():
            if not line.startswith("    │"):
                break
            lines.append(line)
        found.append("\n".join(lines))
    return found


def test_the_demo_runs_and_exits_0_with_nothing_logged(demo):
    status, text, errors = demo
    assert status == 0, errors
    assert errors == "", errors
    assert "Traceback" not in text
    assert "teams:" not in text.split("\n", 1)[1]  # people are shown by name, not by address


def test_the_demo_shows_the_welcome_and_help(demo):
    text = step(demo[1], "1. Priya installs panelbot")
    assert "Priya (social worker) adds panelbot in Teams" in text
    assert "[Submit a case]" in text
    assert "• help — show this list" in text


def test_the_demo_shows_a_submission_refused_inline_then_the_card_in_the_channel(demo):
    text = demo[1]
    refused = step(text, "A mistake in the form is refused inline")
    assert "the dialog stays open" in refused
    assert "⚠ Enter the proposed weekly cost in pounds" in refused
    assert "⚠ Describe the outcomes" in refused
    submitted = step(text, "Put right: the case card appears")
    assert "== Case submitted ==" in submitted
    [channel] = seen(submitted, "the Enhanced Peer Forum channel sees (a new post):")
    assert "== Case 1234567 ==" in channel and "Proposed: £412.00/wk" in channel
    assert "(free text)" not in channel  # what Priya typed stays out of the channel


def test_the_demo_shows_a_booking(demo):
    text = step(demo[1], "3. Priya books a forum slot")
    assert "== Forum slot booked ==" in text
    assert "Case 1234567 is booked: Tuesday 24 November 2026, 12:00–12:30" in text
    assert "the Enhanced Peer Forum channel sees (the case card, updated in place)" in text


def test_the_demo_shows_the_decision_the_updated_card_and_the_reason_only_in_personal_chats(demo):
    text = step(demo[1], "4. The chair approves")
    [card] = seen(text, "the Enhanced Peer Forum channel's case card now reads:")
    assert "Approved by Sam Okafor" in card and "[Approve]" not in card
    [notice] = seen(text, "Priya (social worker) sees (in their personal chat with panelbot):")
    assert f"Reason: {REASON}" in notice
    posts = seen(text, "the Enhanced Peer Forum channel sees (the case card, updated in place):")
    posts += seen(text, "the Enhanced Peer Forum channel sees (a new post):")
    posts += seen(text, "the Enhanced Peer Forum channel's case card now reads:")
    assert len(posts) == 3 and all("Approved by Sam Okafor" in post and REASON not in post for post in posts)
    assert "anywhere in the channel: no" in text
    again = step(demo[1], "A second press")
    assert "Case 1234567 was already decided: Approved by Sam Okafor" in again


def test_the_demo_shows_a_reminder_with_done_and_snooze_and_done_pressed(demo):
    text = step(demo[1], "5. Six weeks on")
    [reminder] = seen(text, "Priya (social worker) sees (in their personal chat with panelbot):")
    assert "Reminder: Review due for case 1234567" in reminder
    assert "[Done]  [Snooze 1 day]  [Snooze 1 week]" in reminder
    assert "Done: the reminder about case 1234567 is cleared." in text
