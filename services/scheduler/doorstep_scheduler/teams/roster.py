"""The teams and members a plan can use over some days, as the planner's values."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.planning.problem import CollectorProfile, GeoPoint, TeamProfile
from doorstep_scheduler.teams.models import Collector, CollectorAbsence, Team
from doorstep_scheduler.teams.repository import (
    AbsenceRepository,
    CollectorRepository,
    TeamRepository,
)


@dataclass(frozen=True, slots=True)
class Roster:
    teams: tuple[TeamProfile, ...]  # active teams with a base, by name
    members: tuple[CollectorProfile, ...]  # every member of those teams, inactive ones flagged
    incomplete_teams: tuple[str, ...] = ()  # names of active teams left out: no base yet


class RosterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._teams = TeamRepository(session)
        self._collectors = CollectorRepository(session)
        self._absences = AbsenceRepository(session)

    async def load(self, first_day: date, last_day: date) -> Roster:
        """Teams and members for planning ``first_day``..``last_day`` (inclusive local dates);
        days off are the members' absences within those days."""
        if last_day < first_day:
            raise ValueError("last_day is before first_day")
        teams = await self._teams.active()
        planned = [team for team in teams if _base(team) is not None]
        members = await self._collectors.members_of(team.id for team in planned)
        everyone = [collector for team in planned for collector in members.get(team.id, [])]
        absences = await self._absences.overlapping(
            (collector.id for collector in everyone), first_day, last_day
        )
        days_off = _days_off(absences, first_day, last_day)
        return Roster(
            teams=tuple(team_profile(team) for team in planned),
            members=tuple(
                collector_profile(member, team.timezone, days_off.get(member.id, frozenset()))
                for team in planned
                for member in members.get(team.id, [])
            ),
            incomplete_teams=tuple(team.name for team in teams if _base(team) is None),
        )


def _base(team: Team) -> GeoPoint | None:
    if team.base_latitude is None or team.base_longitude is None:
        return None
    return GeoPoint(lat=team.base_latitude, lon=team.base_longitude)


def _days_off(
    absences: Iterable[CollectorAbsence], first_day: date, last_day: date
) -> dict[uuid.UUID, frozenset[date]]:
    days: dict[uuid.UUID, set[date]] = defaultdict(set)
    for absence in absences:
        day = max(absence.first_day, first_day)
        until = min(absence.last_day, last_day)
        while day <= until:
            days[absence.collector_id].add(day)
            day += timedelta(days=1)
    return {collector_id: frozenset(off) for collector_id, off in days.items()}


def team_profile(team: Team) -> TeamProfile:
    base = _base(team)
    if base is None:
        raise ValueError("a team without a base cannot be planned")
    return TeamProfile(
        team_id=team.id,
        name=team.name,
        region=team.region,
        base=base,
        max_visits_per_day=team.max_visits_per_day,
        holiday_country=team.holiday_country,
        active=team.active,
    )


def collector_profile(
    collector: Collector, timezone: str, days_off: frozenset[date]
) -> CollectorProfile:
    """A member as planning sees them; their hours are read in their team's ``timezone``."""
    return CollectorProfile(
        collector_id=collector.id,
        team_id=collector.team_id,
        timezone=timezone,
        work_start=collector.work_start,
        work_end=collector.work_end,
        working_weekdays=frozenset(collector.working_weekdays),
        days_off=days_off,
        languages=frozenset(collector.languages),
        skills=frozenset(collector.skills),
        max_visits_per_day=collector.max_visits_per_day,
        active=collector.active,
    )
