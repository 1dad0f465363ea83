"""Slack's mrkdwn: mentions, the core's tokens as Slack shows them, and escaping; with the words both
surfaces share (messages/words.py), so the Block Kit builders import one module.

Anything that goes into mrkdwn from outside panelbot's own wording passes through `escape` first, so a
stray `<` or `&` cannot turn into a mention or a broken link.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot import markup
from bot.addresses import Surface, is_group, surface_of
from bot.errors import UserError
from bot.refusals import Problem
from messages.refusals import words, words_each
from messages.words import clock_time, count, cut, long_date, money, number, role_label, short_date, weekly

__all__ = [
    "clock_time",
    "count",
    "cut",
    "escape",
    "long_date",
    "mention",
    "money",
    "number",
    "role_label",
    "said",
    "said_each",
    "short_date",
    "slack_words",
    "weekly",
]


def mention(slack_id: str) -> str:
    """A mention: `<!subteam^S…>` for a user group (S…), `<@U…>` for a person (U… or W…)."""
    return f"<!subteam^{slack_id}>" if is_group(slack_id) else f"<@{slack_id}>"


def slack_words(text: str) -> str:
    """The core's people and commands (bot.markup) as Slack shows them: a mention, "`/panel …`". A
    person on another surface is "a colleague on Teams": Slack cannot mention them."""
    return markup.render(text, person=lambda address: mention(address) if surface_of(address) is Surface.SLACK
                         else "a colleague on Teams", command=lambda words: f"`/panel {words}`")


def said(refusal: UserError | Problem) -> str:
    """A refusal's sentence (messages/refusals.py) as Slack shows it."""
    return slack_words(words(refusal))


def said_each(problems: Mapping[str, Problem]) -> dict[str, str]:
    """A form's refusals, each under its field, as Slack shows them (`response_action: errors`)."""
    return {field: slack_words(sentence) for field, sentence in words_each(problems).items()}


def escape(text: str) -> str:
    """Text made safe for mrkdwn: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
