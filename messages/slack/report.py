"""The report as people see it: the modal's headline figures, the chart (a PNG drawn server-side with
matplotlib's Agg backend) and the chart's description in words (its alt text and comment).

Pure: figures in, Block Kit or PNG bytes out. Policy keys and numbers only: no names, no free text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from bot.domain.report import Report
from messages.slack.format import cut, long_date, money
from messages.slack.ids import Callback

_SECTION_TEXT = 3000


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}


def percent(share: Decimal | None) -> str:
    """0.6667 -> "66.67%": the stored ratio exactly (four places), so the screen and the CSV agree."""
    return "—" if share is None else f"{share * 100:.2f}%"


def _n(value: Decimal | None) -> str:
    return "0" if value is None else f"{int(value):,}"


def _days(value: Decimal | None) -> str:
    return "—" if value is None else f"{int(value)}"


def _pounds(value: Decimal | None) -> str:
    return money(value or Decimal(0))


def headline(report: Report, body_names: dict[str, str], target: int) -> list[tuple[str, str]]:
    """(heading, text) pairs: the figures the modal shows, each one of the report's figures formatted."""
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
        name = body_names.get(body, body)
        lines.append((name, f"{_pounds(v('committed', 'weekly', body))}/wk committed; median "
                            f"{_days(v('turnaround', 'median_working_days', body))}, 90th percentile "
                            f"{_days(v('turnaround', 'p90_working_days', body))} working days "
                            f"({_n(v('turnaround', 'decided', body))} decided)"))
    return lines


def report_modal(report: Report, body_names: dict[str, str], target: int) -> dict[str, Any]:
    """The `/panel report` modal: the period, then one section per headline figure (at most 100 blocks)."""
    blocks: list[dict[str, Any]] = [
        _section(f"*{long_date(report.start)} to {long_date(report.end)}*\nCommitments, the pipeline and the "
                 "forecast are as at the end of the period; follow-ons waiting are as now. "
                 "The chart is in your messages with panelbot."),
    ]
    for heading, text in headline(report, body_names, target)[:98]:
        blocks.append(_section(f"*{heading}*\n{text}"))
    return {"type": "modal", "callback_id": Callback.REPORT_VIEW.value, "title": _plain("Report"),
            "close": _plain("Close"), "blocks": blocks}


def chart_description(report: Report) -> str:
    """The chart in words: its alt text, and the comment it is posted with."""
    months = report.months
    if not months:
        return "No months to chart."
    first, last = report.committed_weekly_by_month[0], report.committed_weekly_by_month[-1]
    medians = [m for m in report.median_turnaround_by_month if m is not None]
    turnaround = (f"median turnaround by month from {min(medians)} to {max(medians)} working days"
                  if medians else "no decisions to time")
    return (f"Chart of {len(months)} months, {months[0]} to {months[-1]}: committed spend went from "
            f"{money(first)}/wk to {money(last)}/wk; {turnaround}.")


def render_chart(report: Report) -> bytes:
    """Committed weekly spend at each month's end (bars) and median turnaround (line), as a PNG.

    matplotlib's object API with the Agg canvas: no display, no pyplot global state, safe on the
    listener threads; imported here so that starting panelbot does not wait for it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as Canvas

    canvas = Canvas(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(canvas)  # the Agg backend: no display needed
    spend = canvas.add_subplot(1, 1, 1)
    labels: Sequence[str] = report.months
    x = list(range(len(labels)))
    spend.bar(x, [float(v) for v in report.committed_weekly_by_month], color="#4a7ab8", label="Committed £/wk")
    spend.set_ylabel("Committed spend (£ a week)")
    spend.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
    turnaround = spend.twinx()
    points = [(i, float(m)) for i, m in enumerate(report.median_turnaround_by_month) if m is not None]
    if points:
        turnaround.plot([p[0] for p in points], [p[1] for p in points], color="#c0392b", marker="o",
                        label="Median turnaround")
    turnaround.set_ylabel("Median turnaround (working days)")
    turnaround.set_ylim(bottom=0)
    canvas.suptitle(f"Spend and turnaround, {labels[0] if labels else ''} to {labels[-1] if labels else ''}")
    canvas.tight_layout()
    out = io.BytesIO()
    canvas.savefig(out, format="png")
    return out.getvalue()
