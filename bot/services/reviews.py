"""Reviewing an agreed package: `/panel review <ref>` (seed 001: has the person's quality of life
improved?). The next review is scheduled from it; a change goes to the panel for ratification."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.cases import CaseView, Stage, can_move, is_open
from bot.domain.reminders import PackageAfterReview, QualityOfLife, ReminderKind, ReviewRecorded
from bot.domain.routing import FollowOn, RequestType, Service
from bot.errors import UserError
from bot.notify import Notice
from bot.refusals import Refusal
from bot.services import Services
from bot.services.outbox import queue_card_updates
from bot.services.reminders import on_follow_up, withdraw
from bot.services.views import view_of
from store.audit import record_audit
from store.models import Case, Decision, FollowUp, Review

AGREED = (Stage.APPROVED, Stage.APPROVED_WITH_CHANGES, Stage.ENDORSED, Stage.RATIFIED)


class ReviewRefused(UserError):
    """The review cannot be recorded; its code says why."""


def _reviewable(services: Services, row: Case | None, user: str) -> Case:
    if row is None:
        raise ReviewRefused(Refusal.NO_CASE)
    if user not in (row.submitter, row.attendee, row.team_manager):
        raise ReviewRefused(Refusal.REVIEW_NOT_YOURS, reference=row.reference)
    if Stage(row.stage) not in AGREED:
        raise ReviewRefused(Refusal.NOTHING_TO_REVIEW, reference=row.reference, stage=Stage(row.stage))
    return row


def start_review(services: Services, reference: str, user: str) -> CaseView:
    """The case for the review form; raises ReviewRefused."""
    with services.sessions() as session:
        row = session.scalars(select(Case).where(Case.reference == reference).order_by(Case.id.desc())).first()
        return view_of(services, _reviewable(services, row, user), full=True)


def _agreed(session: Session, row: Case) -> Decimal:
    """The weekly amount last agreed for the case: an amendment, else what was proposed."""
    amended = session.scalars(select(Decision.amended_weekly).where(
        Decision.case_id == row.id, Decision.amended_weekly.is_not(None)).order_by(Decision.id.desc())).first()
    return amended if amended is not None else row.proposed_weekly


def ratifying_body(services: Services, row: Case) -> str | None:
    """Where a change found at a review is ratified: the body of the first routing rule that ratifies
    changes for this service (None: the policy asks for no ratification, e.g. adults' packages)."""
    for rule in services.policy.routing.rules:
        service = rule.when.service
        if rule.ratify_changes_at is not None and (service is None or Service(row.service) in service):
            return rule.ratify_changes_at
    return None


def next_review_on(services: Services, service: Service, reviewed_on: date) -> date:
    months = services.policy.reviews.send_review_months if service is Service.CHILDREN_SEND else \
        services.policy.reminders.adults_review_months
    return reviewed_on + relativedelta(months=months)


def record_review(services: Services, case_id: int, user: str, quality: QualityOfLife, package: PackageAfterReview,
                  notes: str | None, *, new_weekly: Decimal | None = None) -> ReviewRecorded:
    """Record the review, close its follow-up and reminder, and schedule what comes next. A package
    that changes takes its new weekly cost (`new_weekly`), so a ratification decides that amount."""
    now = services.now()
    today = services.calendar.local_date(now)
    with services.sessions.begin() as session:
        # Locked (PostgreSQL): a second press waits for the first, then finds its review.
        row = _reviewable(services, session.get(Case, case_id, with_for_update=True), user)
        earlier = session.execute(select(Review.reviewed_by, Review.reviewed_at).where(Review.case_id == row.id)
                                  .order_by(Review.id.desc())).first()
        if earlier is not None and services.calendar.local_date(earlier.reviewed_at) == today:
            # One review a day: a repeated press or a retried delivery records nothing again.
            raise ReviewRefused(Refusal.REVIEW_RECORDED_TODAY, reference=row.reference, person=earlier.reviewed_by,
                                at=earlier.reviewed_at)
        due = session.scalars(select(FollowUp).where(FollowUp.case_id == row.id, FollowUp.kind == "review",
                                                      FollowUp.done_at.is_(None)).order_by(FollowUp.due_on)).first()
        if due is not None:
            due.done_at = now
            withdraw(session, row.id, [ReminderKind.REVIEW_DUE], now, about_id=due.id)
        session.add(Review(case_id=row.id, follow_up_id=due.id if due else None, quality_of_life=quality,
                           package=package, notes=notes, reviewed_by=user, reviewed_at=now))
        before = row.stage
        next_on = None
        if package is PackageAfterReview.ENDS:
            row.stage = Stage.ENDED
            withdraw(session, row.id, list(ReminderKind), now)
        else:
            next_on = next_review_on(services, Service(row.service), today)
            taken = set(session.scalars(select(FollowUp.due_on).where(FollowUp.case_id == row.id,
                                                                      FollowUp.kind == "review")).all())
            while next_on in taken:  # reviewed early, on the day the next one would fall: the one after
                next_on = next_review_on(services, Service(row.service), next_on)
            follow_up = FollowUp(case_id=row.id, round=row.round, kind="review", due_on=next_on,
                                 why="the next review", created_at=now)
            session.add(follow_up)
            session.flush()
            on_follow_up(services, session, row, follow_up, now)
            ratifier = ratifying_body(services, row)
            if package is PackageAfterReview.CHANGES and ratifier is not None and \
                    can_move(Stage(row.stage), Stage.AWAITING_RATIFICATION):
                # A change up or down is ratified where the policy says (seed 000, stage 5: the SEND
                # panel): a new round, so the ratification is one decision of its own.
                row.stage = Stage.AWAITING_RATIFICATION
                row.round += 1
                if new_weekly is not None and new_weekly != row.proposed_weekly:
                    agreed = _agreed(session, row)
                    row.current_weekly, row.proposed_weekly = agreed, new_weekly
                    row.request_type = RequestType.INCREASE if new_weekly > agreed else RequestType.DECREASE
                row.follow_on_body = ratifier
                row.then = [*row.then, FollowOn.RATIFICATION] if FollowOn.RATIFICATION not in row.then else row.then
        row.is_open, row.updated_at = is_open(Stage(row.stage)), now
        record_audit(session, at=now, actor=user, action="case.reviewed", subject_type="case", subject_id=row.reference,
                     before={"stage": before}, after={"stage": row.stage, "quality_of_life": quality,
                                                      "package": package,
                                                      "next_review": next_on.isoformat() if next_on else None})
        queue_card_updates(services, session, row, now, f"{Notice.CARD_UPDATE}:{row.id}:review:{now.isoformat()}")
        return ReviewRecorded(case_id=row.id, reference=row.reference, quality_of_life=quality, package=package,
                              next_review_on=next_on)
