"""Queries for teams, collectors and absences."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.teams.models import Collector, CollectorAbsence, Team
from doorstep_shared.db.dialect import upsert_insert


class TeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, team: Team) -> None:
        self._session.add(team)

    async def flush(self) -> None:
        await self._session.flush()

    async def get(self, team_id: uuid.UUID) -> Team | None:
        return await self._session.get(Team, team_id)

    async def exists(self, team_id: uuid.UUID) -> bool:
        return await self._session.scalar(select(Team.id).where(Team.id == team_id)) is not None

    async def all_by_name(self) -> Sequence[Team]:
        result = await self._session.execute(select(Team).order_by(Team.name))
        return result.scalars().all()

    async def active(self) -> Sequence[Team]:
        result = await self._session.execute(
            select(Team).where(Team.active.is_(True)).order_by(Team.name)
        )
        return result.scalars().all()

    async def name_taken(self, name: str, by_other_than: uuid.UUID | None = None) -> bool:
        query = select(Team.id).where(Team.name == name)
        if by_other_than is not None:
            query = query.where(Team.id != by_other_than)
        return await self._session.scalar(query) is not None

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(Team)) or 0)

    async def insert_unless_name_taken(self, values: dict[str, object]) -> bool:
        """Insert a team row; False (and no error) when another process took the name first."""
        result = await self._session.execute(
            upsert_insert(self._session, Team.__table__)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class CollectorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, collector: Collector) -> None:
        self._session.add(collector)

    async def flush(self) -> None:
        await self._session.flush()

    async def get(self, collector_id: uuid.UUID) -> Collector | None:
        return await self._session.get(Collector, collector_id)

    async def find(
        self, *, team_id: uuid.UUID | None = None, active: bool | None = None
    ) -> Sequence[Collector]:
        query = select(Collector).order_by(Collector.name, Collector.employee_ref)
        if team_id is not None:
            query = query.where(Collector.team_id == team_id)
        if active is not None:
            query = query.where(Collector.active.is_(active))
        return (await self._session.execute(query)).scalars().all()

    async def members_of(self, team_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Collector]]:
        """Each team's members by name (teams without members are missing)."""
        ids = list(team_ids)
        members: dict[uuid.UUID, list[Collector]] = defaultdict(list)
        if not ids:
            return members
        result = await self._session.execute(
            select(Collector)
            .where(Collector.team_id.in_(ids))
            .order_by(Collector.name, Collector.employee_ref)
        )
        for collector in result.scalars():
            if collector.team_id is not None:  # always, by the filter; narrows the type
                members[collector.team_id].append(collector)
        return members

    async def employee_ref_taken(self, ref: str, by_other_than: uuid.UUID | None = None) -> bool:
        query = select(Collector.id).where(Collector.employee_ref == ref)
        if by_other_than is not None:
            query = query.where(Collector.id != by_other_than)
        return await self._session.scalar(query) is not None

    async def insert_unless_ref_taken(self, values: dict[str, object]) -> bool:
        result = await self._session.execute(
            upsert_insert(self._session, Collector.__table__)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["employee_ref"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class AbsenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, absence: CollectorAbsence) -> None:
        self._session.add(absence)

    async def flush(self) -> None:
        await self._session.flush()

    async def of_collector(self, collector_id: uuid.UUID) -> Sequence[CollectorAbsence]:
        result = await self._session.execute(
            select(CollectorAbsence)
            .where(CollectorAbsence.collector_id == collector_id)
            .order_by(CollectorAbsence.first_day, CollectorAbsence.last_day)
        )
        return result.scalars().all()

    async def overlapping(
        self, collector_ids: Iterable[uuid.UUID], first_day: date, last_day: date
    ) -> Sequence[CollectorAbsence]:
        """Absences of these collectors with at least one day in [first_day, last_day]."""
        ids = list(collector_ids)
        if not ids:
            return []
        result = await self._session.execute(
            select(CollectorAbsence).where(
                CollectorAbsence.collector_id.in_(ids),
                CollectorAbsence.first_day <= last_day,
                CollectorAbsence.last_day >= first_day,
            )
        )
        return result.scalars().all()

    async def remove(self, collector_id: uuid.UUID, absence_id: uuid.UUID) -> bool:
        """Delete one of the collector's absences; False when it is not theirs or not there."""
        result = await self._session.execute(
            delete(CollectorAbsence).where(
                CollectorAbsence.id == absence_id, CollectorAbsence.collector_id == collector_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
