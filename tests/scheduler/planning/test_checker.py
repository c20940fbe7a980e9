"""The checker finds each kind of broken plan (and passes the solver's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from doorstep_scheduler.planning.checker import check_plan
from doorstep_scheduler.planning.problem import (
    ExcludedTeamDay,
    PlannedStop,
    PlanningProblem,
    PlanResult,
    TimeWindow,
    VisitDemand,
)
from doorstep_scheduler.planning.solver import PyVrpPlanner
from tests.scheduler.planning.support import (
    BUDGET,
    MONDAY,
    TRAVEL,
    demand,
    pin,
    team_day,
    window,
)

ENGLISH = team_day(1, capacity=4, skills=frozenset({"legal"}), region="north")
FRENCH = team_day(2, languages=frozenset({"fr"}))
VISITS = (
    demand(0, window(MONDAY, 9, 12)),
    demand(1, window(MONDAY, 13, 16), skills=frozenset({"legal"}), region="north"),
    demand(2),
    demand(3, language="fr"),
)
PROBLEM = PlanningProblem((ENGLISH, FRENCH), VISITS)

Breaker = Callable[[PlanningProblem, PlanResult], tuple[PlanningProblem, PlanResult]]


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    result = PyVrpPlanner(TRAVEL, time_budget_seconds=BUDGET).plan(PROBLEM)
    assert check_plan(PROBLEM, result, TRAVEL) == []
    assert len(result.stops) == 4
    return result


def stop_of(result: PlanResult, n: int) -> PlannedStop:
    return next(s for s in result.stops if s.visit_id == VISITS[n].visit_id)


def with_stop(result: PlanResult, old: PlannedStop, new: PlannedStop) -> PlanResult:
    return replace(result, stops=tuple(new if s is old else s for s in result.stops))


def shifted(result: PlanResult, n: int, by: timedelta) -> PlanResult:
    """Stop ``n`` (and its appointment window) moved in time."""
    old = stop_of(result, n)
    moved = replace(
        old,
        service_start=old.service_start + by,
        window=TimeWindow(old.window.start + by, old.window.end + by),
    )
    return with_stop(result, old, moved)


def outside_window(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    return p, shifted(r, 0, timedelta(hours=3, minutes=30))  # 9-12 window: now after it


def too_early(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    first = min((s for s in r.stops if s.team_id == ENGLISH.team_id), key=lambda s: s.position)
    before_shift = first.service_start - ENGLISH.shift.start + timedelta(minutes=1)
    return p, shifted(r, VISITS.index(_visit(first)), -before_shift)


def _visit(stop: PlannedStop) -> VisitDemand:
    return next(v for v in VISITS if v.visit_id == stop.visit_id)


def appointment_too_wide(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    old = stop_of(r, 2)
    wide = replace(old, window=TimeWindow(old.window.start, old.window.end + timedelta(hours=1)))
    return p, with_stop(r, old, wide)


def appointment_misses_visit(
    p: PlanningProblem, r: PlanResult
) -> tuple[PlanningProblem, PlanResult]:
    old = stop_of(r, 2)
    later = old.service_start + timedelta(minutes=45)
    return p, with_stop(r, old, replace(old, window=TimeWindow(later, later + timedelta(hours=2))))


def wrong_language(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    speaking_only_french = replace(ENGLISH, languages=frozenset({"fr"}))
    return replace(p, team_days=(speaking_only_french, FRENCH)), r


def missing_skill(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    return replace(p, team_days=(replace(ENGLISH, skills=frozenset()), FRENCH)), r


def other_region(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    return replace(p, team_days=(replace(ENGLISH, region="south"), FRENCH)), r


def over_capacity(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    return replace(p, team_days=(replace(ENGLISH, capacity=1), FRENCH)), r


def team_too_small(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    return replace(p, min_team_size=3), r


def shift_too_short(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    last = max((s for s in r.stops if s.team_id == ENGLISH.team_id), key=lambda s: s.position)
    end = last.service_start + timedelta(minutes=31)  # the visit ends, the drive back does not fit
    short = replace(ENGLISH, shift=TimeWindow(ENGLISH.shift.start, end))
    return replace(p, team_days=(short, FRENCH)), r


def excluded(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    gone = ExcludedTeamDay(FRENCH.team_id, MONDAY, "public_holiday", "a public holiday")
    return replace(p, excluded_team_days=(gone,)), r


def planned_twice(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    return p, replace(r, stops=(*r.stops, stop_of(r, 3)))


def forgotten(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    return p, replace(r, stops=tuple(s for s in r.stops if s is not stop_of(r, 3)))


def bad_travel(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    return p, replace(r, travel=r.travel - timedelta(minutes=5))


def bad_leg(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    old = stop_of(r, 3)
    return p, with_stop(r, old, replace(old, travel_from_previous=timedelta(0)))


def pinned_moved(p: PlanningProblem, r: PlanResult) -> tuple[PlanningProblem, PlanResult]:
    kept = pin(stop_of(r, 2), VISITS[2])
    announced = TimeWindow(kept.window.start - timedelta(hours=3), kept.window.end)
    problem = replace(p, demands=VISITS[:2] + VISITS[3:], pinned=(replace(kept, window=announced),))
    old = stop_of(r, 2)
    return problem, with_stop(r, old, replace(old, pinned=True))


@pytest.mark.parametrize(
    ("breaker", "finding"),
    [
        (outside_window, "not inside any of the visit's windows"),
        (too_early, "starts before the team can be there"),
        (appointment_too_wide, "wider than"),
        (appointment_misses_visit, "does not hold the visit"),
        (wrong_language, "does not speak the visit's language"),
        (missing_skill, "lacks a skill"),
        (other_region, "another region"),
        (over_capacity, "capacity 1"),
        (team_too_small, "the minimum is 3"),
        (shift_too_short, "back at the base after the shift ends"),
        (excluded, "excluded team-day"),
        (planned_twice, "planned 2 times"),
        (forgotten, "neither planned nor reported"),
        (bad_travel, "total travel"),
        (bad_leg, "travel_from_previous"),
        (pinned_moved, "kept appointment's window changed"),
    ],
)
def test_the_checker_reports_a_broken_plan(
    plan: PlanResult, breaker: Breaker, finding: str
) -> None:
    problem, result = breaker(PROBLEM, plan)
    findings = check_plan(problem, result, TRAVEL)
    assert any(finding in f for f in findings), findings
