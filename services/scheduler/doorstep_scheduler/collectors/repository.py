"""Queries for collectors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.collectors.models import Collector
from doorstep_shared.db.dialect import upsert_insert


class CollectorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, collector: Collector) -> None:
        self._session.add(collector)

    async def flush(self) -> None:
        await self._session.flush()

    async def all_by_name(self) -> Sequence[Collector]:
        result = await self._session.execute(select(Collector).order_by(Collector.name))
        return result.scalars().all()

    async def active(self) -> Sequence[Collector]:
        result = await self._session.execute(
            select(Collector).where(Collector.active.is_(True)).order_by(Collector.name)
        )
        return result.scalars().all()

    async def name_taken(self, name: str) -> bool:
        found = await self._session.scalar(select(Collector.id).where(Collector.name == name))
        return found is not None

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(Collector)) or 0)

    async def insert_unless_name_taken(
        self, name: str, max_visits_per_day: int, now: datetime
    ) -> bool:
        """Insert a collector; False (and no error) when another process took the name first."""
        result = await self._session.execute(
            upsert_insert(self._session, Collector.__table__)
            .values(
                id=uuid.uuid4(),
                name=name,
                active=True,
                max_visits_per_day=max_visits_per_day,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
