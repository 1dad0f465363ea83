"""SQLAlchemy models. Every timestamp is an aware UTC datetime (see `UTCDateTime`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.types import UTCDateTime

# Named constraints so Alembic migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Audit(Base):
    """One row per state change: who, acting for whom, what, before/after, when (UTC).

    Append-only: the migration adds triggers that refuse UPDATE and DELETE on both backends.
    Rows carry case references, amounts and stages, never names or free text.
    """

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))  # Slack user ID, or "panelbot" for the system
    on_behalf_of: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class Delivery(Base):
    """A request or action already handled, by its idempotency key.

    Slack retries deliveries and people double-click; the unique key makes the second one a no-op
    inside the same transaction as the work it guards.
    """

    __tablename__ = "delivery"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime]
