"""Queries for visits and the planning calendar."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.visits.models import ACTIVE_STATUSES, Visit


class VisitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, visit: Visit) -> None:
        self._session.add(visit)

    async def flush(self) -> None:
        await self._session.flush()

    async def get(self, visit_id: uuid.UUID) -> Visit | None:
        return await self._session.get(Visit, visit_id)

    async def active_for_case(self, case_id: uuid.UUID) -> Sequence[Visit]:
        """The case's scheduled or unassigned visits (at most one, by a unique index), locked."""
        result = await self._session.execute(
            select(Visit)
            .where(Visit.case_id == case_id, Visit.status.in_(ACTIVE_STATUSES))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalars().all()

    async def scheduled_between(
        self, start: datetime, end: datetime
    ) -> Sequence[tuple[uuid.UUID, datetime, datetime]]:
        """(collector_id, window_start, window_end) of scheduled visits overlapping the period."""
        result = await self._session.execute(
            select(Visit.collector_id, Visit.window_start, Visit.window_end).where(
                Visit.status == "scheduled",
                Visit.window_start < end,
                Visit.window_end > start,
            )
        )
        return [
            (collector_id, window_start, window_end)
            for collector_id, window_start, window_end in result
            if collector_id is not None and window_start is not None and window_end is not None
        ]

    async def newest_first(
        self,
        *,
        case_id: uuid.UUID | None,
        status: str | None,
        limit: int,
        collector_id: uuid.UUID | None = None,
    ) -> Sequence[Visit]:
        query = select(Visit)
        if collector_id is not None:
            query = query.where(Visit.collector_id == collector_id)
        if case_id is not None:
            query = query.where(Visit.case_id == case_id)
        if status is not None:
            query = query.where(Visit.status == status)
        query = query.order_by(Visit.created_at.desc(), Visit.id.desc()).limit(limit)
        return (await self._session.execute(query)).scalars().all()
