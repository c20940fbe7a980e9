"""The ``audit_entry`` table: one row per decision or access, each linked to the one before."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, MetaData, String, Table, Uuid

from doorstep_shared.db.types import BigIntPk, UtcDateTime

TABLE_NAME = "audit_entry"


def define_audit_table(metadata: MetaData) -> Table:
    """Declare the audit table on a service's metadata (its migration creates it).

    ``actor`` is a credential subject (``key:ab12cd34``, ``jwt:alice``) or a system name, never
    a customer's personal data; ``details`` holds names of fields, purposes and ids, never the
    personal values themselves.
    """
    table = Table(
        TABLE_NAME,
        metadata,
        # The id is part of the hashed content, so ``append`` picks it (head + 1) under the
        # chain lock instead of leaving it to a sequence.
        Column("id", BigIntPk, primary_key=True, autoincrement=False),
        Column("occurred_at", UtcDateTime, nullable=False),
        Column("actor", String(128), nullable=False),
        Column("action", String(64), nullable=False),
        Column("case_id", Uuid, nullable=True),
        Column("details", JSON, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("entry_hash", String(64), nullable=False),
    )
    # "Who touched this case, and when": the question an auditor or a data subject asks.
    Index(f"ix_{TABLE_NAME}_case_id", table.c.case_id)
    return table
