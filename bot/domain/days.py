"""Reading a day a person typed: `2027-05-12` (ISO, year first), `12/05/2027` (day first, as in the UK),
`12 May 2027`, `12 May`, `today`, `tomorrow`. An impossible date says why (`NotADay`, a refusal that each
surface words).

Deterministic and locale-free on purpose: dateutil read `2027-05-12` day-first as 5 December, and its
error text reached people. Pure: `today` is passed in.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from bot.refusals import Problem, Refusal

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_MONTH_NAMES = {name: number for number, name in enumerate(MONTHS, 1)} | {
    name[:3]: number for number, name in enumerate(MONTHS, 1)} | {"sept": 9}

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_UK = re.compile(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?", re.ASCII)
_WORDS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?(?:\s+(\d{4}))?", re.ASCII)
_WORDS_US = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?", re.ASCII)


class NotADay(Problem):
    """Why the text is not a day: a refusal for the person who typed it."""


def _make(year: int, month: int, day: int) -> date | NotADay:
    if not 1 <= month <= 12:
        return NotADay(Refusal.NO_SUCH_MONTH, month=month)
    if not 1 <= year <= 9999:
        return NotADay(Refusal.NO_SUCH_YEAR, year=year)
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return NotADay(Refusal.NO_SUCH_DAY, day=day, month=month, year=year, last=last)
    return date(year, month, day)


def picked_day(value: object) -> date | None:
    """A date picker's answer (Slack's datepicker, Teams' Input.Date: ISO, year first) as a date; None
    when nothing was picked or it is not one."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def read_day(text: str, today: date) -> date | NotADay | None:
    """The day `text` names; NotADay when it looks like a date that does not exist; None when it is
    not a way of writing a day at all."""
    words = " ".join(text.strip().lower().split())
    if words in ("", "today"):
        return today
    if words == "tomorrow":
        return today + timedelta(days=1)
    if words == "yesterday":
        return today - timedelta(days=1)
    if match := _ISO.fullmatch(words):
        year, month, day = (int(part) for part in match.groups())
        return _make(year, month, day)
    if match := _UK.fullmatch(words):
        day, month = int(match[1]), int(match[2])
        year = today.year if match[3] is None else int(match[3]) + (2000 if len(match[3]) == 2 else 0)
        return _make(year, month, day)
    for pattern, day_group, month_group in ((_WORDS, 1, 2), (_WORDS_US, 2, 1)):
        if (match := pattern.fullmatch(words)) and match[month_group] in _MONTH_NAMES:
            year = int(match[3]) if match[3] else today.year
            return _make(year, _MONTH_NAMES[match[month_group]], int(match[day_group]))
    return None
