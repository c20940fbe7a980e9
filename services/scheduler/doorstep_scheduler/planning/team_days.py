"""Which teams can work on which days of the horizon, for how long, and with which languages.

A team-day is the team's members available that day (active, on a working weekday, not on
leave): its shift is the stretch all of them work, each read in their own timezone, and it is
only a team-day if enough of them are there for the pack's minimum team size (China: 2).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from doorstep_scheduler.planning.problem import (
    CollectorProfile,
    ExcludedTeamDay,
    TeamDay,
    TeamProfile,
    TimeWindow,
)

INACTIVE = "inactive"
PUBLIC_HOLIDAY = "public_holiday"
TEAM_BELOW_MINIMUM = "team_below_minimum"
NO_COMMON_HOURS = "no_common_hours"
NO_CAPACITY = "no_capacity"


def build_team_days(
    teams: Sequence[TeamProfile],
    members: Sequence[CollectorProfile],
    days: Sequence[date],
    *,
    min_team_size: int,
) -> tuple[list[TeamDay], list[ExcludedTeamDay]]:
    """Every (team, day) either as a team-day or excluded with its reason, in team then day
    order. ``days`` are the teams' local working dates."""
    by_team: dict[object, list[CollectorProfile]] = {}
    for member in members:
        by_team.setdefault(member.team_id, []).append(member)
    ordered = sorted(set(days))
    team_days: list[TeamDay] = []
    excluded: list[ExcludedTeamDay] = []
    for team in teams:
        crew = by_team.get(team.team_id, [])
        for day in ordered:
            outcome = _team_day(team, crew, day, min_team_size)
            if isinstance(outcome, TeamDay):
                team_days.append(outcome)
            else:
                code, reason = outcome
                excluded.append(ExcludedTeamDay(team.team_id, day, code, reason))
    return team_days, excluded


def _team_day(
    team: TeamProfile, crew: list[CollectorProfile], day: date, min_team_size: int
) -> TeamDay | tuple[str, str]:
    if not team.active:
        return INACTIVE, "the team is inactive"
    if team.holiday_country and _holiday(team.holiday_country, day):
        return PUBLIC_HOLIDAY, f"{day.isoformat()} is a public holiday in {team.holiday_country}"
    present = [
        m
        for m in crew
        if m.active and day.weekday() in m.working_weekdays and day not in m.days_off
    ]
    if len(present) < max(1, min_team_size):
        return TEAM_BELOW_MINIMUM, (
            f"{len(present)} of the team's collectors work that day; "
            f"a visit team needs at least {max(1, min_team_size)}"
        )
    start, end = _common_hours(present, day)
    if end <= start:
        return NO_COMMON_HOURS, "the available collectors' working hours do not overlap that day"
    capacity = min([team.max_visits_per_day, *(m.max_visits_per_day for m in present)])
    if capacity < 1:
        return NO_CAPACITY, "the team-day can take no visit (daily visit limit is 0)"
    return TeamDay(
        team_id=team.team_id,
        day=day,
        shift=TimeWindow(start, end),
        base=team.base,
        capacity=capacity,
        languages=frozenset().union(*(m.languages for m in present)),
        skills=frozenset().union(*(m.skills for m in present)),
        size=len(present),
        region=team.region,
    )


def _common_hours(present: list[CollectorProfile], day: date) -> tuple[datetime, datetime]:
    """The latest start and the earliest end of the members' days, each in their own zone, in
    UTC (an ambiguous wall time reads as its first occurrence)."""
    starts, ends = [], []
    for member in present:
        zone = ZoneInfo(member.timezone)
        starts.append(datetime.combine(day, member.work_start, zone).astimezone(UTC))
        ends.append(datetime.combine(day, member.work_end, zone).astimezone(UTC))
    return max(starts), min(ends)


@lru_cache(maxsize=16)
def _calendar(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


# Looking up a new year fills in the shared calendar: one lookup at a time.
_HOLIDAY_LOCK = threading.Lock()


def _holiday(country: str, day: date) -> bool:
    with _HOLIDAY_LOCK:
        return day in _calendar(country)
