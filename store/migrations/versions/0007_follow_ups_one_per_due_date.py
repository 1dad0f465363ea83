"""Follow-ups: one per case, kind and due date (a case is reviewed again after every review).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_follow_up_once"), type_="unique")
        batch_op.create_unique_constraint("uq_follow_up_due", ["case_id", "kind", "due_on"])


def downgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint("uq_follow_up_due", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_follow_up_once"), ["case_id", "round", "kind"])
