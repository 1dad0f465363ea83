"""Spot checks of delegated decisions, and narrow indexes for reports over cases and decisions.

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "spot_check",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("decision_id", BigId, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("draw", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("drawn_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=32), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("checked_by", sa.String(length=32), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_spot_check_case_id_cases")),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"], name=op.f("fk_spot_check_decision_id_decision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_spot_check_decision_id")),
    )
    op.create_index(op.f("ix_spot_check_case_id"), "spot_check", ["case_id"], unique=False)
    op.create_index("ix_spot_check_state", "spot_check", ["state", "drawn_at"], unique=False)
    op.create_index("ix_decision_report", "decision",
                    ["decided_at", "kind", "outcome", "case_id", "round", "amended_weekly"], unique=False)
    # Reports find the package a renewal replaced (`renews_case_id`) for every case they read.
    op.create_index(op.f("ix_cases_renews_case_id"), "cases", ["renews_case_id"], unique=False)
    op.create_index("ix_cases_report", "cases", ["id", "route", "service", "request_type", "stage", "proposed_weekly",
                                                 "current_weekly", "submitted_at", "updated_at", "follow_on_body"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_report", table_name="cases")
    op.drop_index(op.f("ix_cases_renews_case_id"), table_name="cases")
    op.drop_index("ix_decision_report", table_name="decision")
    op.drop_index("ix_spot_check_state", table_name="spot_check")
    op.drop_index(op.f("ix_spot_check_case_id"), table_name="spot_check")
    op.drop_table("spot_check")
