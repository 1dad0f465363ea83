"""A person's home card in Teams: what waits on them, what their role needs today, their open cases,
bookings and cover, then the commands. Teams has no App Home tab: this card is what panelbot posts
in its personal chat when it is installed and when someone says hello, and what a personal tab can
show. The Teams counterpart of messages/slack/home.py, with the cover form.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.domain.home import Home, Task
from bot.domain.words import days
from messages.teams.elements import (
    NO_NAMES,
    Card,
    Names,
    bold,
    bullets,
    card,
    date_input,
    execute,
    heading,
    para,
    person_input,
    separator,
    teams_words,
)
from messages.teams.help import command_lines, typed
from messages.teams.ids import AwayInput, Command, Verb

__all__ = ["LIST_MOST", "away_form", "home_card", "task_line"]

LIST_MOST = 20  # lines a list shows before "and N more"


def _days(n: int) -> str:
    return "today" if n == 0 else days(n)


def task_line(task: Task, today: date, names: Names = NO_NAMES) -> list[Any]:
    """sign-off — 2345678 · increase £280.00/wk, delegated sign-off · waiting 3 days."""
    waited = task.days_waiting(today)
    when = "since today" if waited == 0 else f"waiting {_days(waited)}"
    return [bold(task.what), f" — {task.reference} · {teams_words(task.detail, names)} · {when}"]


def _list(heading_text: str, lines: Sequence[str | list[Any]], empty: str | None = None,
          more: int = 0) -> list[dict[str, Any]]:
    """A heading and its lines, the first LIST_MOST of them; `more` counts lines not given."""
    if not lines and empty is None:
        return []
    blocks = [para(bold(heading_text))]
    if not lines:
        return [*blocks, para(empty or "", subtle=True, tight=True)]
    blocks += bullets(list(lines[:LIST_MOST]))
    if hidden := max(len(lines) - LIST_MOST, 0) + more:
        blocks.append(para(f"and {hidden} more", subtle=True, tight=True))
    return blocks


def home_card(home: Home | None = None, names: Names = NO_NAMES) -> Card:
    """The person's home card; without a Home (nothing known about them yet), the welcome and the
    commands."""
    body: list[dict[str, Any]] = [heading("panelbot")]
    if home is None:
        body.append(para("panelbot carries a funding request to whoever may decide it, books the forum, and tells "
                         "you the outcome."))
    else:
        body += _list(f"Waiting on you ({home.waiting_count})",
                      [task_line(task, home.today, names) for task in home.waiting],
                      "Nothing waits on you.", more=home.waiting_more)
        body += _list("Today", [teams_words(line, names) for line in (*home.cover, *home.chairing, *home.panels)])
        body += _list(f"Overdue visits and steps ({len(home.overdue_visits)})",
                      [teams_words(line, names) for line in home.overdue_visits])
        body += _list(f"Your open cases ({home.cases_count})",
                      [[bold(case.reference), f" — {case.request} · {case.body_name} · {case.stage}"]
                       for case in home.cases],
                      f"None open. {typed(Command.SUBMIT)} sends one.", more=home.cases_more)
        body += _list("Your bookings", [teams_words(line, names) for line in home.bookings])
        body.append(separator())
    body.append(para("Type these in your chat with panelbot, or after @panelbot in a channel:"))
    body += bullets(command_lines())
    waiting = f": {home.waiting_count} waiting on you" if home is not None and home.waiting else ""
    return card(body, [execute("Submit a case", Verb.NEW_CASE)], summary=f"panelbot{waiting}")


def away_form(today: date, *, colleagues: Sequence[str] = (), names: Names = NO_NAMES,
              errors: dict[str, str] | None = None) -> Card:
    """The cover form ("away"): the days away and the colleague who acts in your place (from
    `colleagues`, or by work e-mail). Submit: Verb.SET_COVER; the inputs are AwayInput."""
    errors = errors or {}
    body = [
        heading("Cover while away"),
        para("While you are away your colleague gets your panelbot messages and reminders and may act in your place. "
             "They never decide their own cases, nor above their own limits."),
        *date_input(AwayInput.FIRST_DAY, "First day away", required=True, value=today.isoformat(),
                    error=errors.get(AwayInput.FIRST_DAY)),
        *date_input(AwayInput.LAST_DAY, "Last day away", required=True, value=today.isoformat(),
                    error=errors.get(AwayInput.LAST_DAY)),
        *person_input(AwayInput.COLLEAGUE, "Colleague covering", colleagues, names, required=True,
                      error=errors.get(AwayInput.COLLEAGUE), needed="Choose who covers for you."),
    ]
    return card(body, [execute("Set cover", Verb.SET_COVER, style="positive"), execute("Cancel", Verb.CLOSE_FORM)],
                summary="Cover while away")
