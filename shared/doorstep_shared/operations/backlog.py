"""The outbox backlog: rows the relay has not published yet, how old the oldest is, by type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from doorstep_shared.db.engine import create_engine, is_sqlite


@dataclass(frozen=True)
class OutboxBacklog:
    unpublished: int
    oldest_created_at: datetime | None
    by_event_type: dict[str, int]

    def oldest_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest_created_at is None else now - self.oldest_created_at


async def unpublished_outbox(conn: AsyncConnection, outbox: Table) -> OutboxBacklog:
    """One grouped query over the relay's own "not yet published" index."""
    rows = (
        await conn.execute(
            select(outbox.c.event_type, func.count(), func.min(outbox.c.created_at))
            .where(outbox.c.published_at.is_(None))
            .group_by(outbox.c.event_type)
            .order_by(outbox.c.event_type)
        )
    ).all()
    by_type = {event_type: int(count) for event_type, count, _ in rows}
    oldest = min((created_at for _, _, created_at in rows), default=None)
    return OutboxBacklog(sum(by_type.values()), oldest, by_type)


def reading_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        # Not the project's SQLite engine: it begins every transaction with BEGIN IMMEDIATE,
        # which would take the single write lock from the relay for a read.
        return create_async_engine(url, hide_parameters=True)
    # A bounded connect: an unreachable database is reported (exit 2), not waited for.
    return create_engine(url, pool_size=1, max_overflow=0, connect_args={"timeout": 10})
