"""The report's headline figures that both surfaces say, as plain text: one definition each.

Slack lays them out as the report modal's sections (messages/slack/report.py); Teams as the report
card's headings and paragraphs (messages/teams/report.py). Figures and the policy's body names only:
no names, no free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from bot.domain.report import Report
from messages.words import money


def percent(share: Decimal | None) -> str:
    """0.6667 -> "66.67%": the stored ratio exactly (four places), so the screen, the card and the CSV
    agree."""
    return "—" if share is None else f"{share * 100:.2f}%"


def whole(value: Decimal | None) -> str:
    """A count: 1234 -> "1,234"; none -> "0"."""
    return "0" if value is None else f"{int(value):,}"


def working_days(value: Decimal | None) -> str:
    """A number of working days, or "—" when there was nothing to time."""
    return "—" if value is None else f"{int(value)}"


def pounds(value: Decimal | None) -> str:
    """An amount of money; none -> "£0.00"."""
    return money(value or Decimal(0))


def headline(report: Report, body_names: Mapping[str, str], target: int) -> list[tuple[str, str]]:
    """(heading, text) pairs: the headline figures, each one of the report's figures formatted, then a
    pair for each body with figures of its own. `body_names`: the policy's body keys to their names;
    `target`: the turnaround target in working days."""
    v = report.value
    lines = [
        ("Committed spend", f"{pounds(v('committed', 'weekly'))}/wk, {pounds(v('committed', 'yearly'))}/yr "
                            f"({whole(v('committed', 'cases'))} packages)"),
        ("Pipeline waiting for decisions", f"{pounds(v('pipeline', 'weekly'))}/wk, "
                                           f"{pounds(v('pipeline', 'yearly'))}/yr "
                                           f"({whole(v('pipeline', 'cases'))} cases)"),
        ("Forecast of the year's spend", f"{pounds(v('forecast', 'yearly'))} (approval rate "
                                         f"{percent(v('forecast', 'approval_rate'))}, amendment ratio "
                                         f"{v('forecast', 'amendment_ratio')})"),
        ("Turnaround", f"median {working_days(v('turnaround', 'median_working_days'))}, 90th percentile "
                       f"{working_days(v('turnaround', 'p90_working_days'))} working days; "
                       f"{percent(v('turnaround', 'within_target'))} within {target} "
                       f"({whole(v('turnaround', 'decided'))} decided)"),
        ("Outcomes", f"{whole(v('outcomes', 'decision:approved'))} approved, "
                     f"{whole(v('outcomes', 'decision:approved_with_changes'))} approved with changes, "
                     f"{whole(v('outcomes', 'decision:declined'))} declined, "
                     f"{whole(v('outcomes', 'deferrals'))} deferred; "
                     f"{whole(v('outcomes', 'resubmissions_decided'))} resubmissions decided"),
        ("Delegated share", f"{percent(v('outcomes', 'delegated_share'))} of "
                            f"{whole(v('outcomes', 'decisions'))} decisions made by a person within delegated "
                            "limits"),
        ("Follow-ons waiting", f"{whole(v('follow_ons', 'waiting'))} endorsements or ratifications"),
        ("Spot checks", f"{whole(v('spot_checks', 'drawn'))} drawn: {whole(v('spot_checks', 'agreed'))} agreed, "
                        f"{whole(v('spot_checks', 'concern'))} practice concerns, "
                        f"{whole(v('spot_checks', 'referred'))} referred, {whole(v('spot_checks', 'open'))} open"),
        ("Monitoring visits", f"{whole(v('visits', 'on_time'))} of {whole(v('visits', 'done'))} on time "
                              f"({percent(v('visits', 'on_time_share'))})"),
    ]
    bodies = sorted({f.body for f in report.figures if f.body and f.section in ("committed", "turnaround")})
    for body in bodies:
        lines.append((body_names.get(body, body),
                      f"{pounds(v('committed', 'weekly', body))}/wk committed; median "
                      f"{working_days(v('turnaround', 'median_working_days', body))}, 90th percentile "
                      f"{working_days(v('turnaround', 'p90_working_days', body))} working days "
                      f"({whole(v('turnaround', 'decided', body))} decided)"))
    return lines
