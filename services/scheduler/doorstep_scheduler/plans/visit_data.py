"""Keeping each waiting visit's address and terms current from case-api before planning.

Fetching happens outside any transaction (one slow answer must not hold rows locked); the
answers are then stored in one short transaction. A failed fetch leaves the visit waiting with
the reason, and the next run asks again.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.plans.problem_builder import DATA_UNAVAILABLE
from doorstep_scheduler.plans.repository import PlanningRepository
from doorstep_scheduler.visit_terms.client import VisitDataSource
from doorstep_scheduler.visit_terms.terms import TimezoneUnresolvedError, terms_from_contact
from doorstep_shared.case_api_contact import ContactNotFoundError, ContactUnavailableError

_PARALLEL_FETCHES = 8


@dataclass(frozen=True)
class FetchedVisitData:
    visit_id: uuid.UUID
    terms: dict[str, Any] | None
    latitude: float | None
    longitude: float | None
    problem: str | None  # why there is no data; no personal data in it


async def fetch_visit_data(
    source: VisitDataSource, wanted: list[tuple[uuid.UUID, uuid.UUID]]
) -> list[FetchedVisitData]:
    """``wanted``: (visit id, case id) pairs."""
    gate = asyncio.Semaphore(_PARALLEL_FETCHES)

    async def one(visit_id: uuid.UUID, case_id: uuid.UUID) -> FetchedVisitData:
        async with gate:
            try:
                contact = await source.fetch(case_id)
                terms = terms_from_contact(contact)
            except (ContactNotFoundError, ContactUnavailableError) as exc:
                return FetchedVisitData(visit_id, None, None, None, str(exc))
            except TimezoneUnresolvedError:
                return FetchedVisitData(
                    visit_id, None, None, None, "no time zone for the customer's address"
                )
        address = contact.address
        return FetchedVisitData(
            visit_id,
            terms,
            address.latitude if address else None,
            address.longitude if address else None,
            None,
        )

    return list(await asyncio.gather(*(one(v, c) for v, c in wanted)))


class VisitDataService:
    def __init__(self, session: AsyncSession) -> None:
        self._plans = PlanningRepository(session)

    async def waiting(
        self, stale_before: datetime, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        visits = await self._plans.needing_data(stale_before, limit)
        return [(v.id, v.case_id) for v in visits]

    async def store(self, fetched: list[FetchedVisitData], now: datetime) -> None:
        visits = await self._plans.lock([f.visit_id for f in fetched])
        for data in fetched:
            visit = visits.get(data.visit_id)
            if visit is None or visit.status != "unassigned":
                continue  # cancelled or planned meanwhile
            if data.terms is None:
                visit.unassigned_code = DATA_UNAVAILABLE
                visit.unassigned_reason = f"visit data from case-api: {data.problem}"[:300]
                continue
            visit.terms = data.terms
            visit.latitude = data.latitude
            visit.longitude = data.longitude
            visit.terms_fetched_at = now
        await self._plans.flush()
