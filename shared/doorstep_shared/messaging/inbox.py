"""Processed-event (inbox) guard: the tracking record that makes redelivery a no-op.

The row is inserted in the same transaction as the handler's effects, so either both exist or
neither does. Keep rows longer than the topic's retention.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_shared.clock import utc_now
from doorstep_shared.db.dialect import upsert_insert
from doorstep_shared.db.types import UtcDateTime


def define_inbox_table(metadata: MetaData) -> Table:
    return Table(
        "processed_event",
        metadata,
        Column("consumer", String(64), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


async def claim_event(session: AsyncSession, table: Table, consumer: str, event_id: str) -> bool:
    """Record ``event_id`` as processed by ``consumer``; False if it already was."""
    statement = (
        upsert_insert(session, table)
        .values(consumer=consumer, event_id=event_id, processed_at=utc_now())
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
