"""Deciding bodies as data: the tier that decides a case, the body that endorses or ratifies it, cases
carried to the next sitting, resubmissions linked to the package they renew, bookings per meeting
body, and who was present at a panel sitting (quorum).

Cases routed under the old built-in routes keep their history: the shipped policy names its bodies
after them ("delegated", "forum", "send_panel", "urgent"), so `cases.route` already holds a body.
A case waiting for endorsement or ratification gets the body that was implied before: the SEND
panel for children's SEND, the forum for adults.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier_role", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("follow_on_body", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("carried_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("renews_case_id", BigId, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_cases_renews_case_id_cases"), "cases", ["renews_case_id"], ["id"])
    op.execute("UPDATE cases SET follow_on_body = CASE WHEN service = 'children_send' THEN 'send_panel' "
               "ELSE 'forum' END WHERE CAST(\"then\" AS TEXT) NOT IN ('[]', 'null')")
    # A case waiting on a follow-on no longer holds its reference (a correction may be submitted).
    op.execute(sa.text("UPDATE cases SET is_open = :no WHERE stage IN ('awaiting_endorsement', "
                       "'awaiting_ratification')").bindparams(no=False))
    op.execute("UPDATE cases SET tier_role = 'team_managers' WHERE route = 'delegated'")
    op.execute("UPDATE cases SET tier_role = 'operations_managers' WHERE route = 'urgent'")

    with op.batch_alter_table("forum_booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.String(length=32), nullable=False, server_default="forum"))
        batch_op.drop_index("uq_forum_booking_live_slot")
        batch_op.create_index("uq_forum_booking_live_slot", ["body", "starts_at"], unique=True,
                              sqlite_where=sa.text("cancelled_at IS NULL"),
                              postgresql_where=sa.text("cancelled_at IS NULL"))

    op.create_table(
        "sitting_attendance",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("body", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sitting_attendance")),
        sa.UniqueConstraint("body", "day", "person", name="uq_sitting_attendance_once"),
    )


def downgrade() -> None:
    op.drop_table("sitting_attendance")
    with op.batch_alter_table("forum_booking", schema=None) as batch_op:
        batch_op.drop_index("uq_forum_booking_live_slot")
        batch_op.create_index("uq_forum_booking_live_slot", ["starts_at"], unique=True,
                              sqlite_where=sa.text("cancelled_at IS NULL"),
                              postgresql_where=sa.text("cancelled_at IS NULL"))
        batch_op.drop_column("body")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_renews_case_id_cases"), type_="foreignkey")
        batch_op.drop_column("renews_case_id")
        batch_op.drop_column("carried_from")
        batch_op.drop_column("follow_on_body")
        batch_op.drop_column("tier_role")
