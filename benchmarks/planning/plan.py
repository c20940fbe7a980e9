"""The solver-neutral plan, and why a visit is left out of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.planning.instance import Instance

NO_LANGUAGE = "no_team_speaks_language"
WINDOW_OUTSIDE_HOURS = "window_outside_every_team_shift"
CAPACITY_OR_TIME = "capacity_or_time"


@dataclass(frozen=True, slots=True)
class Stop:
    visit: int  # index into instance.visits
    start: int  # planned service start, seconds since midnight


@dataclass(slots=True)
class Route:
    team: int  # index into instance.teams
    day: int
    stops: list[Stop]


@dataclass(slots=True)
class Plan:
    routes: list[Route]
    dropped: dict[int, str] = field(default_factory=dict)  # visit index -> reason


def structural_reason(instance: Instance, visit_index: int) -> str | None:
    """Why a visit cannot be planned whatever the other visits do, or None if it could be."""
    visit = instance.visits[visit_index]
    matrix = instance.matrix()
    node = instance.visit_node(visit_index)
    speakers = [j for j, t in enumerate(instance.teams) if visit.language in t.languages]
    if not speakers:
        return NO_LANGUAGE
    for j in speakers:
        team = instance.teams[j]
        home = instance.team_node(j)
        earliest = max(visit.window_start, team.shift_start + matrix[home][node])
        if earliest + visit.service <= visit.window_end and (
            earliest + visit.service + matrix[node][home] <= team.shift_end
        ):
            return None
    return WINDOW_OUTSIDE_HOURS


def drop_reason(instance: Instance, visit_index: int) -> str:
    return structural_reason(instance, visit_index) or CAPACITY_OR_TIME


def team_may_serve(instance: Instance, team_index: int, visit_index: int) -> bool:
    return instance.visits[visit_index].language in instance.teams[team_index].languages
