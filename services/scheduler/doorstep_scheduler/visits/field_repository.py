"""Queries of the field API: a team's day in route order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.teams.models import Team
from doorstep_scheduler.visits.models import Visit

# What a team has on its day: planned, at the door, or done (cancelled visits drop out).
AGENDA_STATUSES = ("scheduled", "checked_in", "completed")


class FieldVisitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def team(self, team_id: uuid.UUID) -> Team | None:
        return await self._session.get(Team, team_id)

    async def team_day(self, team_id: uuid.UUID, day: date) -> Sequence[Visit]:
        result = await self._session.execute(
            select(Visit)
            .where(
                Visit.team_id == team_id,
                Visit.plan_day == day,
                Visit.status.in_(AGENDA_STATUSES),
            )
            .order_by(
                Visit.route_position.is_(None),
                Visit.route_position,
                Visit.service_start,
                Visit.id,
            )
        )
        return result.scalars().all()
