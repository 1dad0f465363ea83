"""A tamper-evident audit: every row chained to the one before by a keyed hash; retention's queue of
Slack messages to delete.

Existing audit rows are sealed here, in id order, with PANELBOT_AUDIT_KEY (the migration refuses to
run without it when there are rows to seal). While sealing, the case references they carry are
replaced by their keyed pseudonyms and a provision's name by a keyed fingerprint, as new rows have
them: the audit then holds nothing retention would have to erase. Downgrading keeps the pseudonyms
(the references cannot be computed back from them) and drops the hashes.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import context, op

from store.audit import GENESIS, AuditKeyMissing, audit_subject, chain_hash, fingerprint, pseudonym, row_fields
from store.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_no_delete")


def _create_audit_triggers() -> None:
    # The function audit_is_append_only() comes from 0001 and stays.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION audit_is_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"
            )


def _legacy_values(key: bytes, row: sa.Row) -> dict:
    """What an old row must hold to look like a new one: no references, no typed names."""
    after = dict(row.after) if row.after is not None else None
    before = dict(row.before) if row.before is not None else None
    if after and isinstance(after.get("child"), str):
        after["child"] = pseudonym(key, after["child"])
    for values in (before, after):
        if values and row.action == "provision.saved" and isinstance(values.get("name"), str):
            values["name"] = fingerprint(key, values["name"])
    return {"subject_id": audit_subject(key, row.subject_type, row.subject_id), "before": before, "after": after}


def _seal(bind: sa.Connection) -> tuple[int, str]:
    audit = sa.table(
        "audit", sa.column("id", BigId), sa.column("at", UTCDateTime()), sa.column("actor"),
        sa.column("on_behalf_of"), sa.column("action"), sa.column("subject_type"), sa.column("subject_id"),
        sa.column("before", sa.JSON()), sa.column("after", sa.JSON()), sa.column("prev_hash"),
        sa.column("row_hash"),
    )
    rows = bind.execute(sa.select(audit).order_by(audit.c.id)).all()
    last_id, last_hash = 0, GENESIS
    if not rows:
        return last_id, last_hash
    key = _key(len(rows))
    for row in rows:
        values = _legacy_values(key, row)
        fields = {**row_fields(row), **values}
        row_hash = chain_hash(key, last_hash, fields)
        bind.execute(audit.update().where(audit.c.id == row.id).values(**values, prev_hash=last_hash,
                                                                         row_hash=row_hash))
        last_id, last_hash = row.id, row_hash
    return last_id, last_hash


def _key(rows: int) -> bytes:
    key = context.config.attributes.get("audit_key")
    if not key:
        raise AuditKeyMissing(
            f"PANELBOT_AUDIT_KEY is not set: this migration seals the {rows} existing audit rows with it. "
            "Set it (the same key panelbot will run with) and run `panelbot db upgrade` again."
        )
    return key.encode() if isinstance(key, str) else key


def upgrade() -> None:
    # Refuse before any change: SQLite runs DDL outside the transaction.
    rows = op.get_bind().execute(sa.text("SELECT count(*) FROM audit")).scalar_one()
    if rows:
        _key(rows)
    _drop_audit_triggers()
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    last_id, last_hash = _seal(op.get_bind())
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
    _create_audit_triggers()

    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    op.bulk_insert(chain, [{"id": 1, "last_id": last_id, "last_hash": last_hash}])

    op.create_table(
        "message_deletion",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("case_id", BigId, nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_message_deletion_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_deletion")),
        sa.UniqueConstraint("channel", "ts", name="uq_message_deletion_message"),
    )
    with op.batch_alter_table("message_deletion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_deletion_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_message_deletion_due", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("message_deletion", schema=None) as batch_op:
        batch_op.drop_index("ix_message_deletion_due")
        batch_op.drop_index(batch_op.f("ix_message_deletion_case_id"))
    op.drop_table("message_deletion")
    op.drop_table("audit_chain")
    _drop_audit_triggers()
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
    _create_audit_triggers()
