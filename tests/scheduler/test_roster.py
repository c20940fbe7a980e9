"""The roster planning loads (teams and members as planning values) and the demo teams."""

from __future__ import annotations

import math
import uuid
from datetime import date, time
from typing import Any

import pytest

from doorstep_scheduler import models  # noqa: F401  (every mapper configured)
from doorstep_scheduler.planning.problem import GeoPoint
from doorstep_scheduler.teams.roster import Roster, RosterRepository
from doorstep_scheduler.teams.schemas import (
    AbsenceCreate,
    AbsenceReason,
    CollectorCreate,
    CollectorUpdate,
    TeamCreate,
    TeamUpdate,
)
from doorstep_scheduler.teams.seed import create_demo_teams, seed_demo_teams
from doorstep_scheduler.teams.service import AbsenceService, CollectorService, TeamService
from tests.scheduler.conftest import SchedulerDb

MONDAY, FRIDAY = date(2026, 12, 7), date(2026, 12, 11)
LONDON = GeoPoint(51.5074, -0.1278)


async def add_team(db: SchedulerDb, **changes: Any) -> uuid.UUID:
    fields: dict[str, Any] = {
        "name": "Shanghai East",
        "region": "pudong",
        "timezone": "Asia/Shanghai",
        "base": {"latitude": 31.2304, "longitude": 121.4737},
        "holiday_country": "CN",
        "max_visits_per_day": 6,
        **changes,
    }
    async with db.sessionmaker() as session, session.begin():
        staffed = await TeamService(session).create(TeamCreate.model_validate(fields))
    return staffed.team.id


async def add_member(db: SchedulerDb, team_id: uuid.UUID | None, **changes: Any) -> uuid.UUID:
    fields: dict[str, Any] = {
        "employee_ref": f"E-{uuid.uuid4().hex[:8]}",
        "name": "Li Wei",
        "team_id": team_id,
        "working_hours": {"start": "08:30", "end": "17:00"},
        "working_weekdays": [0, 1, 2, 3, 4, 5],
        "languages": ["zh-CN", "en"],
        "skills": ["sme"],
        "max_visits_per_day": 5,
        **changes,
    }
    async with db.sessionmaker() as session, session.begin():
        collector = await CollectorService(session).create(CollectorCreate.model_validate(fields))
    return collector.id


async def add_absence(db: SchedulerDb, collector_id: uuid.UUID, first: date, last: date) -> None:
    request = AbsenceCreate(first_day=first, last_day=last, reason=AbsenceReason.LEAVE)
    async with db.sessionmaker() as session, session.begin():
        await AbsenceService(session).add(collector_id, request)


async def load(db: SchedulerDb, first: date = MONDAY, last: date = FRIDAY) -> Roster:
    async with db.sessionmaker() as session:
        return await RosterRepository(session).load(first, last)


def km(a: GeoPoint, b: GeoPoint) -> float:
    dlat, dlon = math.radians(b.lat - a.lat), math.radians(b.lon - a.lon)
    h = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(a.lat)) * math.cos(math.radians(b.lat)) * math.sin(dlon / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


async def test_a_team_and_its_members_become_planning_profiles(scheduler_db: SchedulerDb) -> None:
    team_id = await add_team(scheduler_db)
    li = await add_member(scheduler_db, team_id)

    roster = await load(scheduler_db)

    [team] = roster.teams
    assert team.team_id == team_id
    assert (team.name, team.region, team.holiday_country) == ("Shanghai East", "pudong", "CN")
    assert team.base == GeoPoint(31.2304, 121.4737)
    assert team.max_visits_per_day == 6
    [profile] = roster.members
    assert profile.collector_id == li
    assert profile.team_id == team_id
    assert profile.timezone == "Asia/Shanghai"  # the team's zone
    assert (profile.work_start, profile.work_end) == (time(8, 30), time(17, 0))
    assert profile.working_weekdays == frozenset(range(6))
    assert profile.languages == frozenset({"zh-CN", "en"})
    assert profile.skills == frozenset({"sme"})
    assert profile.max_visits_per_day == 5
    assert profile.days_off == frozenset()
    assert profile.active is True
    assert roster.incomplete_teams == ()


async def test_absences_become_days_off_within_the_planned_days_only(
    scheduler_db: SchedulerDb,
) -> None:
    team_id = await add_team(scheduler_db)
    li = await add_member(scheduler_db, team_id)
    wang = await add_member(scheduler_db, team_id, name="Wang Fang")
    # Starts before the planned days, overlaps another absence, and one is after them.
    await add_absence(scheduler_db, li, date(2026, 12, 3), date(2026, 12, 8))
    await add_absence(scheduler_db, li, date(2026, 12, 8), date(2026, 12, 9))
    await add_absence(scheduler_db, li, date(2026, 12, 14), date(2026, 12, 18))
    await add_absence(scheduler_db, wang, date(2026, 12, 11), date(2026, 12, 20))

    roster = await load(scheduler_db)

    days_off = {member.collector_id: member.days_off for member in roster.members}
    assert days_off[li] == {date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)}
    assert days_off[wang] == {date(2026, 12, 11)}
    later = await load(scheduler_db, date(2026, 12, 14), date(2026, 12, 15))
    assert {m.collector_id: m.days_off for m in later.members}[li] == {
        date(2026, 12, 14),
        date(2026, 12, 15),
    }


async def test_teams_without_a_base_are_left_out_and_named(scheduler_db: SchedulerDb) -> None:
    planned = await add_team(scheduler_db)
    no_base = await add_team(scheduler_db, name="Beijing", base=None)
    retired = await add_team(scheduler_db, name="Retired", base=None)
    async with scheduler_db.sessionmaker() as session, session.begin():
        await TeamService(session).update(retired, TeamUpdate(active=False))
    await add_member(scheduler_db, planned)
    await add_member(scheduler_db, no_base)

    roster = await load(scheduler_db)

    assert [team.team_id for team in roster.teams] == [planned]
    assert {member.team_id for member in roster.members} == {planned}
    assert roster.incomplete_teams == ("Beijing",)  # inactive teams are not incomplete


async def test_inactive_teams_are_left_out_and_members_outside_teams_ignored(
    scheduler_db: SchedulerDb,
) -> None:
    kept = await add_team(scheduler_db)
    retired = await add_team(scheduler_db, name="Retired")
    async with scheduler_db.sessionmaker() as session, session.begin():
        await TeamService(session).update(retired, TeamUpdate(active=False))
    member = await add_member(scheduler_db, kept)
    await add_member(scheduler_db, retired)
    await add_member(scheduler_db, None)

    roster = await load(scheduler_db)

    assert [team.team_id for team in roster.teams] == [kept]
    assert [m.collector_id for m in roster.members] == [member]


async def test_inactive_members_are_flagged(scheduler_db: SchedulerDb) -> None:
    team_id = await add_team(scheduler_db)
    away = await add_member(scheduler_db, team_id)
    here = await add_member(scheduler_db, team_id, name="Wang Fang")
    async with scheduler_db.sessionmaker() as session, session.begin():
        await CollectorService(session).update(away, CollectorUpdate(active=False))

    roster = await load(scheduler_db)

    assert {m.collector_id: m.active for m in roster.members} == {away: False, here: True}


async def test_a_member_moved_to_another_team_takes_its_zone(scheduler_db: SchedulerDb) -> None:
    shanghai = await add_team(scheduler_db)
    london = await add_team(
        scheduler_db,
        name="London North",
        timezone="Europe/London",
        base={"latitude": 51.54, "longitude": -0.14},
        holiday_country="GB",
    )
    li = await add_member(scheduler_db, shanghai)
    async with scheduler_db.sessionmaker() as session, session.begin():
        await CollectorService(session).update(li, CollectorUpdate(team_id=london))

    [profile] = (await load(scheduler_db)).members

    assert (profile.team_id, profile.timezone) == (london, "Europe/London")


async def test_a_roster_needs_ordered_days(scheduler_db: SchedulerDb) -> None:
    with pytest.raises(ValueError, match="before"):
        await load(scheduler_db, FRIDAY, MONDAY)


# --- demo teams ---


async def test_demo_teams_are_created_once_around_london(scheduler_db: SchedulerDb) -> None:
    assert await seed_demo_teams(scheduler_db.sessionmaker, 3) == 3
    assert await seed_demo_teams(scheduler_db.sessionmaker, 3) == 0

    roster = await load(scheduler_db)

    assert [team.name for team in roster.teams] == ["Team 1", "Team 2", "Team 3"]
    assert {team.holiday_country for team in roster.teams} == {"GB"}
    assert {team.max_visits_per_day for team in roster.teams} == {8}
    bases = [team.base for team in roster.teams]
    assert all(km(base, LONDON) < 10 for base in bases)
    assert all(km(a, b) > 1 for i, a in enumerate(bases) for b in bases[i + 1 :])
    by_team: dict[uuid.UUID | None, list[Any]] = {}
    for member in roster.members:
        by_team.setdefault(member.team_id, []).append(member)
    assert sorted(len(members) for members in by_team.values()) == [2, 2, 2]
    for member in roster.members:
        assert member.timezone == "Europe/London"
        assert (member.work_start, member.work_end) == (time(9), time(18))
        assert member.working_weekdays == frozenset(range(5))
        assert "en" in member.languages
        assert member.max_visits_per_day == 8
    spoken = frozenset().union(*(member.languages for member in roster.members))
    assert {"zh-CN", "pl"} <= spoken


async def test_no_demo_teams_when_a_team_exists(scheduler_db: SchedulerDb) -> None:
    await add_team(scheduler_db)
    assert await seed_demo_teams(scheduler_db.sessionmaker, 3) == 0
    assert [team.name for team in (await load(scheduler_db)).teams] == ["Shanghai East"]


async def test_no_demo_teams_when_none_are_asked_for(scheduler_db: SchedulerDb) -> None:
    async with scheduler_db.sessionmaker() as session, session.begin():
        assert await create_demo_teams(session, 0) == 0
    assert (await load(scheduler_db)).teams == ()
