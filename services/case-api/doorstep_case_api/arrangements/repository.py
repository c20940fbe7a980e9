"""Queries for arrangements and their instalments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.arrangements.models import Arrangement, ArrangementInstalment

# Statuses in which an arrangement still binds the case: at most one per case.
OPEN_STATUSES = ("proposed", "approved", "active")


class ArrangementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, arrangement: Arrangement) -> None:
        self._session.add(arrangement)
        await self._session.flush()

    async def add_instalments(self, instalments: Sequence[ArrangementInstalment]) -> None:
        self._session.add_all(instalments)
        await self._session.flush()

    async def flush(self) -> None:
        # Autoflush is off: status changes must reach the database before the case event
        # (and the ladder) ask whether an arrangement is active.
        await self._session.flush()

    async def get(self, arrangement_id: uuid.UUID) -> Arrangement | None:
        # Reloaded from the database: callers read it again after locking its case.
        result = await self._session.execute(
            select(Arrangement)
            .where(Arrangement.id == arrangement_id)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def open_for_case(self, case_id: uuid.UUID) -> Arrangement | None:
        result = await self._session.execute(
            select(Arrangement)
            .where(Arrangement.case_id == case_id, Arrangement.status.in_(OPEN_STATUSES))
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def active_for_case(self, case_id: uuid.UUID) -> Arrangement | None:
        result = await self._session.execute(
            select(Arrangement)
            .where(Arrangement.case_id == case_id, Arrangement.status == "active")
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def for_case(self, case_id: uuid.UUID) -> Sequence[Arrangement]:
        result = await self._session.execute(
            select(Arrangement)
            .where(Arrangement.case_id == case_id)
            .order_by(Arrangement.created_at, Arrangement.id)
        )
        return result.scalars().all()

    async def instalments(self, arrangement_id: uuid.UUID) -> Sequence[ArrangementInstalment]:
        result = await self._session.execute(
            select(ArrangementInstalment)
            .where(ArrangementInstalment.arrangement_id == arrangement_id)
            .order_by(ArrangementInstalment.number)
        )
        return result.scalars().all()

    async def instalments_of(
        self, arrangement_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[ArrangementInstalment]]:
        by_arrangement: dict[uuid.UUID, list[ArrangementInstalment]] = {
            arrangement_id: [] for arrangement_id in arrangement_ids
        }
        if not arrangement_ids:
            return by_arrangement
        result = await self._session.execute(
            select(ArrangementInstalment)
            .where(ArrangementInstalment.arrangement_id.in_(arrangement_ids))
            .order_by(ArrangementInstalment.arrangement_id, ArrangementInstalment.number)
        )
        for instalment in result.scalars():
            by_arrangement[instalment.arrangement_id].append(instalment)
        return by_arrangement
