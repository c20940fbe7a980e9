"""Walking the chain: recompute every hash, check every link, name the first broken entry.

Reasons given for a broken entry:

- ``hash mismatch``: the entry's stored values are not the ones it was written with.
- ``prev_hash does not match the entry before``: the entry before it was removed or replaced
  (or this entry's link was edited and its hash recomputed).
- ``chain starts without a recorded purge``: older entries are missing and no
  ``audit.purged`` entry accounts for them (see ``retention.purge_before``).

A hash chain without a secret cannot stop someone who rewrites the whole table from the
tampered entry onwards. Keep ``head_hash`` from each verification somewhere the database's
administrators cannot write (the bank's SIEM, a WORM bucket): a rewritten chain no longer
passes through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, select

from doorstep_shared.audit.chain import GENESIS_HASH, Executor, compute_entry_hash
from doorstep_shared.audit.retention import AUDIT_PURGED

HASH_MISMATCH = "hash mismatch"
BROKEN_LINK = "prev_hash does not match the entry before"
UNRECORDED_START = "chain starts without a recorded purge"


@dataclass(frozen=True, slots=True)
class VerificationResult:
    ok: bool
    entries_checked: int
    broken_entry_id: int | None = None
    reason: str | None = None
    # The last entry's hash when the chain is intact: record it outside the database.
    head_hash: str | None = None


async def verify(executor: Executor, table: Table, *, batch_size: int = 1000) -> VerificationResult:
    """Check the whole chain in id order, ``batch_size`` rows at a time (keyset pages, so
    memory stays flat however long the log is)."""
    expected_prev = await _expected_start(executor, table)
    checked = 0
    last_id: int | None = None
    while True:
        query = select(table).order_by(table.c.id).limit(batch_size)
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        rows = (await executor.execute(query)).all()
        for row in rows:
            if row.prev_hash != expected_prev:
                reason = UNRECORDED_START if last_id is None else BROKEN_LINK
                return VerificationResult(False, checked, row.id, reason)
            recomputed = compute_entry_hash(
                entry_id=row.id,
                occurred_at=row.occurred_at,
                actor=row.actor,
                action=row.action,
                case_id=row.case_id,
                details=row.details,
                prev_hash=row.prev_hash,
            )
            if recomputed != row.entry_hash:
                return VerificationResult(False, checked, row.id, HASH_MISMATCH)
            checked += 1
            expected_prev = row.entry_hash
            last_id = row.id
        if len(rows) < batch_size:
            head = expected_prev if checked else None
            return VerificationResult(True, checked, head_hash=head)


async def _expected_start(executor: Executor, table: Table) -> str:
    """The hash the first remaining entry must link to: genesis, or the last purged entry's.

    Every purge that deleted anything appended an ``audit.purged`` entry naming the hash of
    the last entry it deleted, and purges only ever delete the oldest entries, so the newest
    purge entry names where the chain now starts. Its own hash is checked in the walk like
    any other entry's, so a forged purge entry shows as a hash mismatch or a broken link.
    """
    details = (
        await executor.execute(
            select(table.c.details)
            .where(table.c.action == AUDIT_PURGED)
            .order_by(table.c.id.desc())
            .limit(1)
        )
    ).scalar()
    if details is None:
        return GENESIS_HASH
    anchor = details.get("last_purged_hash") if isinstance(details, dict) else None
    return anchor if isinstance(anchor, str) else GENESIS_HASH
