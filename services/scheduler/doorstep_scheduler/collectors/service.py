"""Collector rules: unique names, and demo teams for local runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.collectors.exceptions import CollectorNameTakenError
from doorstep_scheduler.collectors.models import Collector
from doorstep_scheduler.collectors.repository import CollectorRepository
from doorstep_scheduler.collectors.schemas import CollectorCreate
from doorstep_shared.clock import utc_now

DEMO_MAX_VISITS_PER_DAY = 6


class CollectorService:
    def __init__(self, session: AsyncSession) -> None:
        self._collectors = CollectorRepository(session)

    async def by_name(self) -> Sequence[Collector]:
        return await self._collectors.all_by_name()

    async def create(self, request: CollectorCreate) -> Collector:
        if await self._collectors.name_taken(request.name):
            raise CollectorNameTakenError(f"a collector named {request.name!r} exists")
        collector = Collector(
            id=uuid.uuid4(),
            name=request.name,
            active=True,
            max_visits_per_day=request.max_visits_per_day,
            created_at=utc_now(),
        )
        self._collectors.add(collector)
        await self._collectors.flush()
        return collector

    async def create_demo_teams(self, count: int) -> int:
        """'Team 1'..'Team N' when there are no collectors at all; returns how many were added."""
        if count == 0 or await self._collectors.count() > 0:
            return 0
        now = utc_now()
        added = 0
        for number in range(1, count + 1):
            added += await self._collectors.insert_unless_name_taken(
                f"Team {number}", DEMO_MAX_VISITS_PER_DAY, now
            )
        return added
