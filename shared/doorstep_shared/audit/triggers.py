"""Append-only at the database: DDL each service's migration runs after creating the table.

PostgreSQL refuses UPDATE and TRUNCATE always, and DELETE unless the transaction set
``doorstep.audit_purge`` to ``on`` (only ``purge_before`` does). This stops the application
and careless scripts; an administrator who can disable triggers can still change rows, and
the hash chain is what shows it. Grant the application role INSERT and SELECT only on the
table where you can.

SQLite refuses UPDATE. It has no session settings a trigger could read, so DELETE is not
guarded there: a purge could not be told from any other delete. The chain still detects a
deleted entry.

Migrations call these functions, so changing their output changes what an old migration
creates: add a new guard (and a migration that swaps it in) instead of editing this one.
"""

from __future__ import annotations

from doorstep_shared.audit.retention import PURGE_SETTING
from doorstep_shared.audit.table import TABLE_NAME


def append_only_ddl(dialect: str, table_name: str = TABLE_NAME) -> list[str]:
    """Statements creating the guard triggers on ``table_name`` for ``dialect``."""
    if dialect == "postgresql":
        guard = f"{table_name}_append_only"
        return [
            f"""
            CREATE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                IF TG_OP = 'DELETE'
                   AND coalesce(current_setting('{PURGE_SETTING}', true), '') = 'on' THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION '{table_name} is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $body$
            """,
            f"CREATE TRIGGER {guard} BEFORE UPDATE OR DELETE ON {table_name} "
            f"FOR EACH ROW EXECUTE FUNCTION {guard}()",
            # Row triggers do not fire on TRUNCATE.
            f"CREATE TRIGGER {table_name}_no_truncate BEFORE TRUNCATE ON {table_name} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {guard}()",
        ]
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table_name}_no_update BEFORE UPDATE ON {table_name} "
            f"BEGIN SELECT RAISE(ABORT, '{table_name} is append-only: UPDATE refused'); END"
        ]
    raise ValueError(f"no append-only guard for the {dialect} dialect")


def drop_append_only_ddl(dialect: str, table_name: str = TABLE_NAME) -> list[str]:
    """Statements removing what ``append_only_ddl`` created (a migration's downgrade)."""
    if dialect == "postgresql":
        guard = f"{table_name}_append_only"
        return [
            f"DROP TRIGGER IF EXISTS {table_name}_no_truncate ON {table_name}",
            f"DROP TRIGGER IF EXISTS {guard} ON {table_name}",
            f"DROP FUNCTION IF EXISTS {guard}()",
        ]
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table_name}_no_update"]
    raise ValueError(f"no append-only guard for the {dialect} dialect")
