"""Queries for visits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

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

    async def lock(self, visit_id: uuid.UUID) -> Visit | None:
        """The visit's row, locked until the transaction ends."""
        result = await self._session.execute(
            select(Visit)
            .where(Visit.id == visit_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def newest_first(
        self,
        *,
        case_id: uuid.UUID | None,
        status: str | None,
        limit: int,
        team_id: uuid.UUID | None = None,
    ) -> Sequence[Visit]:
        query = select(Visit)
        if team_id is not None:
            query = query.where(Visit.team_id == team_id)
        if case_id is not None:
            query = query.where(Visit.case_id == case_id)
        if status is not None:
            query = query.where(Visit.status == status)
        query = query.order_by(Visit.created_at.desc(), Visit.id.desc()).limit(limit)
        return (await self._session.execute(query)).scalars().all()
