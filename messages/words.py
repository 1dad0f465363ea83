"""The words both surfaces use for amounts, dates and roles, on the London clock: one definition each.

Amounts and day counts come from the core's own words (bot.domain.words); here they gain dates and
times from datetimes (put on the London clock first), shortening, and role names for people.
Slack's mrkdwn (mentions, escaping) is in messages/slack/format.py; Teams' card elements in
messages/teams/elements.py.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.domain import words
from bot.domain.calendar import LONDON
from bot.domain.words import count, days, money, number, weekly

__all__ = ["clock_time", "count", "cut", "days", "long_date", "money", "number", "role_label", "short_date", "weekly"]


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


def cut(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start with "…" so that it does."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Abbreviations in the policy's role names that read wrongly in lower case.
_ROLE_ABBREVIATIONS = frozenset({"asc", "his", "send", "qa", "sqao", "pco", "ot", "la", "iro", "ifa"})


def role_label(role: str) -> str:
    """A policy role key for people: "service_director_asc_operations" → "Service director ASC operations"."""
    parts = [word.upper() if word.lower() in _ROLE_ABBREVIATIONS else word for word in role.split("_") if word]
    text = " ".join(parts)
    return text[:1].upper() + text[1:]
