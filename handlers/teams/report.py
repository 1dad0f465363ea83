"""The report in Teams: "report [period]" answered with the figures as a card in the person's chat with
panelbot (typed in a channel, the channel gets only a pointer: bot.py `_reply`). The Teams counterpart
of handlers/slack/report.py; the same figures (bot/services/report.py, which checks who may see them).

The report is worked out while Teams waits for the answer to the message (Teams allows 15 s; the
report's p99 is under 2 s over 100,000 cases, bench/README.md), then sent.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.report import PeriodError, parse_period
from bot.services.report import ReportRefused, report_for
from handlers.teams.bot import Handler, Result, TeamsBot, Turn
from messages.teams.ids import Command
from messages.teams.report import report_card

MAX_PERIOD_TEXT = 40  # "2026-08-01..2026-09-30" and a little room


class ReportHandlers:
    """The report command, run by `bot` (its services and wording)."""

    def __init__(self, bot: TeamsBot) -> None:
        self.bot = bot
        self.services = bot.services

    def commands(self) -> dict[str, Callable[[Turn, str], Result]]:
        return {Command.REPORT: self.report}

    def verbs(self) -> dict[str, Handler]:
        return {}

    def report(self, turn: Turn, rest: str) -> Result:
        services = self.services
        try:
            start, end = parse_period(rest[:MAX_PERIOD_TEXT], services.calendar.local_date(services.now()))
            figures = report_for(services, turn.person, start, end)
        except (PeriodError, ReportRefused) as refused:
            return self.bot.said(refused)
        names = {key: body.name for key, body in services.policy.bodies.items()}
        return report_card(figures, names, services.policy.spot_checks.target_working_days)
