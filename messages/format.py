"""Small words-and-numbers helpers shared by the Block Kit builders.

Money is "£1,234.50" ("£1,234.50/wk" a week); dates are "Wednesday 9 December 2026"; times are
"10:00" on the London clock. Names of days and months are our own, because strftime's follow the
process locale. Anything that goes into mrkdwn from outside panelbot's own wording passes through
`escape` first, so a stray `<` or `&` cannot turn into a mention or a broken link.
"""

from __future__ import annotations

from datetime import date, datetime

from bot import markup
from bot.addresses import Surface, surface_of
from bot.domain import words
from bot.domain.calendar import LONDON
from bot.domain.words import count, money, number, weekly

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
    "short_date",
    "weekly",
]



def long_date(day: date | datetime) -> str:
    """"Wednesday 9 December 2026". A datetime is first put on the London clock."""
    if isinstance(day, datetime):
        day = _london(day).date()
    return words.long_date(day)


def short_date(day: date | datetime) -> str:
    """"Tuesday 1 December": `long_date` without the year, for lists of days close together."""
    return long_date(day).rsplit(" ", 1)[0]


def clock_time(at: datetime) -> str:
    """"10:00" on the London clock (a naive datetime is taken to be London time already)."""
    return f"{_london(at):%H:%M}"


def _london(at: datetime) -> datetime:
    return at if at.tzinfo is None else at.astimezone(LONDON)


def mention(slack_id: str) -> str:
    """A mention: `<!subteam^S…>` for a user group (S…), `<@U…>` for a person (U… or W…)."""
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"


def slack_words(text: str) -> str:
    """The core's people and commands (bot.markup) as Slack shows them: a mention, "`/panel …`". A
    person on another surface is "a colleague on Teams": Slack cannot mention them."""
    return markup.render(text, person=lambda address: mention(address) if surface_of(address) is Surface.SLACK
                         else "a colleague on Teams", command=lambda words: f"`/panel {words}`")


def said(refusal: Exception) -> str:
    """A refusal's sentence as Slack shows it."""
    return slack_words(str(refusal))


def escape(text: str) -> str:
    """Text made safe for mrkdwn: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start with "…" so that it does."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Abbreviations in the policy's role names that read wrongly in lower case.
_ROLE_ABBREVIATIONS = frozenset({"asc", "his", "send", "qa", "sqao", "pco", "ot", "la", "iro", "ifa"})


def role_label(role: str) -> str:
    """A policy role key for people: "service_director_asc_operations" → "Service director ASC operations"."""
    words = [word.upper() if word.lower() in _ROLE_ABBREVIATIONS else word for word in role.split("_") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]
