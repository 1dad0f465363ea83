"""The words every surface uses for amounts, counts and days: one definition each.

Pure and in English whatever the server's locale. Slack's Block Kit builders (messages/slack/format.py),
Teams' Adaptive Cards (messages/teams) and the core's own sentences all take them from here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def money(amount: Decimal) -> str:
    """"£1,234.50"."""
    return f"£{amount:,.2f}"


def weekly(amount: Decimal) -> str:
    """"£1,234.50/wk"."""
    return f"{money(amount)}/wk"


def number(amount: Decimal) -> str:
    """A quantity without trailing zeros or exponents: 40, 4.5, 100."""
    return f"{amount.normalize():f}"


def count(amount: Decimal, unit: str) -> str:
    """"1 week", "4.5 weeks"."""
    return f"{number(amount)} {unit}" if amount == 1 else f"{number(amount)} {unit}s"


def days(n: int, unit: str = "day") -> str:
    """"1 day", "3 days", "2 working days"."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def long_date(day: date) -> str:
    """"Monday 30 November 2026"."""
    return f"{_WEEKDAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def month_name(month: int) -> str:
    return _MONTH_NAMES[month - 1]
