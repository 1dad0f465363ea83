"""A provision's name is unique whatever its case: "Oakwood House" and "oakwood house" are one home.

panelbot already refused a second provision whose name differed only in case, but the database's
constraint was on the name as typed, so two Saves at the same moment could store both. Each
provision now keeps `name_key` (its name without surrounding spaces, case-folded, as
store.models.provision_key makes it), unique. Upgrading fills it in Python (SQLite's lower() folds
ASCII only) and refuses while two provisions' names differ only in case: a person merges them first.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("provision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=200), nullable=True))
    keys: dict[str, int] = {}
    for provision_id, name in bind.execute(sa.text("SELECT id, name FROM provision ORDER BY id")).all():
        key = name.strip().casefold()
        if key in keys:
            raise RuntimeError(f"Cannot upgrade to 0017: provisions {keys[key]} and {provision_id} have the same "
                               "name in different case. Rename or merge them, then upgrade.")
        keys[key] = provision_id
        bind.execute(sa.text("UPDATE provision SET name_key = :key WHERE id = :id"), {"key": key, "id": provision_id})
    with op.batch_alter_table("provision", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_provision_name_key"), ["name_key"])
        batch_op.drop_constraint("uq_provision_name", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("provision", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_provision_name", ["name"])
        batch_op.drop_constraint(batch_op.f("uq_provision_name_key"), type_="unique")
        batch_op.drop_column("name_key")
