"""Cases (one open per case reference) and the outbox of messages owed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("submission_key", sa.String(length=100), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("request_type", sa.String(length=32), nullable=False),
        sa.Column("proposed_weekly", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("ras_weekly", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("current_weekly", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("hours_per_month", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("respite_weeks_per_year", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("urgent_reason", sa.Text(), nullable=True),
        sa.Column("strengths_and_needs", sa.Text(), nullable=False),
        sa.Column("outcomes", sa.Text(), nullable=False),
        sa.Column("alternatives", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("record_link", sa.String(length=500), nullable=True),
        sa.Column("submitter", sa.String(length=32), nullable=False),
        sa.Column("team_manager", sa.String(length=32), nullable=False),
        sa.Column("attendee", sa.String(length=32), nullable=True),
        sa.Column("route", sa.String(length=32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("then", sa.JSON(), nullable=False),
        sa.Column("practitioner_must_attend", sa.Boolean(), nullable=False),
        sa.Column("attendance", sa.JSON(), nullable=False),
        sa.Column("evidence_required", sa.JSON(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("panel_day", sa.Date(), nullable=True),
        sa.Column("panel_starts_at", UTCDateTime(), nullable=True),
        sa.Column("panel_location", sa.String(length=64), nullable=True),
        sa.Column("papers_due", sa.Date(), nullable=True),
        sa.Column("panel_late_for", sa.Date(), nullable=True),
        sa.Column("card_channel", sa.String(length=32), nullable=True),
        sa.Column("card_ts", sa.String(length=32), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_cases_submission_key")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_attendee"), ["attendee"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_submitter"), ["submitter"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_team_manager"), ["team_manager"], unique=False)
        batch_op.create_index(
            "uq_case_open_reference",
            ["reference"],
            unique=True,
            sqlite_where=sa.text("is_open"),
            postgresql_where=sa.text("is_open"),
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("sent_channel", sa.String(length=32), nullable=True),
        sa.Column("sent_ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_outbox_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_outbox_due", ["state", "not_before"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index(batch_op.f("ix_outbox_case_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_case_open_reference", sqlite_where=sa.text("is_open"), postgresql_where=sa.text("is_open")
        )
        batch_op.drop_index(batch_op.f("ix_cases_team_manager"))
        batch_op.drop_index(batch_op.f("ix_cases_submitter"))
        batch_op.drop_index(batch_op.f("ix_cases_attendee"))

    op.drop_table("cases")
