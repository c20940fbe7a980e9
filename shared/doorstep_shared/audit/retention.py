"""Retention: deleting the oldest entries without making the chain unverifiable.

The rule (``verify`` relies on it):

1. A purge deletes a *prefix* of the chain: every entry before the first one that occurred at
   or after the cutoff. It never deletes the newest entry, so the chain and its ids go on from
   where they were.
2. The first remaining entry still carries the hash of the last deleted one. In the same
   transaction the purge appends an ``audit.purged`` entry with the number of entries deleted
   and the id and hash of the last of them.
3. Verification takes the ``last_purged_hash`` of the newest ``audit.purged`` entry as the
   anchor the first remaining entry must link to (genesis when there has been no purge). That
   purge entry is itself in the chain, so it cannot be forged or edited without breaking it;
   older entries deleted any other way show as "chain starts without a recorded purge".

On PostgreSQL the trigger from ``triggers.append_only_ddl`` refuses every DELETE unless the
transaction set ``doorstep.audit_purge`` to ``on``; the purge sets it only around its own
DELETE. Entries are ordered by id (chain order), not by ``occurred_at``: an entry written a
moment before an older-stamped one is kept or deleted with its neighbours, a difference of
milliseconds against a retention of years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, delete, func, select

from doorstep_shared.audit.chain import Executor, append, chain_head, dialect_of, lock_chain

AUDIT_PURGED = "audit.purged"
PURGE_SETTING = "doorstep.audit_purge"


@dataclass(frozen=True, slots=True)
class PurgeResult:
    deleted: int
    last_purged_id: int | None = None
    last_purged_hash: str | None = None


def retention_cutoff(now: datetime, years: int) -> datetime:
    """``now`` minus whole calendar years (29 February becomes 28 February)."""
    if years < 1:
        raise ValueError("audit retention is at least one year")
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


async def purge_before(
    executor: Executor, table: Table, cutoff: datetime, *, actor: str, now: datetime
) -> PurgeResult:
    """Delete the entries older than ``cutoff`` in the caller's transaction (never commits)
    and record the purge as an audit entry; nothing is recorded when nothing was old enough."""
    if cutoff.tzinfo is None:
        raise ValueError("naive datetime given as the purge cutoff")
    await lock_chain(executor, table)
    head = await chain_head(executor, table)
    if head is None:
        return PurgeResult(0)
    first_kept = await executor.scalar(
        select(table.c.id)
        .where(table.c.occurred_at >= cutoff.astimezone(UTC))
        .order_by(table.c.id)
        .limit(1)
    )
    keep_from = head.id if first_kept is None else min(int(first_kept), head.id)
    last = (
        await executor.execute(
            select(table.c.id, table.c.entry_hash)
            .where(table.c.id < keep_from)
            .order_by(table.c.id.desc())
            .limit(1)
        )
    ).first()
    if last is None:
        return PurgeResult(0)
    deleted = int(
        await executor.scalar(select(func.count()).select_from(table).where(table.c.id <= last.id))
        or 0
    )
    postgres = dialect_of(executor) == "postgresql"
    if postgres:
        await executor.execute(select(func.set_config(PURGE_SETTING, "on", True)))
    await executor.execute(delete(table).where(table.c.id <= last.id))
    if postgres:
        # Only this DELETE may pass the trigger, not whatever the transaction does next.
        await executor.execute(select(func.set_config(PURGE_SETTING, "off", True)))
    await append(
        executor,
        table,
        actor=actor,
        action=AUDIT_PURGED,
        now=now,
        details={
            "deleted": deleted,
            "last_purged_id": last.id,
            "last_purged_hash": last.entry_hash,
            "cutoff": cutoff.astimezone(UTC).isoformat(timespec="microseconds"),
        },
    )
    return PurgeResult(deleted, last.id, last.entry_hash)
