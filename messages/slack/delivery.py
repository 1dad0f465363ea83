"""The panel admin's notice when panelbot cannot tell whether a channel message went.

It names the case reference, what kind of message it was and the channel: never a person's name
or anything typed (DESIGN.md §4).
"""

from __future__ import annotations

from typing import Any

from messages.slack.format import cut, escape

_TEXT_FALLBACK = 3000


def delivery_unknown_admin(what: str, reference: str, channel: str) -> dict[str, Any]:
    """`what` is panelbot's own label ("the case card"), `reference` a case reference (or "" when the
    message is about no case), `channel` the channel ID."""
    if not channel.startswith(("C", "G")):
        raise ValueError("a channel ID")
    about = f" for case {escape(reference)}" if reference else ""
    text = (
        f"Slack did not confirm whether {escape(what)}{about} was posted in <#{channel}>: the connection "
        "was lost after sending. panelbot will not post it again, so that nobody sees it twice. Please "
        "look in the channel; if it is not there, post the update by hand or ask IT to re-queue it."
    )
    return {"text": cut(text, _TEXT_FALLBACK), "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                                                        "text": text}}]}
