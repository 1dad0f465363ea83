"""Teams display names: `teams_addresses.display_name`, a person's name as Teams last sent it with an
activity (`from.name`), so Teams cards can name the staff they mention (handlers/teams/names.py).

Nullable, and empty on upgrade: a name is recorded the next time the person writes to panelbot or
presses one of its buttons. Downgrading drops the column (SQLite copies the table in batch mode; the
table has no triggers), and with it only names, which the next activity would record again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams_addresses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams_addresses", schema=None) as batch_op:
        batch_op.drop_column("display_name")
