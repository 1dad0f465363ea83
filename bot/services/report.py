"""The report's figures, aggregated by the database and assembled by `bot.domain.report`.

`report_for` checks that the person holds one of the policy's reporter roles; `export_csv` is for
analysts at the command line (their access is the database's). Both build the same `Report`, so the
screen, the chart and the CSV show the same figures.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
from bot.refusals import Refusal
from bot.services import Services
from store.models import Case, Decision, SpotCheck, Visit

ENDING = ("ended", "withdrawn", "not_endorsed", "not_ratified")
FOLLOW_ON = ("awaiting_endorsement", "awaiting_ratification")
CHART_MONTHS = 12
QUERIES = 8  # steps of `gather`, for the progress bar


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
    current = _minutes_ahead(at, tz)
    since = at
    while at < stop:
        at += timedelta(hours=1)
        offset = _minutes_ahead(at, tz)
        if offset != current or at >= stop:
            if current:
                spans.append((since, at, current))
            since, current = at, offset
    return tuple(spans)


def _minutes_ahead(at: datetime, tz: ZoneInfo) -> int:
    # An aware time in a zone always has an offset; `utcoffset()` is typed for naive ones too.
    return int((at.astimezone(tz).utcoffset() or timedelta(0)).total_seconds() // 60)


def local_day(services: Services, session: Session, column: Any, first_year: int, last_year: int) -> Any:
    """SQL for the council's local date of a UTC timestamp column. PostgreSQL knows time zones; SQLite
    stores naive UTC, so the zone's offsets for the years asked are written into the expression."""
    zone = str(services.policy.council.tz)
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(zone, column))
    spans = _offsets(zone, first_year, last_year)
    if not spans:
        return func.date(column)
    # Latest first: most rows are recent, and CASE stops at the first span that holds.
    shift = case(*((and_(column >= start, column < end), literal(f"+{minutes} minutes")) for start, end, minutes
                   in reversed(spans)), else_=literal("+0 minutes"))
    return func.date(column, shift)


def _whole_table(column: Any) -> Any:
    """The column, hidden from the planner: a condition that holds for nearly every row ("decided
    before the end of the period") is quicker as a scan than through the column's index, which SQLite,
    without statistics, would otherwise use."""
    return func.coalesce(column, column)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _money(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def gather(services: Services, start: date, end: date, step: Callable[[], None] = lambda: None) -> ReportInputs:
    """Everything the report needs, in nine aggregate queries (no per-case rows in Python), run as two
    halves on two connections at once: those over all time, and those over the period and the chart."""
    calendar, policy = services.calendar, services.policy
    months = months_ending(end, CHART_MONTHS)
    chart_start = date(int(months[0][:4]), int(months[0][5:]), 1)
    window = min(start, chart_start)
    start_at, end_at = calendar.instant(start, time()), calendar.instant(end + timedelta(days=1), time())
    chart_at = calendar.instant(chart_start, time())
    years = (window.year - 4, end.year + 1)  # submissions of cases decided in the window may be older
    recent = (window.year, end.year + 1)  # for timestamps the query keeps at or after the window's start
    agreed = func.coalesce(Decision.amended_weekly, Case.proposed_weekly)
    current = case((Case.request_type.in_(CHANGES), func.coalesce(Case.current_weekly, 0)), else_=0)
    delta = agreed - current
    is_agreement = and_(Decision.kind == "decision", Decision.outcome.in_(AGREEING))
    joined = select().select_from(Decision).join(Case, Case.id == Decision.case_id)
    renewal, renewal_decision = aliased(Case), aliased(Decision)

    def renewed_before(at: datetime) -> Any:
        """The packages a renewal agreed before `at` replaced (a SEND resubmission renews its package).
        Renewals are few: the query starts from them (an index) and looks up each one's decision."""
        agreed_in_time = exists().where(renewal_decision.case_id == renewal.id, renewal_decision.kind == "decision",
                                        renewal_decision.outcome.in_(AGREEING), renewal_decision.decided_at < at)
        return select(renewal.renews_case_id).where(renewal.renews_case_id.is_not(None), agreed_in_time)

    def over_all_time(session: Session) -> dict[str, Any]:
        # One pass over every approval and decline to the end: commitments in force at the end and at
        # the chart's start, and the history the forecast's rates come from.
        ends_at_end = and_(Case.stage.in_(ENDING), Case.updated_at < end_at)
        ends_before_chart = and_(Case.stage.in_(ENDING), Case.updated_at < chart_at)
        agreeing = Decision.outcome.in_(AGREEING)
        in_force_at_end = and_(agreeing, not_(ends_at_end), Case.id.not_in(renewed_before(end_at)))
        in_force_at_chart = and_(agreeing, Decision.decided_at < chart_at, not_(ends_before_chart),
                                 Case.id.not_in(renewed_before(chart_at)))
        commitments: list[CommitmentRow] = []
        committed_before = Decimal(0)
        approvals = declines = 0
        agreed_total = proposed_total = Decimal(0)
        for route, service, request_type, outcome, n, agreed_sum, proposed_sum, in_force, in_force_n, before in \
                session.execute(joined.add_columns(
                    Case.route, Case.service, Case.request_type, Decision.outcome, func.count(), func.sum(agreed),
                    func.sum(Case.proposed_weekly), func.sum(case((in_force_at_end, delta), else_=0)),
                    func.sum(case((in_force_at_end, 1), else_=0)),
                    func.sum(case((in_force_at_chart, delta), else_=0)))
                    .where(Decision.kind == "decision", Decision.outcome.in_(FINAL),
                           _whole_table(Decision.decided_at) < end_at)
                    .group_by(Case.route, Case.service, Case.request_type, Decision.outcome)):
            if outcome in AGREEING:
                approvals += int(n)
                agreed_total += _money(agreed_sum)
                proposed_total += _money(proposed_sum)
                if int(in_force_n or 0):
                    commitments.append(CommitmentRow(route, service, request_type, _money(in_force),
                                                     int(in_force_n)))
                committed_before += _money(before)
            else:
                declines += int(n)
        step()
        ended_day = local_day(services, session, Case.updated_at, *recent)
        stopped: dict[str, Decimal] = defaultdict(Decimal)
        for day, amount in session.execute(
                joined.add_columns(ended_day, func.sum(delta))
                .where(is_agreement, Case.stage.in_(ENDING), Case.updated_at >= chart_at, Case.updated_at < end_at,
                       Decision.decided_at < Case.updated_at,
                       Case.id.not_in(renewed_before(end_at)))  # counted with the renewals below
                .group_by(ended_day)):
            stopped[month_of(_day(day))] += _money(amount)
        # A package renewed (a SEND resubmission agreed) stops when its renewal is agreed, or when it
        # ended, if that was first.
        stop_at = case((and_(Case.stage.in_(ENDING), Case.updated_at < renewal_decision.decided_at), Case.updated_at),
                       else_=renewal_decision.decided_at)
        stop_day = local_day(services, session, stop_at, *recent)
        renewed = session.scalars(renewed_before(end_at)).all()  # few: most councils renew a few a month
        for start_of in range(0, len(renewed), 1000):
            for day, amount in session.execute(
                    joined.add_columns(stop_day, func.sum(delta))
                    .join(renewal, renewal.renews_case_id == Case.id)
                    .join(renewal_decision, renewal_decision.case_id == renewal.id)
                    .where(is_agreement, Case.id.in_(renewed[start_of:start_of + 1000]),
                           renewal_decision.kind == "decision", renewal_decision.outcome.in_(AGREEING),
                           renewal_decision.decided_at < end_at, stop_at >= chart_at, stop_at < end_at)
                    .group_by(stop_day)):
                stopped[month_of(_day(day))] += _money(amount)
        step()
        final = aliased(Decision)
        proposed = Case.proposed_weekly - current
        pipeline = [PipelineRow(r[0], r[1], r[2], _money(r[3]), int(r[4])) for r in session.execute(
            select(Case.route, Case.service, Case.request_type, func.sum(proposed), func.count())
            .where(Case.submitted_at < end_at,
                   not_(and_(Case.stage == "withdrawn", Case.updated_at < end_at)),
                   # NOT IN (a hashed subplan on PostgreSQL), not a correlated NOT EXISTS: the latter's
                   # plan goes quadratic on a table the planner has no statistics for yet.
                   Case.id.not_in(select(final.case_id).where(final.kind == "decision", final.outcome.in_(FINAL),
                                                              _whole_table(final.decided_at) < end_at)))
            .group_by(Case.route, Case.service, Case.request_type))]
        step()
        return dict(commitments=commitments, pipeline=pipeline, committed_before=committed_before, stopped=stopped,
                    history=History(approvals, declines, agreed_total, proposed_total))

    def over_the_window(session: Session) -> dict[str, Any]:
        decided_day = local_day(services, session, Decision.decided_at, *recent)
        started: dict[str, Decimal] = defaultdict(Decimal)
        for day, amount in session.execute(
                joined.add_columns(decided_day, func.sum(delta))
                .where(is_agreement, Decision.decided_at >= chart_at, Decision.decided_at < end_at)
                .group_by(decided_day)):
            started[month_of(_day(day))] += _money(amount)
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
        return dict(started=started, decisions=decisions, turnaround=turnaround, follow_ons=follow_ons,
                    spot_checks=spot_checks, visits_done=int(done or 0), visits_on_time=int(on_time or 0))

    def on_its_own_connection(part: Callable[[Session], dict[str, Any]]) -> dict[str, Any]:
        with services.sessions() as session:
            return part(session)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="report") as pool:
        first, second = pool.map(on_its_own_connection, (over_all_time, over_the_window))
    started, stopped = second["started"], first["stopped"]
    return ReportInputs(
        start=start, end=end, weeks_per_year=policy.routing.weeks_per_year,
        target_working_days=policy.spot_checks.target_working_days,
        body_kinds={key: str(b.kind) for key, b in policy.bodies.items()},
        commitments=first["commitments"], pipeline=first["pipeline"], decisions=second["decisions"],
        turnaround=second["turnaround"], history=first["history"], committed_before=first["committed_before"],
        months=[MonthChange(month, started.get(month, Decimal(0)), stopped.get(month, Decimal(0))) for month in months],
        follow_ons_waiting=second["follow_ons"], spot_checks=second["spot_checks"],
        visits_done=second["visits_done"], visits_on_time=second["visits_on_time"])


def build(services: Services, start: date, end: date, step: Callable[[], None] = lambda: None) -> Report:
    inputs = gather(services, start, end, step)
    working_days = lru_cache(maxsize=None)(services.calendar.working_days_between)
    return build_report(inputs, working_days)


def report_for(services: Services, user: str, start: date, end: date) -> Report:
    """The report for a holder of one of the policy's reporter roles. Raises ReportRefused."""
    if not may_report(services, user):
        raise ReportRefused(Refusal.REPORTS_NOT_YOURS)
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
