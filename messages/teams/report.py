"""The report in Teams: "report [period]" answered with a card in the person's chat with panelbot. The
Teams counterpart of messages/slack/report.py: the same headline figures (messages/report_words.py), and in
place of Slack's chart (an uploaded PNG, which a bot message in Teams cannot carry within its size
limit) the chart's figures month by month.

Pure: figures in, a card out. Policy keys, body names and numbers only: no names, no free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.domain.report import Report
from bot.domain.words import month_name
from messages.report_words import headline, percent, pounds, working_days
from messages.teams.elements import Card, bold, bullets, card, heading, para, separator
from messages.words import long_date

__all__ = ["headline", "month_label", "monthly_lines", "percent", "report_card"]


def month_label(month: str) -> str:
    """"2026-09" -> "September 2026"."""
    return f"{month_name(int(month[5:]))} {month[:4]}"


def monthly_lines(report: Report) -> list[str]:
    """The chart's figures, a line a month, oldest first: committed spend at the month's end and the
    month's median turnaround."""
    lines = []
    for month, committed, median in zip(report.months, report.committed_weekly_by_month,
                                        report.median_turnaround_by_month, strict=True):
        turnaround = "no decisions" if median is None else f"median turnaround {working_days(median)} working days"
        lines.append(f"{month_label(month)}: {pounds(committed)}/wk committed; {turnaround}")
    return lines


def _period(start: date, end: date) -> str:
    return f"{long_date(start)} to {long_date(end)}"


def report_card(report: Report, body_names: Mapping[str, str], target: int) -> Card:
    """The answer to "report": the period, each headline figure, then spend and turnaround month by
    month. `body_names`: the policy's body keys to their names; `target`: the turnaround target in
    working days. For the person's personal chat (reporters only: the service checks)."""
    body: list[dict[str, Any]] = [
        heading("Report"),
        para(bold(_period(report.start, report.end))),
        para("Commitments, the pipeline and the forecast are as at the end of the period; follow-ons waiting are "
             "as now.", subtle=True, tight=True),
    ]
    for title, text in headline(report, body_names, target):
        body += [para(bold(title)), para(text, tight=True)]
    if report.months:
        body += [separator(), para(bold("Spend and turnaround by month")), *bullets(monthly_lines(report))]
    return card(body, summary=f"Report, {_period(report.start, report.end)}")
