"""Today's business date: set by operations (tests, replays) or the bank's calendar day."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.audit_trail import OPERATIONS, record_decision
from doorstep_case_api.business_date.repository import BusinessDateRepository
from doorstep_shared.clock import utc_now


class BusinessDateService:
    """Reads and sets the business date. Setting it is a decision for the audit log, made by
    ``actor`` (operations until requests carry an authenticated principal)."""

    def __init__(self, session: AsyncSession, bank_timezone: str) -> None:
        self._session = session
        self._dates = BusinessDateRepository(session)
        self._zone = ZoneInfo(bank_timezone)

    async def today(self) -> date:
        stored = await self._dates.stored()
        return stored if stored is not None else utc_now().astimezone(self._zone).date()

    async def is_pinned(self) -> bool:
        return await self._dates.stored() is not None

    async def pin(self, value: date, actor: str = OPERATIONS) -> date:
        # Not compared with the stored date first: loading the row would leave a stale copy
        # in the session after the upsert.
        await self._dates.store(value, utc_now())
        await self._audit(actor, "business_date.set", {"business_date": value.isoformat()})
        return value

    async def follow_calendar(self, actor: str = OPERATIONS) -> date:
        """Unpin; audited only when a date was pinned."""
        pinned = await self._dates.stored()
        await self._dates.clear()
        today = await self.today()
        if pinned is not None:
            await self._audit(
                actor,
                "business_date.cleared",
                {"pinned": pinned.isoformat(), "business_date": today.isoformat()},
            )
        return today

    async def _audit(self, actor: str, action: str, details: dict[str, str]) -> None:
        await record_decision(
            self._session, actor=actor, action=action, case_id=None, details=details
        )
