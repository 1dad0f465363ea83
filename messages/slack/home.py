"""The App Home tab of one person: what waits on them, their cases and bookings, and what their role
needs today. At most 100 blocks (Slack's limit for a Home tab): a long list ends with "and N more"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.home import Home, Task
from bot.domain.words import days
from messages.slack.format import cut, escape, slack_words
from messages.slack.help import help_lines
from messages.slack.ids import VALUE, AwayField, Callback, Command, Subcommand

HOME_BLOCKS = 100
_SECTION_TEXT = 3000
_LIST_MOST = 20  # lines a list shows before "and N more"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}]}


def _days(n: int) -> str:
    return "today" if n == 0 else days(n)


def task_line(task: Task, today: Any) -> str:
    """"*sign-off* — 2345678 · increase £280.00/wk, delegated sign-off · waiting 3 days"."""
    waited = task.days_waiting(today)
    when = "since today" if waited == 0 else f"waiting {_days(waited)}"
    return f"*{escape(task.what)}* — {escape(task.reference)} · {slack_words(escape(task.detail))} · {when}"


def _list(heading: str, lines: Sequence[str], empty: str | None = None, more: int = 0) -> list[dict[str, Any]]:
    """A heading and its lines, the first _LIST_MOST of them; `more` counts lines not given."""
    if not lines and empty is None:
        return []
    blocks = [_section(f"*{heading}*")]
    if not lines:
        return [*blocks, _context(empty or "")]
    shown = lines[:_LIST_MOST]
    text = ""
    for line in shown:  # packed into as few sections as fit
        candidate = f"{text}\n{line}" if text else line
        if len(candidate) > _SECTION_TEXT:
            blocks.append(_section(text))
            candidate = line
        text = candidate
    blocks.append(_section(text))
    if hidden := len(lines) - len(shown) + more:
        blocks.append(_context(f"and {hidden} more"))
    return blocks


def home_view(home: Home | None = None) -> dict[str, Any]:
    """The person's Home tab; without a Home (nothing known about them yet), the commands."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain("panelbot")}]
    if home is not None:
        blocks += _list(f"Waiting on you ({home.waiting_count})",
                        [task_line(task, home.today) for task in home.waiting], "Nothing waits on you.",
                        more=home.waiting_more)
        blocks += _list("Today", [slack_words(line) for line in (*home.cover, *home.chairing, *home.panels)])
        blocks += _list(f"Overdue visits and steps ({len(home.overdue_visits)})", list(home.overdue_visits))
        blocks += _list(f"Your open cases ({home.cases_count})",
                        [f"*{escape(case.reference)}* — {escape(case.request)} · {escape(case.body_name)} · "
                         f"{escape(case.stage)}" for case in home.cases],
                        f"None open. `{Command.PANEL} {Subcommand.SUBMIT}` sends one.", more=home.cases_more)
        blocks += _list("Your bookings", list(home.bookings))
        blocks.append({"type": "divider"})
    blocks.append(_section("Type these in any channel or here:\n" + help_lines()))
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS]}


def away_modal(today_iso: str) -> dict[str, Any]:
    """The cover form (`/panel away`): the days away and the colleague who acts in your place."""
    def day(field: AwayField, label: str) -> dict[str, Any]:
        return {"type": "input", "block_id": field.value, "label": _plain(label),
                "element": {"type": "datepicker", "action_id": VALUE, "initial_date": today_iso}}

    return {
        "type": "modal",
        "callback_id": Callback.AWAY_FORM.value,
        "title": _plain("Cover while away"),
        "submit": _plain("Set cover"),
        "close": _plain("Cancel"),
        "blocks": [
            _section("While you are away your colleague gets your panelbot messages and reminders and may act in "
                     "your place. They never decide their own cases, nor above their own limits."),
            day(AwayField.FIRST_DAY, "First day away"),
            day(AwayField.LAST_DAY, "Last day away"),
            {"type": "input", "block_id": AwayField.COLLEAGUE.value, "label": _plain("Colleague covering"),
             "element": {"type": "users_select", "action_id": VALUE, "placeholder": _plain("Choose a colleague")}},
        ],
    }
