"""PyVRP model: team-days are vehicles, visits are optional clients with a prize.

- One vehicle type per team, ``num_available = days``: its depot is the home base, its time
  window the shift, and the identical routes of one type are numbered into days.
- Load dimension 0 counts visits (capacity = max visits per day). Language is one more load
  dimension per language: a visit delivers 1 in its language's dimension and a team's capacity
  there is 0 unless it speaks the language. PyVRP has no per-client allowed-vehicle list; this
  is exact (a feasible solution never carries a load it has no capacity for).
- A client's ``tw_late`` bounds the *start* of service, so it is window end minus service time.
- Visits that cannot be planned whatever happens (no team speaks the language; window outside
  every team's shift) are left out of the model with their reason; the solver may drop others
  (``required=False``, prize) and those are reported as capacity/time.
"""

from __future__ import annotations

import time
from importlib.metadata import version

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from benchmarks.planning.instance import Instance
from benchmarks.planning.plan import CAPACITY_OR_TIME, Plan, Route, Stop, structural_reason

NAME = "pyvrp"
VERSION = version("pyvrp")
PRIZE = 100_000  # seconds of travel a planned visit is worth: far above any detour


def build(instance: Instance) -> tuple[pyvrp.ProblemData, list[int], dict[int, str]]:
    dropped: dict[int, str] = {}
    modelled: list[int] = []
    for i in range(len(instance.visits)):
        reason = structural_reason(instance, i)
        if reason:
            dropped[i] = reason
        else:
            modelled.append(i)

    languages = sorted({lang for t in instance.teams for lang in t.languages})
    locations = [pyvrp.Location(x=0, y=0, name=t.id) for t in instance.teams]
    locations += [pyvrp.Location(x=0, y=0, name=v.id) for v in instance.visits]
    depots = [
        pyvrp.Depot(location=j, tw_early=t.shift_start, tw_late=t.shift_end, name=t.id)
        for j, t in enumerate(instance.teams)
    ]
    clients = []
    for i in modelled:
        v = instance.visits[i]
        clients.append(
            pyvrp.Client(
                location=instance.visit_node(i),
                delivery=[1] + [int(v.language == lang) for lang in languages],
                service_duration=v.service,
                tw_early=v.window_start,
                tw_late=v.window_end - v.service,
                prize=PRIZE,
                required=False,
                name=v.id,
            )
        )
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=instance.days,
            capacity=[t.max_visits_per_day]
            + [t.max_visits_per_day if lang in t.languages else 0 for lang in languages],
            start_depot=j,
            end_depot=j,
            tw_early=t.shift_start,
            tw_late=t.shift_end,
            unit_distance_cost=1,
            name=t.id,
        )
        for j, t in enumerate(instance.teams)
    ]
    matrix = np.asarray(instance.matrix(), dtype=np.int64)
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [matrix], [matrix])
    return data, modelled, dropped


def solve(instance: Instance, seconds: float, seed: int = 1) -> tuple[Plan, dict[str, object]]:
    started = time.perf_counter()
    data, modelled, dropped = build(instance)
    built = time.perf_counter()
    budget = max(0.1, seconds - (built - started))
    result = pyvrp.solve(data, stop=MaxRuntime(budget), seed=seed, display=False)
    best = result.best

    routes: list[Route] = []
    next_day: dict[int, int] = {}
    for route in best.routes():
        team = route.vehicle_type()
        day = next_day.get(team, 0)
        next_day[team] = day + 1
        stops = [
            Stop(visit=modelled[a.idx], start=a.start_time)
            for a in route.schedule()
            if a.is_client()  # a method: the bare attribute is always truthy
        ]
        routes.append(Route(team=team, day=day, stops=stops))
    planned = {s.visit for r in routes for s in r.stops}
    for i in modelled:
        if i not in planned:
            dropped[i] = CAPACITY_OR_TIME
    stats: dict[str, object] = {
        "build_seconds": round(built - started, 3),
        "solver_feasible": best.is_feasible(),
        "solver_objective": result.cost(),
        "iterations": result.num_iterations,
    }
    return Plan(routes, dropped), stats
