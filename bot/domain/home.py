"""A person's App Home: what is theirs, what waits on them, and for chairs, panel admins and the SQAO
what their role needs today. Plain views for any chat surface.

Pure: no Slack, no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Task:
    """Something that waits on the person, oldest first on the Home tab."""

    what: str  # "sign-off", "decision", "endorsement", "ratification", "review", "visit step"
    reference: str  # a case reference, or a provision's name for a visit step
    since: date  # when it started waiting (or fell due)
    detail: str  # amounts, bodies and dates only: never free text
    case_id: int | None = None

    def days_waiting(self, today: date) -> int:
        return max(0, (today - self.since).days)


@dataclass(frozen=True)
class MyCase:
    """One of the person's open cases (as the worker, or attending)."""

    case_id: int
    reference: str
    request: str  # "new package £412.00/wk"
    body_name: str
    stage: str  # in words
    since: date


@dataclass(frozen=True)
class Home:
    """Everything the person's Home tab shows, as of `today`. `waiting` holds the oldest tasks of each
    kind (bot.services.home.READ_MOST of each), oldest first; `waiting_more` counts the tasks beyond them.
    `cases` holds the person's oldest open cases (READ_MOST of them); `cases_more` counts the rest."""

    person: str
    today: date
    waiting: tuple[Task, ...] = ()
    cases: tuple[MyCase, ...] = ()
    bookings: tuple[str, ...] = ()  # "1234567: Enhanced Peer Forum, Thursday 26 November 2026, 09:00–09:30"
    chairing: tuple[str, ...] = ()  # "Enhanced Peer Forum today: 3 cases booked, 5 slots free"
    panels: tuple[str, ...] = ()  # a panel admin's next sittings and cut-offs
    overdue_visits: tuple[str, ...] = ()  # the SQAO's overdue visits and steps
    cover: tuple[str, ...] = ()  # "You cover for {{@U…}} today" / "{{@U…}} covers for you today" (bot.markup)
    waiting_more: int = 0
    cases_more: int = 0

    @property
    def waiting_count(self) -> int:
        """How many tasks wait on the person in all."""
        return len(self.waiting) + self.waiting_more

    @property
    def cases_count(self) -> int:
        """How many open cases the person has in all."""
        return len(self.cases) + self.cases_more
