"""Team and collector rules: unique names and staff numbers, known teams, partial updates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.teams.exceptions import (
    AbsenceNotFoundError,
    CollectorNotFoundError,
    EmployeeRefTakenError,
    TeamNameTakenError,
    TeamNotFoundError,
    UnknownTeamError,
)
from doorstep_scheduler.teams.models import Collector, CollectorAbsence, Team
from doorstep_scheduler.teams.repository import (
    AbsenceRepository,
    CollectorRepository,
    TeamRepository,
)
from doorstep_scheduler.teams.schemas import (
    AbsenceCreate,
    CollectorCreate,
    CollectorUpdate,
    TeamCreate,
    TeamUpdate,
)
from doorstep_shared.clock import utc_now


@dataclass(frozen=True)
class StaffedTeam:
    team: Team
    members: Sequence[Collector]  # active or not, by name


class TeamService:
    def __init__(self, session: AsyncSession) -> None:
        self._teams = TeamRepository(session)
        self._collectors = CollectorRepository(session)

    async def by_name(self) -> list[StaffedTeam]:
        teams = await self._teams.all_by_name()
        members = await self._collectors.members_of(team.id for team in teams)
        return [StaffedTeam(team, members.get(team.id, [])) for team in teams]

    async def get(self, team_id: uuid.UUID) -> StaffedTeam:
        team = await self._found(team_id)
        members = await self._collectors.members_of([team.id])
        return StaffedTeam(team, members.get(team.id, []))

    async def create(self, request: TeamCreate) -> StaffedTeam:
        await self._refuse_taken_name(request.name)
        now = utc_now()
        team = Team(
            id=uuid.uuid4(),
            name=request.name,
            active=True,
            region=request.region,
            timezone=request.timezone,
            base_latitude=request.base.latitude if request.base else None,
            base_longitude=request.base.longitude if request.base else None,
            holiday_country=request.holiday_country,
            max_visits_per_day=request.max_visits_per_day,
            created_at=now,
            updated_at=now,
        )
        self._teams.add(team)
        await self._flush(request.name)
        return StaffedTeam(team, [])

    async def update(self, team_id: uuid.UUID, request: TeamUpdate) -> StaffedTeam:
        team = await self._found(team_id)
        changes = request.model_fields_set
        if request.name is not None and request.name != team.name:
            await self._refuse_taken_name(request.name, team.id)
        # The schema refuses null for the fields a team cannot be without.
        for field in (
            "name",
            "active",
            "region",
            "timezone",
            "holiday_country",
            "max_visits_per_day",
        ):
            if field in changes:
                setattr(team, field, getattr(request, field))
        if "base" in changes:
            team.base_latitude = request.base.latitude if request.base else None
            team.base_longitude = request.base.longitude if request.base else None
        team.updated_at = utc_now()
        await self._flush(team.name)
        return await self.get(team.id)

    async def _found(self, team_id: uuid.UUID) -> Team:
        team = await self._teams.get(team_id)
        if team is None:
            raise TeamNotFoundError(f"no team {team_id}")
        return team

    async def _refuse_taken_name(self, name: str, by_other_than: uuid.UUID | None = None) -> None:
        if await self._teams.name_taken(name, by_other_than):
            raise TeamNameTakenError(f"a team named {name!r} exists")

    async def _flush(self, name: str) -> None:
        try:
            await self._teams.flush()
        except IntegrityError as exc:  # another request took the name since the check
            raise TeamNameTakenError(f"a team named {name!r} exists") from exc


class CollectorService:
    def __init__(self, session: AsyncSession) -> None:
        self._collectors = CollectorRepository(session)
        self._teams = TeamRepository(session)

    async def find(
        self, *, team_id: uuid.UUID | None = None, active: bool | None = None
    ) -> Sequence[Collector]:
        return await self._collectors.find(team_id=team_id, active=active)

    async def get(self, collector_id: uuid.UUID) -> Collector:
        collector = await self._collectors.get(collector_id)
        if collector is None:
            raise CollectorNotFoundError(f"no collector {collector_id}")
        return collector

    async def create(self, request: CollectorCreate) -> Collector:
        await self._refuse_taken_ref(request.employee_ref)
        if request.team_id is not None:
            await self._refuse_unknown_team(request.team_id)
        now = utc_now()
        collector = Collector(
            id=uuid.uuid4(),
            employee_ref=request.employee_ref,
            name=request.name,
            team_id=request.team_id,
            active=True,
            work_start=request.working_hours.start,
            work_end=request.working_hours.end,
            working_weekdays=request.working_weekdays,
            languages=request.languages,
            skills=request.skills,
            max_visits_per_day=request.max_visits_per_day,
            created_at=now,
            updated_at=now,
        )
        self._collectors.add(collector)
        await self._flush()
        return collector

    async def update(self, collector_id: uuid.UUID, request: CollectorUpdate) -> Collector:
        collector = await self.get(collector_id)
        changes = request.model_fields_set
        if request.employee_ref is not None and request.employee_ref != collector.employee_ref:
            await self._refuse_taken_ref(request.employee_ref, collector.id)
        if request.team_id is not None and request.team_id != collector.team_id:
            await self._refuse_unknown_team(request.team_id)
        for field in (
            "employee_ref",
            "name",
            "team_id",
            "active",
            "working_weekdays",
            "languages",
            "skills",
            "max_visits_per_day",
        ):
            if field in changes:
                setattr(collector, field, getattr(request, field))
        if request.working_hours is not None:
            collector.work_start = request.working_hours.start
            collector.work_end = request.working_hours.end
        collector.updated_at = utc_now()
        await self._flush()
        return collector

    async def _refuse_taken_ref(self, ref: str, by_other_than: uuid.UUID | None = None) -> None:
        if await self._collectors.employee_ref_taken(ref, by_other_than):
            # The reference is a staff number, not a customer's data: fine to repeat.
            raise EmployeeRefTakenError(f"employee reference {ref!r} is in use")

    async def _refuse_unknown_team(self, team_id: uuid.UUID) -> None:
        if not await self._teams.exists(team_id):
            raise UnknownTeamError(f"no team {team_id}")

    async def _flush(self) -> None:
        try:
            await self._collectors.flush()
        except IntegrityError as exc:  # another request took the reference since the check
            raise EmployeeRefTakenError("the employee reference is in use") from exc


class AbsenceService:
    def __init__(self, session: AsyncSession) -> None:
        self._collectors = CollectorService(session)
        self._absences = AbsenceRepository(session)

    async def of_collector(self, collector_id: uuid.UUID) -> Sequence[CollectorAbsence]:
        await self._collectors.get(collector_id)
        return await self._absences.of_collector(collector_id)

    async def add(self, collector_id: uuid.UUID, request: AbsenceCreate) -> CollectorAbsence:
        # Overlaps are fine: a sickness during leave is two records of the same days off.
        await self._collectors.get(collector_id)
        absence = CollectorAbsence(
            id=uuid.uuid4(),
            collector_id=collector_id,
            first_day=request.first_day,
            last_day=request.last_day,
            reason=request.reason.value,
            created_at=utc_now(),
        )
        self._absences.add(absence)
        await self._absences.flush()
        return absence

    async def remove(self, collector_id: uuid.UUID, absence_id: uuid.UUID) -> None:
        await self._collectors.get(collector_id)
        if not await self._absences.remove(collector_id, absence_id):
            raise AbsenceNotFoundError(f"no absence {absence_id} of collector {collector_id}")
