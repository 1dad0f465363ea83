"""Surface-neutral ids: every column holding a person's, a user group's or a channel's id, or a
message's id, widens to 255 characters (Teams ids are "teams:" + an Entra object id, and a channel's
runs to about 80); idempotency keys, which name them, to 512; and where Teams reaches each address.

Widening rewrites no value. On PostgreSQL, lengthening a varchar changes only the catalogue (no table
rewrite, no UPDATE, so the audit's append-only trigger has nothing to refuse). SQLite cannot alter a
column: batch mode copies the table, rows as they are, and the audit's triggers, which go with the
old table, are made again. The chain's hashes cover the values, not the declared lengths, so the
chain verifies unchanged.

Downgrading refuses while any value is longer than the old column allows (a Teams id): the earlier
schema cannot hold it, and the audit's rows cannot be changed to make it fit.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from store.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SURFACE_ID = 255
KEY = 512

# table: {column: (old length, new length)}
WIDENED = {
    "audit": {"actor": (32, SURFACE_ID), "on_behalf_of": (32, SURFACE_ID)},
    "cases": {"submission_key": (100, SURFACE_ID), "submitter": (32, SURFACE_ID),
              "team_manager": (32, SURFACE_ID), "attendee": (32, SURFACE_ID), "card_channel": (32, SURFACE_ID),
              "card_ts": (32, SURFACE_ID)},
    "outbox": {"key": (200, KEY), "recipient": (32, SURFACE_ID), "sent_channel": (32, SURFACE_ID),
               "sent_ts": (32, SURFACE_ID)},
    "forum_booking": {"booked_by": (32, SURFACE_ID), "cancelled_by": (32, SURFACE_ID)},
    "decision": {"decided_by": (32, SURFACE_ID), "decided_for": (32, SURFACE_ID)},
    "sitting_attendance": {"person": (32, SURFACE_ID), "recorded_by": (32, SURFACE_ID)},
    "cover": {"absent": (32, SURFACE_ID), "colleague": (32, SURFACE_ID), "created_by": (32, SURFACE_ID)},
    "reminder": {"key": (200, KEY), "person": (32, SURFACE_ID), "late_person": (32, SURFACE_ID),
                 "sent_channel": (32, SURFACE_ID), "sent_ts": (32, SURFACE_ID)},
    "review": {"reviewed_by": (32, SURFACE_ID)},
    "provision": {"created_by": (32, SURFACE_ID)},
    "placement": {"social_worker": (32, SURFACE_ID), "iro": (32, SURFACE_ID), "sen_officer": (32, SURFACE_ID),
                  "created_by": (32, SURFACE_ID)},
    "concern": {"raised_by": (32, SURFACE_ID)},
    "action_plan": {"requested_by": (32, SURFACE_ID)},
    "visit": {"visitor": (32, SURFACE_ID)},
    "visit_step": {"assignee": (32, SURFACE_ID), "finished_by": (32, SURFACE_ID)},
    "message_deletion": {"channel": (32, SURFACE_ID), "ts": (32, SURFACE_ID)},
    "spot_check": {"opened_by": (32, SURFACE_ID), "checked_by": (32, SURFACE_ID)},
}


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


def _resize(table: str, columns: dict[str, tuple[int, int]], *, widen: bool) -> None:
    """Alter the columns' lengths. On SQLite the audit is copied into a new table, which has no
    triggers yet: they are made again at once (PostgreSQL alters in place and keeps its trigger)."""
    copied = table == "audit" and op.get_bind().dialect.name == "sqlite"
    if copied:
        _drop_audit_triggers()
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column, (old, new) in columns.items():
            before, after = (old, new) if widen else (new, old)
            batch_op.alter_column(column, existing_type=sa.String(length=before), type_=sa.String(length=after))
    if copied:
        _create_audit_triggers()


def _refuse_long_values() -> None:
    bind = op.get_bind()
    for table, columns in WIDENED.items():
        for column, (old, _) in columns.items():
            longest = bind.execute(sa.text(f'SELECT max(length("{column}")) FROM {table}')).scalar()  # noqa: S608
            if longest is not None and longest > old:
                raise RuntimeError(
                    f"Cannot downgrade below 0014: {table}.{column} holds a value of {longest} characters "
                    f"(a Teams id) and the earlier schema allows {old}. Stay on 0014 or later.")


def upgrade() -> None:
    for table, columns in WIDENED.items():
        _resize(table, columns, widen=True)

    op.create_table(
        "teams_addresses",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("address", sa.String(length=SURFACE_ID), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=SURFACE_ID), nullable=True),
        sa.Column("conversation_id", sa.String(length=512), nullable=False),
        sa.Column("service_url", sa.String(length=512), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('person', 'channel')", name=op.f("ck_teams_addresses_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_addresses")),
        sa.UniqueConstraint("address", name=op.f("uq_teams_addresses_address")),
    )


def downgrade() -> None:
    _refuse_long_values()
    op.drop_table("teams_addresses")
    for table, columns in reversed(WIDENED.items()):
        _resize(table, columns, widen=False)
