"""The report in Teams: "report [period]" answered with a card in the person's chat with panelbot. The
Teams counterpart of messages/slack/report.py: the same headline figures, worded the same way, and in
place of Slack's chart (an uploaded PNG, which a bot message in Teams cannot carry within its size
limit) the chart's figures month by month.

Pure: figures in, a card out. Policy keys, body names and numbers only: no names, no free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from bot.domain.report import Report
from bot.domain.words import month_name
from messages.teams.elements import Card, bold, bullets, card, heading, para, separator
from messages.words import long_date, money

__all__ = ["headline", "month_label", "monthly_lines", "percent", "report_card"]


def percent(share: Decimal | None) -> str:
    """0.6667 -> "66.67%": the stored ratio exactly (four places), so the card and the CSV agree."""
    return "—" if share is None else f"{share * 100:.2f}%"


def _n(value: Decimal | None) -> str:
    return "0" if value is None else f"{int(value):,}"


def _days(value: Decimal | None) -> str:
    return "—" if value is None else f"{int(value)}"


def _pounds(value: Decimal | None) -> str:
    return money(value or Decimal(0))


def headline(report: Report, body_names: Mapping[str, str], target: int) -> list[tuple[str, str]]:
    """(heading, text) pairs: the headline figures, as Slack's report shows them."""
    v = report.value
    lines = [
        ("Committed spend", f"{_pounds(v('committed', 'weekly'))}/wk, {_pounds(v('committed', 'yearly'))}/yr "
                            f"({_n(v('committed', 'cases'))} packages)"),
        ("Pipeline waiting for decisions", f"{_pounds(v('pipeline', 'weekly'))}/wk, "
                                           f"{_pounds(v('pipeline', 'yearly'))}/yr "
                                           f"({_n(v('pipeline', 'cases'))} cases)"),
        ("Forecast of the year's spend", f"{_pounds(v('forecast', 'yearly'))} (approval rate "
                                         f"{percent(v('forecast', 'approval_rate'))}, amendment ratio "
                                         f"{v('forecast', 'amendment_ratio')})"),
        ("Turnaround", f"median {_days(v('turnaround', 'median_working_days'))}, 90th percentile "
                       f"{_days(v('turnaround', 'p90_working_days'))} working days; "
                       f"{percent(v('turnaround', 'within_target'))} within {target} "
                       f"({_n(v('turnaround', 'decided'))} decided)"),
        ("Outcomes", f"{_n(v('outcomes', 'decision:approved'))} approved, "
                     f"{_n(v('outcomes', 'decision:approved_with_changes'))} approved with changes, "
                     f"{_n(v('outcomes', 'decision:declined'))} declined, "
                     f"{_n(v('outcomes', 'deferrals'))} deferred; "
                     f"{_n(v('outcomes', 'resubmissions_decided'))} resubmissions decided"),
        ("Delegated share", f"{percent(v('outcomes', 'delegated_share'))} of {_n(v('outcomes', 'decisions'))} "
                            "decisions made by a person within delegated limits"),
        ("Follow-ons waiting", f"{_n(v('follow_ons', 'waiting'))} endorsements or ratifications"),
        ("Spot checks", f"{_n(v('spot_checks', 'drawn'))} drawn: {_n(v('spot_checks', 'agreed'))} agreed, "
                        f"{_n(v('spot_checks', 'concern'))} practice concerns, "
                        f"{_n(v('spot_checks', 'referred'))} referred, {_n(v('spot_checks', 'open'))} open"),
        ("Monitoring visits", f"{_n(v('visits', 'on_time'))} of {_n(v('visits', 'done'))} on time "
                              f"({percent(v('visits', 'on_time_share'))})"),
    ]
    bodies = sorted({f.body for f in report.figures if f.body and f.section in ("committed", "turnaround")})
    for body in bodies:
        lines.append((body_names.get(body, body),
                      f"{_pounds(v('committed', 'weekly', body))}/wk committed; median "
                      f"{_days(v('turnaround', 'median_working_days', body))}, 90th percentile "
                      f"{_days(v('turnaround', 'p90_working_days', body))} working days "
                      f"({_n(v('turnaround', 'decided', body))} decided)"))
    return lines


def month_label(month: str) -> str:
    """"2026-09" -> "September 2026"."""
    return f"{month_name(int(month[5:]))} {month[:4]}"


def monthly_lines(report: Report) -> list[str]:
    """The chart's figures, a line a month, oldest first: committed spend at the month's end and the
    month's median turnaround."""
    lines = []
    for month, committed, median in zip(report.months, report.committed_weekly_by_month,
                                        report.median_turnaround_by_month, strict=True):
        turnaround = "no decisions" if median is None else f"median turnaround {_days(median)} working days"
        lines.append(f"{month_label(month)}: {_pounds(committed)}/wk committed; {turnaround}")
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
