"""Today's business date: set by operations (tests, replays) or the bank's calendar day."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.business_date.repository import BusinessDateRepository
from doorstep_shared.clock import utc_now


class BusinessDateService:
    def __init__(self, session: AsyncSession, bank_timezone: str) -> None:
        self._dates = BusinessDateRepository(session)
        self._zone = ZoneInfo(bank_timezone)

    async def today(self) -> date:
        stored = await self._dates.stored()
        return stored if stored is not None else utc_now().astimezone(self._zone).date()

    async def is_pinned(self) -> bool:
        return await self._dates.stored() is not None

    async def pin(self, value: date) -> date:
        await self._dates.store(value, utc_now())
        return value

    async def follow_calendar(self) -> date:
        await self._dates.clear()
        return await self.today()
