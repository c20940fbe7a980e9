"""Queries for holds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.holds.models import Hold


class HoldRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, hold: Hold) -> None:
        self._session.add(hold)
        # Sessions do not autoflush: the event recorder's hold query must see this row.
        await self._session.flush()

    async def flush(self) -> None:
        await self._session.flush()

    async def get(self, case_id: uuid.UUID, hold_id: uuid.UUID) -> Hold | None:
        result = await self._session.execute(
            select(Hold).where(Hold.id == hold_id, Hold.case_id == case_id)
        )
        return result.scalar_one_or_none()

    async def for_case(self, case_id: uuid.UUID) -> Sequence[Hold]:
        """Every hold of the case, oldest first (lifted ones included)."""
        result = await self._session.execute(
            select(Hold).where(Hold.case_id == case_id).order_by(Hold.placed_at, Hold.id)
        )
        return result.scalars().all()

    async def ended_before(self, case_id: uuid.UUID, business_date: date) -> Sequence[Hold]:
        """Active holds of the case whose last day is before ``business_date``."""
        result = await self._session.execute(
            select(Hold)
            .where(
                Hold.case_id == case_id,
                Hold.lifted_on.is_(None),
                Hold.ends_on < business_date,
            )
            .order_by(Hold.ends_on, Hold.id)
        )
        return result.scalars().all()

    async def fees_frozen(self, case_id: uuid.UUID) -> bool:
        result = await self._session.execute(
            select(Hold.id)
            .where(Hold.case_id == case_id, Hold.lifted_on.is_(None), Hold.freezes_fees)
            .limit(1)
        )
        return result.first() is not None
