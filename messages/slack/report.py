"""The report as people see it: the modal's headline figures, the chart (a PNG drawn server-side with
matplotlib's Agg backend) and the chart's description in words (its alt text and comment).

The headline's words are messages/report_words.py's, which Teams' report card says too.

Pure: figures in, Block Kit or PNG bytes out. Policy keys and numbers only: no names, no free text.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.report import Report
from messages.report_words import headline
from messages.slack.format import cut, long_date, money
from messages.slack.ids import Callback

_SECTION_TEXT = 3000


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, _SECTION_TEXT)}}


def report_modal(report: Report, body_names: Mapping[str, str], target: int) -> dict[str, Any]:
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
    request threads; imported here so that starting panelbot does not wait for it."""
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
