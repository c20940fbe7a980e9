"""Queries for the case read model."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.cases.models import CaseView


class CaseViewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, view: CaseView) -> None:
        self._session.add(view)

    async def get(self, case_id: uuid.UUID) -> CaseView | None:
        return await self._session.get(CaseView, case_id)

    async def get_for_update(self, case_id: uuid.UUID) -> CaseView | None:
        result = await self._session.execute(
            select(CaseView)
            .where(CaseView.case_id == case_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def flush(self) -> None:
        await self._session.flush()
