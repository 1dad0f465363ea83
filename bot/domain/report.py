"""The report: budget commitments and forecast (seed 000), turnaround and outcomes, spot checks and
visits, over any period. Pure: the service hands in plain, already-aggregated rows (the database does
the sums and counts) and the dates; nothing here reads a clock, Slack or SQL.

Every figure is a `Figure` (section, measure, body, service, request type, value): the modal, the chart
and the CSV are all drawn from the same list, so they cannot disagree. No names and no free text: the
dimensions are policy keys and enum values.

Definitions (the README's "Reports" section says the same in words):
- agreed weekly: the amended amount of an agreeing decision, else the proposed amount;
- commitment of a case: for an increase or decrease, agreed weekly less the current weekly (the
  difference it makes); for anything else, the agreed weekly. It counts from the day it was agreed
  until the day the case ended at a review, was withdrawn, or was not endorsed or not ratified, or
  a renewal of it (a SEND resubmission) was agreed;
- yearly = weekly × the policy's weeks per year;
- pipeline: cases submitted by the end of the period with no approval or decline by then and not
  withdrawn by then, at their proposed commitment;
- approval rate: approvals ÷ (approvals + declines), all decisions up to the end of the period;
- amendment ratio: Σ agreed weekly ÷ Σ proposed weekly over those approvals;
- forecast yearly: committed yearly + pipeline yearly × approval rate × amendment ratio;
- turnaround: working days after the day of (first) submission up to and including the day of the
  approval or decline (same day = 0); median and 90th percentile by nearest rank.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bot.errors import UserError
from bot.refusals import Refusal

AGREEING = ("approved", "approved_with_changes")
FINAL = (*AGREEING, "declined")
CHANGES = ("increase", "decrease")

ALL = ""  # the dimension value of a total


@dataclass(frozen=True)
class Figure:
    section: str
    measure: str
    value: Decimal
    body: str = ALL
    service: str = ALL
    request_type: str = ALL
    month: str = ALL  # "2026-11" for a point of a series over time


# --- The rows the service hands in ------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentRow:
    """Σ commitment of agreed cases in force at the end of the period, per body, service and request type."""

    body: str
    service: str
    request_type: str
    weekly: Decimal
    cases: int


@dataclass(frozen=True)
class PipelineRow:
    body: str
    service: str
    request_type: str
    weekly: Decimal  # Σ proposed commitment
    cases: int


@dataclass(frozen=True)
class DecisionGroup:
    """Decisions of one kind and outcome at one body in the period; `resubmitted`: round 2 or later."""

    body: str
    kind: str
    outcome: str
    resubmitted: bool
    count: int


@dataclass(frozen=True)
class TurnaroundGroup:
    """Approvals and declines (decision kind) at one body, submitted on one day and decided on another."""

    body: str
    submitted_on: date
    decided_on: date
    count: int


@dataclass(frozen=True)
class History:
    """Every approval and decline up to the end of the period: the approval rate and amendment ratio."""

    approvals: int
    declines: int
    agreed_weekly: Decimal
    proposed_weekly: Decimal


@dataclass(frozen=True)
class MonthChange:
    """Commitments that started (agreed) or stopped (ended) in a month: "2026-11"."""

    month: str
    started: Decimal
    stopped: Decimal


@dataclass(frozen=True)
class ReportInputs:
    start: date
    end: date
    weeks_per_year: int
    target_working_days: int
    body_kinds: dict[str, str]  # body key -> "person", "meeting" or "panel"
    commitments: Sequence[CommitmentRow]
    pipeline: Sequence[PipelineRow]
    decisions: Sequence[DecisionGroup]
    turnaround: Sequence[TurnaroundGroup]  # over the chart's months as well as the period
    history: History
    committed_before: Decimal  # Σ commitment in force before the chart's first month
    months: Sequence[MonthChange]  # the chart's months, oldest first
    follow_ons_waiting: dict[str, int]  # body -> cases waiting for its endorsement or ratification now
    spot_checks: dict[str, int]  # state -> spot checks drawn in the period
    visits_done: int
    visits_on_time: int


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    figures: tuple[Figure, ...]
    months: tuple[str, ...] = ()
    committed_weekly_by_month: tuple[Decimal, ...] = ()
    median_turnaround_by_month: tuple[Decimal | None, ...] = ()
    index: dict[tuple[str, str, str, str, str, str], Decimal] = field(default_factory=dict, repr=False)

    def value(self, section: str, measure: str, body: str = ALL, service: str = ALL, request_type: str = ALL,
              month: str = ALL) -> Decimal | None:
        return self.index.get((section, measure, body, service, request_type, month))


# --- Small pure helpers ------------------------------------------------------------------------------

PENNY = Decimal("0.01")
RATIO = Decimal("0.0001")


def pounds(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """numerator ÷ denominator to four places; 0 when there is nothing to divide by."""
    if not denominator:
        return Decimal(0)
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP)


def nearest_rank(counts: dict[int, int], percent: int) -> int | None:
    """The nearest-rank percentile of values given as {value: how many}: the smallest value with at
    least `percent` per cent of all at or below it. None for no values."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(total * percent / 100))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable")


def forecast_yearly(committed_yearly: Decimal, pipeline_yearly: Decimal, approval_rate: Decimal,
                    amendment_ratio: Decimal) -> Decimal:
    """The year's spend: what is committed plus what the pipeline will probably add."""
    return pounds(committed_yearly + pipeline_yearly * approval_rate * amendment_ratio)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_ending(end: date, count: int) -> list[str]:
    """The `count` months up to and including `end`'s, oldest first."""
    year, month = end.year, end.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


# --- Building the report -----------------------------------------------------------------------------


def _money_figures(section: str, rows: Iterable[CommitmentRow | PipelineRow], weeks: int) -> list[Figure]:
    """Weekly, yearly and cases: the total, per body, per service, per request type, and per all three."""
    weekly: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    cases: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        for key in ((ALL, ALL, ALL), (row.body, ALL, ALL), (ALL, row.service, ALL), (ALL, ALL, row.request_type),
                    (row.body, row.service, row.request_type)):
            weekly[key] += row.weekly
            cases[key] += row.cases
    weekly.setdefault((ALL, ALL, ALL), Decimal(0))
    cases.setdefault((ALL, ALL, ALL), 0)
    figures = []
    for key in sorted(weekly):
        body, service, request_type = key
        figures += [
            Figure(section, "weekly", pounds(weekly[key]), body, service, request_type),
            Figure(section, "yearly", pounds(weekly[key] * weeks), body, service, request_type),
            Figure(section, "cases", Decimal(cases[key]), body, service, request_type),
        ]
    return figures


def _turnaround_figures(groups: Iterable[TurnaroundGroup], start: date, end: date, target: int,
                        working_days: Callable[[date, date], int]) -> list[Figure]:
    by_body: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for group in groups:
        if start <= group.decided_on <= end:
            days = working_days(group.submitted_on, group.decided_on)
            by_body[group.body][days] += group.count
            by_body[ALL][days] += group.count
    by_body.setdefault(ALL, defaultdict(int))
    figures = []
    for body in sorted(by_body):
        counts = by_body[body]
        total = sum(counts.values())
        within = sum(n for days, n in counts.items() if days <= target)
        median, p90 = nearest_rank(counts, 50), nearest_rank(counts, 90)
        figures += [Figure("turnaround", "decided", Decimal(total), body),
                    Figure("turnaround", "within_target", ratio(within, total), body)]
        if median is not None and p90 is not None:
            figures += [Figure("turnaround", "median_working_days", Decimal(median), body),
                        Figure("turnaround", "p90_working_days", Decimal(p90), body)]
    return figures


def _outcome_figures(groups: Iterable[DecisionGroup], body_kinds: dict[str, str]) -> list[Figure]:
    counts: dict[tuple[str, str, str], int] = defaultdict(int)  # (body, kind, outcome)
    decisions = delegated = resubmitted = 0
    for group in groups:
        counts[(ALL, group.kind, group.outcome)] += group.count
        counts[(group.body, group.kind, group.outcome)] += group.count
        if group.kind == "decision":
            decisions += group.count
            delegated += group.count if body_kinds.get(group.body) == "person" else 0
            resubmitted += group.count if group.resubmitted else 0
    figures = [Figure("outcomes", f"{kind}:{outcome}", Decimal(n), body)
               for (body, kind, outcome), n in sorted(counts.items())]
    deferred = counts.get((ALL, "decision", "deferred"), 0)
    figures += [
        Figure("outcomes", "decisions", Decimal(decisions)),
        Figure("outcomes", "delegated", Decimal(delegated)),
        Figure("outcomes", "delegated_share", ratio(delegated, decisions)),
        Figure("outcomes", "deferrals", Decimal(deferred)),
        Figure("outcomes", "resubmissions_decided", Decimal(resubmitted)),
    ]
    return figures


def _series(inputs: ReportInputs, working_days: Callable[[date, date], int]
            ) -> tuple[list[str], list[Decimal], list[Decimal | None]]:
    months = [change.month for change in inputs.months]
    running = inputs.committed_before
    committed = []
    for change in inputs.months:
        running += change.started - change.stopped
        committed.append(pounds(running))
    by_month: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for group in inputs.turnaround:
        by_month[month_of(group.decided_on)][working_days(group.submitted_on, group.decided_on)] += group.count
    medians = [None if (m := nearest_rank(by_month.get(month, {}), 50)) is None else Decimal(m) for month in months]
    return months, committed, medians


def build_report(inputs: ReportInputs, working_days: Callable[[date, date], int]) -> Report:
    """Every figure of the report from its inputs. `working_days(a, b)`: working days after a up to b."""
    weeks = inputs.weeks_per_year
    figures = _money_figures("committed", inputs.commitments, weeks)
    figures += _money_figures("pipeline", inputs.pipeline, weeks)
    history = inputs.history
    approval_rate = ratio(history.approvals, history.approvals + history.declines)
    amendment_ratio = ratio(history.agreed_weekly, history.proposed_weekly) if history.approvals else Decimal(1)
    committed_yearly = pounds(sum((row.weekly for row in inputs.commitments), Decimal(0)) * weeks)
    pipeline_yearly = pounds(sum((row.weekly for row in inputs.pipeline), Decimal(0)) * weeks)
    figures += [
        Figure("forecast", "approval_rate", approval_rate),
        Figure("forecast", "amendment_ratio", amendment_ratio),
        Figure("forecast", "yearly", forecast_yearly(committed_yearly, pipeline_yearly, approval_rate,
                                                     amendment_ratio)),
    ]
    figures += _turnaround_figures(inputs.turnaround, inputs.start, inputs.end, inputs.target_working_days,
                                   working_days)
    figures += _outcome_figures(inputs.decisions, inputs.body_kinds)
    figures += [Figure("follow_ons", "waiting", Decimal(n), body)
                for body, n in sorted(inputs.follow_ons_waiting.items())]
    figures.append(Figure("follow_ons", "waiting", Decimal(sum(inputs.follow_ons_waiting.values()))))
    drawn = sum(inputs.spot_checks.values())
    figures.append(Figure("spot_checks", "drawn", Decimal(drawn)))
    figures += [Figure("spot_checks", state, Decimal(inputs.spot_checks.get(state, 0)))
                for state in ("open", "agreed", "concern", "referred")]
    figures += [Figure("visits", "done", Decimal(inputs.visits_done)),
                Figure("visits", "on_time", Decimal(inputs.visits_on_time)),
                Figure("visits", "on_time_share", ratio(inputs.visits_on_time, inputs.visits_done))]
    months, committed, medians = _series(inputs, working_days)
    figures += [Figure("monthly", "committed_weekly", value, month=month) for month, value in zip(months, committed,
                                                                                                  strict=True)]
    figures += [Figure("monthly", "median_working_days", value, month=month)
                for month, value in zip(months, medians, strict=True) if value is not None]
    index = {(f.section, f.measure, f.body, f.service, f.request_type, f.month): f.value for f in figures}
    return Report(start=inputs.start, end=inputs.end, figures=tuple(figures), months=tuple(months),
                  committed_weekly_by_month=tuple(committed), median_turnaround_by_month=tuple(medians), index=index)


CSV_COLUMNS = ("period_start", "period_end", "section", "measure", "body", "service", "request_type", "month",
               "value")


def csv_rows(report: Report) -> Iterable[tuple[str, ...]]:
    """One row per figure: the same figures the screen shows, nothing else (no names, no free text)."""
    for f in report.figures:
        yield (report.start.isoformat(), report.end.isoformat(), f.section, f.measure, f.body, f.service,
               f.request_type, f.month, str(f.value))


class PeriodError(UserError, ValueError):
    """The period typed is not one panelbot understands; its refusal says what is."""


def parse_period(text: str, today: date) -> tuple[date, date]:
    """`2026-11` → that month; `2026` → that calendar year; `A..B` → A to B inclusive; "" → the 12
    months up to today. A period ending after today ends today."""
    text = text.strip()
    try:
        if not text:
            first_month = months_ending(today, 12)[0]
            start, end = date(int(first_month[:4]), int(first_month[5:]), 1), today
        elif ".." in text:
            left, _, right = text.partition("..")
            start, end = date.fromisoformat(left.strip()), date.fromisoformat(right.strip())
        elif len(text) == 4 and text.isdigit():
            start, end = date(int(text), 1, 1), date(int(text), 12, 31)
        elif len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:])
            start = date(year, month, 1)
            end = date(year + (month == 12), month % 12 + 1, 1).replace(day=1)
            end = date.fromordinal(end.toordinal() - 1)
        else:
            raise ValueError(text)
    except ValueError:
        raise PeriodError(Refusal.PERIOD_UNREADABLE) from None
    end = min(end, today)
    if end < start:
        raise PeriodError(Refusal.PERIOD_BACKWARDS)
    if (end - start).days > 3 * 366:
        raise PeriodError(Refusal.PERIOD_TOO_LONG)
    return start, end
