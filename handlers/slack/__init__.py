"""Slack glue: each module has `register(app, services)`. Ack, parse, call one service, render."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers.slack import (
    attendance,
    booking,
    cases,
    commands,
    decisions,
    errors,
    home,
    reminders,
    report,
    spot_checks,
    submit,
    visits,
)


def register_all(app: App, services: Services) -> None:
    errors.register(app, services)
    commands.register(app, services, {**submit.SUBCOMMANDS, **cases.SUBCOMMANDS, **booking.SUBCOMMANDS,
                                       **reminders.SUBCOMMANDS, **visits.SUBCOMMANDS,
                                       **spot_checks.SUBCOMMANDS, **report.SUBCOMMANDS})
    submit.register(app, services)
    cases.register(app, services)
    booking.register(app, services)
    decisions.register(app, services)
    attendance.register(app, services)
    reminders.register(app, services)
    visits.register(app, services)
    spot_checks.register(app, services)
    home.register(app, services)
