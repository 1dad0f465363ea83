"""Monitoring visits: provisions, placements, concerns, action plans, visits and their steps.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provision",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provision_type", sa.String(length=40), nullable=False),
        sa.Column("ofsted_rating", sa.String(length=30), nullable=True),
        sa.Column("rated_on", sa.Date(), nullable=True),
        sa.Column("contact", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provision")),
        sa.UniqueConstraint("name", name=op.f("uq_provision_name")),
    )
    op.create_table(
        "action_plan",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("provision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["provision_id"], ["provision.id"], name=op.f("fk_action_plan_provision_id_provision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan")),
    )
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_plan_provision_id"), ["provision_id"], unique=False)

    op.create_table(
        "concern",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("provision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("raised_by", sa.String(length=32), nullable=False),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["provision_id"], ["provision.id"], name=op.f("fk_concern_provision_id_provision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern")),
    )
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.create_index(
            "uq_concern_open",
            ["provision_id"],
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )

    op.create_table(
        "placement",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("provision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("child_reference", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("social_worker", sa.String(length=32), nullable=True),
        sa.Column("iro", sa.String(length=32), nullable=True),
        sa.Column("sen_officer", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["provision_id"], ["provision.id"], name=op.f("fk_placement_provision_id_provision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement")),
    )
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_child_reference"), ["child_reference"], unique=False)
        batch_op.create_index(batch_op.f("ix_placement_provision_id"), ["provision_id"], unique=False)

    op.create_table(
        "visit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("provision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("placement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("why", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("visitor", sa.String(length=32), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["placement_id"], ["placement.id"], name=op.f("fk_visit_placement_id_placement")),
        sa.ForeignKeyConstraint(["provision_id"], ["provision.id"], name=op.f("fk_visit_provision_id_provision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_provision_id"), ["provision_id"], unique=False)

    op.create_table(
        "visit_step",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("visit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("assignee", sa.String(length=32), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("finished_on", sa.Date(), nullable=True),
        sa.Column("finished_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_visit_step_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_step")),
        sa.UniqueConstraint("visit_id", "step", name="uq_visit_step_once"),
    )
    with op.batch_alter_table("visit_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_step_visit_id"), ["visit_id"], unique=False)

    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
        batch_op.alter_column("case_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_reminder_visit_id"), ["visit_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_reminder_visit_id_visit"), "visit", ["visit_id"], ["id"])


def downgrade() -> None:
    # Reminders about visits have no case; they go with the visits.
    op.execute("DELETE FROM reminder WHERE case_id IS NULL")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reminder_visit_id_visit"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_reminder_visit_id"))
        batch_op.alter_column("case_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("visit_id")

    with op.batch_alter_table("visit_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_step_visit_id"))

    op.drop_table("visit_step")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_provision_id"))
        batch_op.drop_index(batch_op.f("ix_visit_due_on"))

    op.drop_table("visit")
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placement_provision_id"))
        batch_op.drop_index(batch_op.f("ix_placement_child_reference"))

    op.drop_table("placement")
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_concern_open", sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL")
        )

    op.drop_table("concern")
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_plan_provision_id"))

    op.drop_table("action_plan")
    op.drop_table("provision")
