"""An independent check of a plan against its problem: trusts nothing but the stops themselves.

Drive times are recomputed with the travel model, leg by leg from the team's base and back;
windows, shifts, capacity, language, skills, region, team size and kept appointments are read
from the problem. Used by the tests and the benchmark, and cheap enough to run on every plan.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta

from doorstep_scheduler.planning.problem import (
    GeoPoint,
    PinnedVisit,
    PlannedStop,
    PlanningProblem,
    PlanResult,
    TeamDay,
    TravelModel,
    VisitDemand,
)


def check_plan(problem: PlanningProblem, result: PlanResult, travel: TravelModel) -> list[str]:
    """Every broken rule of ``result``, in words; an empty list for a lawful, consistent plan."""
    demands = {d.visit_id: d for d in problem.demands}
    pinned = {p.visit_id: p for p in problem.pinned}
    team_days = {t.key: t for t in problem.team_days}
    excluded = {(e.team_id, e.day) for e in problem.excluded_team_days}
    problems: list[str] = []

    counts = Counter(s.visit_id for s in result.stops)
    problems += [f"visit {v} is planned {n} times" for v, n in counts.items() if n > 1]
    left_out = {u.visit_id for u in result.unplanned}
    problems += [f"visit {v} is both planned and unplanned" for v in counts if v in left_out]
    for visit_id in {*demands, *pinned} - set(counts) - left_out:
        problems.append(f"visit {visit_id} is neither planned nor reported unplanned")
    problems += [
        f"visit {u.visit_id} is unplanned without a reason"
        for u in result.unplanned
        if not (u.reason_code and u.reason)
    ]

    routes: dict[tuple[uuid.UUID, date], list[PlannedStop]] = {}
    for stop in result.stops:
        routes.setdefault((stop.team_id, stop.day), []).append(stop)
    total = 0
    for key, stops in routes.items():
        where = f"team {key[0]} on {key[1].isoformat()}"
        team_day = team_days.get(key)
        if key in excluded:
            problems.append(f"{where}: stops on an excluded team-day")
        if team_day is None:
            problems.append(f"{where}: stops on a team-day the problem does not offer")
            continue
        problems += _check_team_day(problem, team_day, where, len(stops))
        stops.sort(key=lambda s: s.position)
        if [s.position for s in stops] != list(range(1, len(stops) + 1)):
            problems.append(f"{where}: positions are not 1..{len(stops)}")
        here, free = team_day.base, team_day.shift.start
        for stop in stops:
            what = f"visit {stop.visit_id} ({where}, position {stop.position})"
            located = _visit(stop, demands, pinned)
            if located is None:
                problems.append(f"{what}: not a visit of the problem")
                continue
            location, service = located
            leg = travel.seconds(here, location)
            total += leg
            if stop.travel_from_previous != timedelta(seconds=leg):
                problems.append(
                    f"{what}: travel_from_previous is not the drive from the stop before"
                )
            if stop.service_start < free + timedelta(seconds=leg):
                problems.append(f"{what}: starts before the team can be there")
            end = stop.service_start + service
            if stop.service_start < team_day.shift.start or end > team_day.shift.end:
                problems.append(f"{what}: outside the team-day's shift")
            if stop.visit_id in pinned:
                problems += _check_pinned(stop, pinned[stop.visit_id], what)
            else:
                problems += _check_demand(problem, stop, demands[stop.visit_id], team_day, what)
            here, free = location, end
        back = travel.seconds(here, team_day.base)
        total += back
        if free + timedelta(seconds=back) > team_day.shift.end:
            problems.append(f"{where}: back at the base after the shift ends")
    if result.travel != timedelta(seconds=total):
        problems.append(
            f"total travel is {result.travel}, the routes drive {timedelta(seconds=total)}"
        )
    return problems


def _visit(
    stop: PlannedStop, demands: dict[uuid.UUID, VisitDemand], pinned: dict[uuid.UUID, PinnedVisit]
) -> tuple[GeoPoint, timedelta] | None:
    if stop.visit_id in pinned:
        pin = pinned[stop.visit_id]
        return pin.location, pin.service
    if stop.visit_id in demands:
        demand = demands[stop.visit_id]
        return demand.location, demand.service
    return None


def _check_team_day(
    problem: PlanningProblem, team_day: TeamDay, where: str, stops: int
) -> list[str]:
    out = []
    if stops > team_day.capacity:
        out.append(f"{where}: {stops} visits, capacity {team_day.capacity}")
    if team_day.size < problem.min_team_size:
        out.append(f"{where}: {team_day.size} collectors, the minimum is {problem.min_team_size}")
    return out


def _check_pinned(stop: PlannedStop, pin: PinnedVisit, what: str) -> list[str]:
    out = []
    if not stop.pinned:
        out.append(f"{what}: a kept appointment not marked pinned")
    if (stop.team_id, stop.day) != (pin.team_id, pin.day):
        out.append(f"{what}: a kept appointment moved to another team or day")
    if stop.window != pin.window:
        out.append(f"{what}: a kept appointment's window changed")
    if not pin.window.start <= stop.service_start <= pin.window.end:
        out.append(f"{what}: starts outside its announced window")
    elif pin.window.duration >= pin.service and stop.service_start + pin.service > pin.window.end:
        out.append(f"{what}: ends after its announced window")
    return out


def _check_demand(
    problem: PlanningProblem, stop: PlannedStop, demand: VisitDemand, team_day: TeamDay, what: str
) -> list[str]:
    out = []
    end = stop.service_start + demand.service
    if stop.pinned:
        out.append(f"{what}: marked pinned but not a kept appointment")
    holding = [w for w in demand.windows if w.start <= stop.service_start and end <= w.end]
    if not holding:
        out.append(f"{what}: not inside any of the visit's windows")
    if not (stop.window.start <= stop.service_start and end <= stop.window.end):
        out.append(f"{what}: the appointment window does not hold the visit")
    if not any(w.contains(stop.window) for w in holding):
        out.append(f"{what}: the appointment window leaves the visit's window")
    if stop.window.duration > max(problem.appointment_window, demand.service):
        out.append(f"{what}: the appointment window is wider than {problem.appointment_window}")
    if demand.language not in team_day.languages:
        out.append(f"{what}: the team does not speak the visit's language")
    if not demand.skills <= team_day.skills:
        out.append(f"{what}: the team lacks a skill the visit needs")
    if team_day.region and demand.region and team_day.region != demand.region:
        out.append(f"{what}: the team works in another region")
    return out
