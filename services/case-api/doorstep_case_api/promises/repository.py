"""Queries for promises to pay."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.promises.models import Promise


class PromiseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, promise: Promise) -> None:
        self._session.add(promise)
        # Flushed at once: later queries in the same transaction (autoflush is off) see it.
        await self._session.flush()

    async def flush(self) -> None:
        # Status changes must reach the database before the next query filters on status.
        await self._session.flush()

    async def pending(self, case_id: uuid.UUID) -> Sequence[Promise]:
        """Pending promises, oldest first: payments go to them in this order."""
        result = await self._session.execute(
            select(Promise)
            .where(Promise.case_id == case_id, Promise.status == "pending")
            .order_by(Promise.created_at, Promise.promised_date, Promise.id)
        )
        return result.scalars().all()

    async def pending_dated_before(self, case_id: uuid.UUID, before: date) -> Sequence[Promise]:
        result = await self._session.execute(
            select(Promise)
            .where(
                Promise.case_id == case_id,
                Promise.status == "pending",
                Promise.promised_date < before,
            )
            .order_by(Promise.promised_date, Promise.created_at, Promise.id)
        )
        return result.scalars().all()

    async def for_case(self, case_id: uuid.UUID) -> Sequence[Promise]:
        result = await self._session.execute(
            select(Promise)
            .where(Promise.case_id == case_id)
            .order_by(Promise.created_at, Promise.id)
        )
        return result.scalars().all()
