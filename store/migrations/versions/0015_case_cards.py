"""A case's cards, one per channel: a body may post its case cards in a Slack channel and a Teams
channel both. `cases.card_channel` and `cases.card_ts` (one card per case) move into `case_cards`.

Upgrading copies each case's card into `case_cards`, then drops the two columns (SQLite copies the
table in batch mode; PostgreSQL drops them in place). Downgrading keeps one card per case, the first
posted, and refuses while a case has cards in two channels: the earlier schema cannot hold them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SURFACE_ID = 255


def upgrade() -> None:
    op.create_table(
        "case_cards",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("channel", sa.String(length=SURFACE_ID), nullable=False),
        sa.Column("ts", sa.String(length=SURFACE_ID), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_cards_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_cards")),
        sa.UniqueConstraint("case_id", "channel", name=op.f("uq_case_cards_case_id")),
    )
    op.create_index(op.f("ix_case_cards_case_id"), "case_cards", ["case_id"], unique=False)
    op.execute("INSERT INTO case_cards (case_id, channel, ts, posted_at) "
               "SELECT id, card_channel, card_ts, submitted_at FROM cases "
               "WHERE card_channel IS NOT NULL AND card_ts IS NOT NULL")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("card_ts")
        batch_op.drop_column("card_channel")


def downgrade() -> None:
    bind = op.get_bind()
    two = bind.execute(sa.text("SELECT case_id FROM case_cards GROUP BY case_id HAVING count(*) > 1")).first()
    if two is not None:
        raise RuntimeError("Cannot downgrade below 0015: a case has cards in two channels (Slack and Teams), "
                           "and the earlier schema holds one. Stay on 0015 or later.")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_channel", sa.String(length=SURFACE_ID), nullable=True))
        batch_op.add_column(sa.Column("card_ts", sa.String(length=SURFACE_ID), nullable=True))
    op.execute("UPDATE cases SET card_channel = (SELECT channel FROM case_cards WHERE case_cards.case_id = cases.id), "
               "card_ts = (SELECT ts FROM case_cards WHERE case_cards.case_id = cases.id)")
    op.drop_index(op.f("ix_case_cards_case_id"), table_name="case_cards")
    op.drop_table("case_cards")
