"""The append-only, tamper-evident audit trail, and the idempotency keys that guard it.

Each audit row carries `row_hash = HMAC-SHA256(key, prev_hash + canonical JSON of the row)`, where
`prev_hash` is the previous row's hash: editing, deleting, inserting or reordering a row breaks the
chain at that row, and nobody without the key (`PANELBOT_AUDIT_KEY`, kept outside the database) can
mend it. `verify_chain` walks the rows and names the first that does not match.

Appending is serialised by a one-row chain head (`audit_chain`). `record_audit` keeps the row with the
session; just before the transaction commits, the session's rows are linked in one step: the head is
updated (which takes its row lock on PostgreSQL, and the write lock on SQLite, until the commit), the
rows get their ids and hashes after the last committed row, and the head takes the last hash. The
lock is held for those few statements and the commit, not for the whole change: with the head taken
at the first audit row, fifty submissions at once waited in line for each other's whole transaction
(bench/bench_slow_slack.py). A transaction that rolls back appends nothing.

The audit never holds a case reference: `subject_id` of a person's record (a case, a reminder) is the
reference's keyed pseudonym (`pseudonym`), the same value retention later writes over the reference in
the case tables. Erasing a case therefore changes nothing in the audit and the chain still verifies.
Free text (a provision's name or contact) goes in as a keyed fingerprint (`fingerprint`): two values
can be told apart, and someone with the key can confirm a given text, but the audit never shows it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Audit, AuditChain, Base, Delivery

SYSTEM_ACTOR = "panelbot"
GENESIS = "0" * 64  # the `prev_hash` of the first row

# The audit's two tables for Core statements, which skip the ORM's autoflush and identity-map sync
# around the head's lock. (A model's `__table__` is typed as any FromClause; the metadata's are Tables.)
_AUDIT: Table = Base.metadata.tables[Audit.__tablename__]
_CHAIN: Table = Base.metadata.tables[AuditChain.__tablename__]

# Subjects named by panelbot's own row ids; every other subject id (a case reference, and whatever a
# later feature audits) goes into the audit as its keyed pseudonym.
PLAIN_SUBJECTS = frozenset({"provision", "placement", "visit", "sitting"})
PSEUDONYM_PREFIX = "PSN-"
AUDIT_KEY = "audit_key"  # where a session finds the key: `Session.info` (see store.db.make_sessions)


class AuditKeyMissing(RuntimeError):
    """The session was made without PANELBOT_AUDIT_KEY: nothing can be audited, so nothing may change."""


def session_key(session: Session) -> bytes:
    key = session.info.get(AUDIT_KEY)
    if not key:
        raise AuditKeyMissing("PANELBOT_AUDIT_KEY is not set for this database session")
    return key.encode() if isinstance(key, str) else key


def _mac(key: bytes, purpose: bytes, value: str) -> str:
    return hmac.new(key, purpose + b"\x00" + value.encode(), hashlib.sha256).hexdigest()


def pseudonym(key: bytes, reference: str) -> str:
    """The stable pseudonym of a case reference: the same for the same reference and key, and not
    reversible without the key. 96 bits: no two references a council will ever hold collide."""
    return PSEUDONYM_PREFIX + _mac(key, b"subject", reference.strip())[:24].upper()


def fingerprint(key: bytes, text: str | None) -> str | None:
    """A keyed fingerprint of free text, for audit rows: equal texts give equal fingerprints."""
    return None if text is None else "FP-" + _mac(key, b"text", text)[:16]


def text_fingerprint(session: Session, text: str | None) -> str | None:
    """`fingerprint` with the session's key: for free text a service audits (a provision's name)."""
    return fingerprint(session_key(session), text)


def is_pseudonym(value: str) -> bool:
    return value.startswith(PSEUDONYM_PREFIX)


def audit_subject(key: bytes, subject_type: str, subject_id: str) -> str:
    """What the audit stores as the subject id: row ids as they are, anything else pseudonymised."""
    if subject_type in PLAIN_SUBJECTS or is_pseudonym(subject_id):
        return subject_id
    return pseudonym(key, subject_id)


def _json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Exactly what the JSON column will give back, so the hash is over what is stored."""
    return None if value is None else json.loads(json.dumps(value, default=str))


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_fields(row: Any) -> dict[str, Any]:
    """The hashed fields of an audit row (an `Audit`, or a Core row with the same columns)."""
    return {
        "id": int(row.id),
        "at": _utc(row.at),
        "actor": row.actor,
        "on_behalf_of": row.on_behalf_of,
        "action": row.action,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "before": row.before,
        "after": row.after,
    }


def chain_hash(key: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hmac.new(key, prev_hash.encode() + b"\n" + canonical(fields), hashlib.sha256).hexdigest()


def hold_chain(session: Session) -> None:
    """Take the chain head's lock now, until the caller's transaction ends: for a change that must
    read fresh state and then be the only one of its kind (everything that audits waits for it)."""
    head = _CHAIN
    session.execute(update(head).where(head.c.id == 1).values(last_id=head.c.last_id))


def record_audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
) -> Audit:
    """Add one chained audit row to the caller's transaction (it commits or rolls back with the change).

    `actor` is who acted; `on_behalf_of` whom they acted for, when it was someone else. `before` and
    `after` hold ids, amounts, stages and dates, never free text. Raises AuditKeyMissing when the
    session has no key. The row joins the chain when the caller's transaction commits (`_link_pending`),
    and with it: a rollback leaves no audit row.
    """
    key = session_key(session)
    row = Audit(
        at=at,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action=action,
        subject_type=subject_type,
        subject_id=audit_subject(key, subject_type, subject_id),
        before=_json(before),
        after=_json(after),
    )
    session.info.setdefault(_PENDING, []).append(row)
    return row


_COLUMNS = tuple(column.name for column in _AUDIT.columns)
_PENDING = "audit_pending"  # `Session.info`: the rows `record_audit` was given, linked at commit


@event.listens_for(Session, "before_commit")
def _link_pending(session: Session) -> None:
    """Append the transaction's audit rows to the chain, as the last statements before its commit."""
    if session.in_nested_transaction():
        # SQLAlchemy calls this for a savepoint's release too (queuing a message uses one): the rows
        # wait for the transaction's own commit, or the head's lock would be held from there on.
        return
    rows: list[Audit] = session.info.pop(_PENDING, None) or []
    if not rows:
        return
    key = session_key(session)
    head = _CHAIN
    # Everything else the change writes goes first, so the head's lock is held for these few
    # statements and the commit only.
    session.flush()
    # The write comes first: it takes the lock before the head is read, on both backends.
    last_id, prev_hash = session.execute(
        update(head).where(head.c.id == 1).values(last_id=head.c.last_id + len(rows))
        .returning(head.c.last_id, head.c.last_hash)
    ).one()
    for number, row in enumerate(rows, start=last_id - len(rows) + 1):
        row.id, row.prev_hash = number, prev_hash
        row.row_hash = prev_hash = chain_hash(key, prev_hash, row_fields(row))
    # The rows and the head's new hash in one statement on PostgreSQL (the insert as a CTE of the head's
    # update): one round trip fewer while the head is held. Core, not the unit of work: the rows are
    # complete, and the ORM's bookkeeping of an insert costs more CPU than the insert.
    linked = insert(_AUDIT).values([{column: getattr(row, column) for column in _COLUMNS} for row in rows])
    move = update(head).where(head.c.id == 1).values(last_hash=prev_hash)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(move.add_cte(linked.cte("linked")))
    else:
        session.execute(linked)
        session.execute(move)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: Any) -> None:
    """A transaction that ends without committing (a rollback, an error) leaves nothing to append."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def append_audit_rows(connection: Connection, key: bytes, rows: list[dict[str, Any]]) -> None:
    """Append many rows at once (bulk loads: benchmarks, imports), chained as `record_audit` would.
    Each dict has the columns of `record_audit`'s arguments; the caller's transaction holds the head."""
    head = _CHAIN
    last_id, prev_hash = connection.execute(
        update(head).where(head.c.id == 1).values(last_id=head.c.last_id + len(rows))
        .returning(head.c.last_id, head.c.last_hash)
    ).one()
    chained = []
    for number, row in enumerate(rows, start=last_id - len(rows) + 1):
        values = {**row, "id": number, "subject_id": audit_subject(key, row["subject_type"], row["subject_id"]),
                  "before": _json(row.get("before")), "after": _json(row.get("after")),
                  "on_behalf_of": row.get("on_behalf_of"), "prev_hash": prev_hash}
        values["row_hash"] = prev_hash = chain_hash(key, prev_hash, row_fields(_Fields(values)))
        chained.append(values)
    if chained:
        connection.execute(_AUDIT.insert(), chained)
    connection.execute(update(head).where(head.c.id == 1).values(last_hash=prev_hash))


class _Fields:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# -- verifying -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainCheck:
    """The result of walking the chain. `broken_at` is the id of the first row that does not match
    (None when whole, or when only the head disagrees); `problem` says what is wrong, in words."""

    rows: int
    last_hash: str
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(connection: Connection, upto: int, batch: int = 1000) -> Iterator[Any]:
    table = _AUDIT
    last = None
    while True:
        query = select(table).where(table.c.id <= upto).order_by(table.c.id).limit(batch)
        if last is not None:
            query = query.where(table.c.id > last)
        rows = connection.execute(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def _head(connection: Connection) -> Any:
    return connection.execute(select(_CHAIN)).first()


def verify_chain(connection: Connection, key: bytes) -> ChainCheck:
    """Walk the audit rows in id order up to the chain head and check each against its hash and its
    predecessor. Rows appended while it walks (the head moved past them) are left for the next run;
    a row past the head that no append accounts for was inserted around panelbot."""
    head = _head(connection)
    if head is None:
        return ChainCheck(0, GENESIS, None, "the chain head (table audit_chain) is missing")
    prev_hash, prev_id, count = GENESIS, None, 0
    for row in _rows(connection, head.last_id):
        fields = row_fields(row)
        stored_prev = row.prev_hash or ""
        if stored_prev != prev_hash:
            after = f"row {prev_id}" if prev_id is not None else "the start of the chain"
            if hmac.compare_digest(chain_hash(key, stored_prev, fields), row.row_hash or ""):
                problem = (f"row {row.id} does not follow {after}: a row between them was deleted, "
                           "or rows were reordered or inserted")
            else:
                problem = f"row {row.id} does not match its hash: it was changed, or inserted without the key"
            return ChainCheck(count, prev_hash, row.id, problem)
        if not hmac.compare_digest(chain_hash(key, prev_hash, fields), row.row_hash or ""):
            return ChainCheck(count, prev_hash, row.id,
                              f"row {row.id} does not match its hash: it was changed, or inserted without the key")
        prev_hash, prev_id, count = row.row_hash, row.id, count + 1
    if (head.last_hash, head.last_id) != (prev_hash, prev_id or 0):
        return ChainCheck(count, prev_hash, None,
                          f"the chain head says the last row is {head.last_id} but the chain ends at "
                          f"{prev_id or 'nothing'}: rows at the end were deleted, or the head was changed")
    table = _AUDIT
    beyond = connection.execute(select(func.min(table.c.id), func.max(table.c.id))
                                .where(table.c.id > head.last_id)).one()
    if beyond[1] is not None and _head(connection).last_id < beyond[1]:
        return ChainCheck(count, prev_hash, beyond[0],
                          f"row {beyond[0]} comes after the chain head: it was inserted around panelbot")
    return ChainCheck(count, prev_hash)


# -- idempotency -----------------------------------------------------------------------------------


def claim_delivery(session: Session, key: str, at: datetime) -> bool:
    """Claim an idempotency key inside the caller's transaction.

    Returns False when the key was claimed before (a retried delivery, a double click, a replay):
    the caller then does nothing. The primary key decides, so two concurrent claims on PostgreSQL
    or SQLite give exactly one True.
    """
    try:
        with session.begin_nested():
            session.add(Delivery(key=key[:200], at=at))
        return True
    except IntegrityError:
        return False
