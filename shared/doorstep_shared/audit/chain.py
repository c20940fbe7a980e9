"""Appending to the hash chain: each entry carries the hash of the one before.

``entry_hash`` is SHA-256 over a canonical JSON of every other column, ``prev_hash``
included, so changing any stored value, or removing an entry, breaks the chain where it
happened (see ``verify``). The first entry links to ``GENESIS_HASH``.

Appends serialise, so the chain never forks: on PostgreSQL a transaction-scoped advisory lock
is taken before the head is read and held until the caller commits or rolls back; on SQLite
the project's engine begins every transaction with ``BEGIN IMMEDIATE`` (one writer at a time).
The primary key backs this up: two appends that read the same head would both pick its id + 1,
and the second insert fails instead of forking the chain. Append late in a transaction: the
lock is held until the commit and every append in the database waits for it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

GENESIS_HASH = "0" * 64
PII_READ = "pii.read"

Executor = AsyncSession | AsyncConnection


@dataclass(frozen=True, slots=True)
class ChainLink:
    id: int
    entry_hash: str


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8. Floats, Decimals and dates are
    refused by ``json`` unless already strings, so what is hashed is what is stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_entry_hash(
    *,
    entry_id: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    case_id: uuid.UUID | None,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    content = {
        "id": entry_id,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "case_id": None if case_id is None else str(case_id),
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def dialect_of(executor: Executor) -> str:
    if isinstance(executor, AsyncSession):
        return executor.get_bind().dialect.name
    return executor.dialect.name


async def lock_chain(executor: Executor, table: Table) -> None:
    """Serialise writers of ``table`` until the end of the caller's transaction."""
    if dialect_of(executor) == "postgresql":
        key = zlib.crc32(f"doorstep-audit-chain:{table.name}".encode())
        await executor.execute(select(func.pg_advisory_xact_lock(key)))
    # SQLite: the transaction already holds the database's only write lock (BEGIN IMMEDIATE).


async def chain_head(executor: Executor, table: Table) -> ChainLink | None:
    row = (
        await executor.execute(
            select(table.c.id, table.c.entry_hash).order_by(table.c.id.desc()).limit(1)
        )
    ).first()
    return None if row is None else ChainLink(row.id, row.entry_hash)


async def append(
    executor: Executor,
    table: Table,
    *,
    actor: str,
    action: str,
    now: datetime,
    case_id: uuid.UUID | None = None,
    details: Mapping[str, Any] | None = None,
) -> ChainLink:
    """Add an entry in the caller's transaction (never commits); returns its id and hash."""
    if now.tzinfo is None:
        raise ValueError("naive datetime given as an audit entry's time")
    # Round-trip through the canonical form: the stored JSON is exactly what was hashed.
    stored_details = json.loads(canonical_json(dict(details or {})))
    # The database keeps microseconds; hash what it will give back.
    occurred_at = now.astimezone(UTC)
    await lock_chain(executor, table)
    head = await chain_head(executor, table)
    link_id = 1 if head is None else head.id + 1
    prev_hash = GENESIS_HASH if head is None else head.entry_hash
    entry_hash = compute_entry_hash(
        entry_id=link_id,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        case_id=case_id,
        details=stored_details,
        prev_hash=prev_hash,
    )
    await executor.execute(
        insert(table).values(
            id=link_id,
            occurred_at=occurred_at,
            actor=actor,
            action=action,
            case_id=case_id,
            details=stored_details,
            prev_hash=prev_hash,
            entry_hash=entry_hash,
        )
    )
    return ChainLink(link_id, entry_hash)


async def record_pii_read(
    executor: Executor,
    table: Table,
    *,
    actor: str,
    case_id: uuid.UUID,
    fields: Iterable[str],
    purpose: str | None,
    now: datetime,
) -> ChainLink:
    """Log that ``actor`` read personal data of a case: which fields (names, never values)
    and the purpose the request declared (``None`` when it declared none)."""
    names = sorted(set(fields))
    if not names:
        raise ValueError("a personal-data read names at least one field")
    return await append(
        executor,
        table,
        actor=actor,
        action=PII_READ,
        now=now,
        case_id=case_id,
        details={"fields": names, "purpose": purpose},
    )
