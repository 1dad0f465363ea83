"""The append-only audit trail and the idempotency keys that guard it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Audit, Delivery

SYSTEM_ACTOR = "panelbot"


def record_audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
) -> Audit:
    """Add one audit row to the caller's transaction (it commits or rolls back with the change)."""
    row = Audit(
        at=at,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
    )
    session.add(row)
    return row


def claim_delivery(session: Session, key: str, at: datetime) -> bool:
    """Claim an idempotency key inside the caller's transaction.

    Returns False when the key was claimed before (a retried delivery, a double click, a replay):
    the caller then does nothing. The primary key decides, so two concurrent claims on PostgreSQL
    or SQLite give exactly one True.
    """
    try:
        with session.begin_nested():
            session.add(Delivery(key=key[:200], at=at))
        return True
    except IntegrityError:
        return False
