"""The report's figures, aggregated by the database and assembled by `bot.domain.report`.

`report_for` checks that the person holds one of the policy's reporter roles; `export_csv` is for
analysts at the command line (their access is the database's). Both build the same `Report`, so the
screen, the chart and the CSV show the same figures.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, not_, select
from sqlalchemy.orm import Session, aliased

from bot.domain.report import (
    AGREEING,
    CHANGES,
    CSV_COLUMNS,
    FINAL,
    CommitmentRow,
    DecisionGroup,
    History,
    MonthChange,
    PipelineRow,
    Report,
    ReportInputs,
    TurnaroundGroup,
    build_report,
    csv_rows,
    month_of,
    months_ending,
)
from bot.errors import UserError
from bot.services import Services
from store.models import Case, Decision, SpotCheck, Visit

ENDING = ("ended", "withdrawn", "not_endorsed", "not_ratified")
FOLLOW_ON = ("awaiting_endorsement", "awaiting_ratification")
CHART_MONTHS = 12
QUERIES = 10  # steps of `gather`, for the progress bar


class ReportRefused(UserError):
    """The person may not see reports."""


def may_report(services: Services, user: str) -> bool:
    return any(services.holds_role(user, role) for role in services.policy.spot_checks.reporters)


@lru_cache(maxsize=16)
def _offsets(zone: str, first_year: int, last_year: int) -> tuple[tuple[datetime, datetime, int], ...]:
    """(from, to, minutes) UTC spans in which the zone is `minutes` ahead of UTC (non-zero only)."""
    tz = ZoneInfo(zone)
    spans: list[tuple[datetime, datetime, int]] = []
    at = datetime(first_year, 1, 1, tzinfo=UTC)
    stop = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    current = int(at.astimezone(tz).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    since = at
    while at < stop:
        at += timedelta(hours=1)
        offset = int(at.astimezone(tz).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
        if offset != current or at >= stop:
            if current:
                spans.append((since, at, current))
            since, current = at, offset
    return tuple(spans)


def local_day(services: Services, session: Session, column: Any, first_year: int, last_year: int) -> Any:
    """SQL for the council's local date of a UTC timestamp column. PostgreSQL knows time zones; SQLite
    stores naive UTC, so the zone's offsets for the years asked are written into the expression."""
    zone = str(services.policy.council.tz)
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(zone, column))
    spans = _offsets(zone, first_year, last_year)
    if not spans:
        return func.date(column)
    shift = case(*((and_(column >= start, column < end), literal(f"+{minutes} minutes")) for start, end, minutes
                   in spans), else_=literal("+0 minutes"))
    return func.date(column, shift)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _money(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def gather(services: Services, session: Session, start: date, end: date,
           step: Callable[[], None] = lambda: None) -> ReportInputs:
    """Everything the report needs, in ten aggregate queries (no per-case rows in Python)."""
    calendar, policy = services.calendar, services.policy
    months = months_ending(end, CHART_MONTHS)
    chart_start = date(int(months[0][:4]), int(months[0][5:]), 1)
    window = min(start, chart_start)
    start_at, end_at = calendar.instant(start, time()), calendar.instant(end + timedelta(days=1), time())
    chart_at = calendar.instant(chart_start, time())
    years = (window.year - 4, end.year + 1)  # submissions of cases decided in the window may be older
    agreed = func.coalesce(Decision.amended_weekly, Case.proposed_weekly)
    current = case((Case.request_type.in_(CHANGES), func.coalesce(Case.current_weekly, 0)), else_=0)
    delta = agreed - current
    is_agreement = and_(Decision.kind == "decision", Decision.outcome.in_(AGREEING))

    def in_force_at(at: datetime) -> Any:
        return and_(is_agreement, Decision.decided_at < at, not_(and_(Case.stage.in_(ENDING), Case.updated_at < at)))

    joined = select().select_from(Decision).join(Case, Case.id == Decision.case_id)

    commitments = [CommitmentRow(r[0], r[1], r[2], _money(r[3]), int(r[4])) for r in session.execute(
        joined.add_columns(Case.route, Case.service, Case.request_type, func.sum(delta), func.count())
        .where(in_force_at(end_at)).group_by(Case.route, Case.service, Case.request_type))]
    step()
    committed_before = _money(session.scalar(joined.add_columns(func.sum(delta)).where(in_force_at(chart_at))))
    step()
    decided_day = local_day(services, session, Decision.decided_at, *years)
    started: dict[str, Decimal] = defaultdict(Decimal)
    for day, amount in session.execute(
            joined.add_columns(decided_day, func.sum(delta))
            .where(is_agreement, Decision.decided_at >= chart_at, Decision.decided_at < end_at).group_by(decided_day)):
        started[month_of(_day(day))] += _money(amount)
    step()
    ended_day = local_day(services, session, Case.updated_at, *years)
    stopped: dict[str, Decimal] = defaultdict(Decimal)
    for day, amount in session.execute(
            joined.add_columns(ended_day, func.sum(delta))
            .where(is_agreement, Case.stage.in_(ENDING), Case.updated_at >= chart_at, Case.updated_at < end_at,
                   Decision.decided_at < Case.updated_at).group_by(ended_day)):
        stopped[month_of(_day(day))] += _money(amount)
    step()
    final = aliased(Decision)
    proposed = Case.proposed_weekly - current
    pipeline = [PipelineRow(r[0], r[1], r[2], _money(r[3]), int(r[4])) for r in session.execute(
        select(Case.route, Case.service, Case.request_type, func.sum(proposed), func.count())
        .where(Case.submitted_at < end_at,
               not_(and_(Case.stage == "withdrawn", Case.updated_at < end_at)),
               ~exists().where(final.case_id == Case.id, final.kind == "decision", final.outcome.in_(FINAL),
                               final.decided_at < end_at))
        .group_by(Case.route, Case.service, Case.request_type))]
    step()
    body = case((Decision.kind == "decision", Case.route), else_=func.coalesce(Case.follow_on_body, Case.route))
    resubmitted = Decision.round > 1
    decisions = [DecisionGroup(r[0], r[1], r[2], bool(r[3]), int(r[4])) for r in session.execute(
        joined.add_columns(body, Decision.kind, Decision.outcome, resubmitted, func.count())
        .where(Decision.decided_at >= start_at, Decision.decided_at < end_at)
        .group_by(body, Decision.kind, Decision.outcome, resubmitted))]
    step()
    submitted_day = local_day(services, session, Case.submitted_at, *years)
    window_at = calendar.instant(window, time())
    turnaround = [TurnaroundGroup(r[0], _day(r[1]), _day(r[2]), int(r[3])) for r in session.execute(
        joined.add_columns(Case.route, submitted_day, decided_day, func.count())
        .where(Decision.kind == "decision", Decision.outcome.in_(FINAL), Decision.decided_at >= window_at,
               Decision.decided_at < end_at)
        .group_by(Case.route, submitted_day, decided_day))]
    step()
    approvals = declines = 0
    agreed_total = proposed_total = Decimal(0)
    for outcome, n, agreed_sum, proposed_sum in session.execute(
            joined.add_columns(Decision.outcome, func.count(), func.sum(agreed), func.sum(Case.proposed_weekly))
            .where(Decision.kind == "decision", Decision.outcome.in_(FINAL), Decision.decided_at < end_at)
            .group_by(Decision.outcome)):
        if outcome in AGREEING:
            approvals += int(n)
            agreed_total += _money(agreed_sum)
            proposed_total += _money(proposed_sum)
        else:
            declines += int(n)
    step()
    follow_ons = {str(r[0]): int(r[1]) for r in session.execute(
        select(func.coalesce(Case.follow_on_body, Case.route), func.count()).where(Case.stage.in_(FOLLOW_ON))
        .group_by(func.coalesce(Case.follow_on_body, Case.route)))}
    spot_checks = {str(r[0]): int(r[1]) for r in session.execute(
        select(SpotCheck.state, func.count()).where(SpotCheck.drawn_at >= start_at, SpotCheck.drawn_at < end_at)
        .group_by(SpotCheck.state))}
    step()
    done, on_time = session.execute(
        select(func.count(), func.sum(case((Visit.done_on <= Visit.due_on, 1), else_=0)))
        .where(Visit.state == "done", Visit.done_on >= start, Visit.done_on <= end)).one()
    step()
    return ReportInputs(
        start=start, end=end, weeks_per_year=policy.routing.weeks_per_year,
        target_working_days=policy.spot_checks.target_working_days,
        body_kinds={key: str(b.kind) for key, b in policy.bodies.items()},
        commitments=commitments, pipeline=pipeline, decisions=decisions, turnaround=turnaround,
        history=History(approvals, declines, agreed_total, proposed_total), committed_before=committed_before,
        months=[MonthChange(month, started.get(month, Decimal(0)), stopped.get(month, Decimal(0))) for month in months],
        follow_ons_waiting=follow_ons, spot_checks=spot_checks, visits_done=int(done or 0),
        visits_on_time=int(on_time or 0))


def build(services: Services, start: date, end: date, step: Callable[[], None] = lambda: None) -> Report:
    with services.sessions() as session:
        inputs = gather(services, session, start, end, step)
    working_days = lru_cache(maxsize=None)(services.calendar.working_days_between)
    return build_report(inputs, working_days)


def report_for(services: Services, user: str, start: date, end: date) -> Report:
    """The report for a holder of one of the policy's reporter roles. Raises ReportRefused."""
    if not may_report(services, user):
        raise ReportRefused("Only the people the council's policy names for reports can see them.")
    return build(services, start, end)


def export_csv(services: Services, path: Path, start: date, end: date, *, progress: Any = None) -> Report:
    """Write the report's figures to `path` as CSV. `progress`: a tqdm-like bar (update(n), total)."""
    def step() -> None:
        if progress is not None:
            progress.update(1)

    report = build(services, start, end, step)
    if progress is not None:
        progress.total = QUERIES + len(report.figures)
        progress.refresh()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in csv_rows(report):
            writer.writerow(row)
            step()
    return report
