"""The PostgreSQL privileges of the role panelbot runs as (DATABASE_URL), granted by the owner role
that migrates (DATABASE_MIGRATION_URL) after every `panelbot db upgrade`.

The app role owns nothing, so it cannot ALTER a table, DISABLE TRIGGER or TRUNCATE; it may read and
write the tables it works with, only INSERT and SELECT the audit, and only move the chain head.
"""

from __future__ import annotations

from sqlalchemy import Connection

from store.models import Base

# Tables whose privileges are narrower than read-and-write.
AUDIT_ONLY_APPENDS = {"audit": "SELECT, INSERT", "audit_chain": "SELECT, UPDATE"}


def grant_app_role(connection: Connection, role: str) -> list[str]:
    """Grant `role` what panelbot needs and nothing more; returns the statements run."""
    quote = connection.dialect.identifier_preparer.quote
    who = quote(role)
    statements = [f"GRANT USAGE ON SCHEMA public TO {who}", f"GRANT SELECT ON alembic_version TO {who}"]
    for table in Base.metadata.sorted_tables:
        name = quote(table.name)
        statements.append(f"REVOKE ALL ON {name} FROM {who}")
        statements.append(f"GRANT {AUDIT_ONLY_APPENDS.get(table.name, 'SELECT, INSERT, UPDATE, DELETE')} "
                          f"ON {name} TO {who}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}")
    for statement in statements:
        connection.exec_driver_sql(statement)
    return statements
