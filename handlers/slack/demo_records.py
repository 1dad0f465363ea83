"""The demo's records scenes: a subject access export, the audit chain verified, retention, and a
changed audit row caught. Called by `handlers.slack.demo.run_demo` on its throwaway SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import text

from bot.services.export import TITLES, export_reference
from bot.services.retention import pseudonymise_due_cases
from store.audit import verify_chain

if TYPE_CHECKING:
    from handlers.slack.demo import Conversation

DPO = "U0DPO"


def _verify(talk: Conversation, key: bytes) -> None:
    with talk.services.engine.connect() as connection:
        check = verify_chain(connection, key)
    talk.out.write("$ panelbot audit verify\n")
    if check.ok:
        talk.out.write(f"  audit chain verified: {check.rows} rows\n")
    else:
        talk.out.write(f"  audit chain broken: {check.problem} (exit status 1)\n")


def records(talk: Conversation) -> None:
    services = talk.services
    assert services.audit_key is not None
    key = services.audit_key.encode()

    talk.step("Subject access: everything held about case 2345678")
    export = export_reference(services, "2345678", DPO)
    talk.out.write("$ panelbot export 2345678 --by U0DPO   (writes a .json and a .txt, readable by you only)\n")
    for name, rows in export.tables.items():
        if rows:
            talk.out.write(f"  {TITLES[name]}: {len(rows)}\n")

    talk.step("The audit trail is a chain of keyed hashes")
    _verify(talk, key)

    talk.step("Retention: thirty years on, closed cases are pseudonymised and their Slack messages deleted")
    later = datetime(2056, 12, 1, 3, 0, tzinfo=UTC)
    seen = len(talk.standin.calls_to("chat.delete"))
    done = pseudonymise_due_cases(services, later)
    deleted = len(talk.standin.calls_to("chat.delete")) - seen
    talk.out.write(f"  {done} people's records pseudonymised (free text erased, reference replaced); "
                   f"{deleted} Slack messages deleted\n")
    talk.seen = len(talk.standin.calls)
    _verify(talk, key)

    talk.step("Someone with the database owner's password changes who made a decision")
    with services.engine.begin() as connection:  # SQLite: the owner can drop the append-only trigger
        connection.execute(text("DROP TRIGGER audit_no_update"))
        row = connection.execute(text("SELECT min(id) FROM audit WHERE action = 'case.decision'")).scalar_one()
        connection.execute(text("UPDATE audit SET actor = 'U0MALLORY' WHERE id = :id"), {"id": row})
        connection.execute(text("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
                                "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"))
    _verify(talk, key)
