"""OR-Tools (routing library) model: one vehicle per team-day, visits as optional nodes.

- Vehicle ``team * days + day`` starts and ends at the team's home node; its start and end
  cumuls of the ``time`` dimension are bounded by the shift.
- ``time`` transit = travel + service at the from-node; a visit's cumul (service start) is
  bounded by its window start and window end minus service. Waiting is the dimension's slack.
- ``count`` dimension: 1 per visit, vehicle capacity = max visits per day.
- Language: the team-days that do not speak it are removed from the visit's ``VehicleVar``.
- Every visit is a one-node disjunction with a penalty, so the solver may drop it. Visits that
  cannot be planned whatever happens are left out of the model with their reason.
- Transits are registered as matrices (``RegisterTransitMatrix``): a Python callback per arc
  evaluation is several times slower on 2,000 nodes.
"""

from __future__ import annotations

import time
from importlib.metadata import version

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from benchmarks.planning.instance import Instance
from benchmarks.planning.plan import CAPACITY_OR_TIME, Plan, Route, Stop, structural_reason

NAME = "ortools"
VERSION = version("ortools")
PENALTY = 100_000  # same worth of a planned visit as in the PyVRP model
DAY = 24 * 3600


def solve(instance: Instance, seconds: float, seed: int = 1) -> tuple[Plan, dict[str, object]]:
    del seed  # the routing search is deterministic
    started = time.perf_counter()
    dropped: dict[int, str] = {}
    modelled: list[int] = []
    for i in range(len(instance.visits)):
        reason = structural_reason(instance, i)
        if reason:
            dropped[i] = reason
        else:
            modelled.append(i)

    teams = instance.teams
    n_teams = len(teams)
    days = instance.days
    full = instance.matrix()
    nodes = list(range(n_teams)) + [instance.visit_node(i) for i in modelled]
    travel = [[full[a][b] for b in nodes] for a in nodes]
    service = [0] * n_teams + [instance.visits[i].service for i in modelled]
    timing = [[travel[a][b] + service[a] for b in range(len(nodes))] for a in range(len(nodes))]

    n_vehicles = n_teams * days
    homes = [v // days for v in range(n_vehicles)]
    manager = pywrapcp.RoutingIndexManager(len(nodes), n_vehicles, homes, homes)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(travel))

    routing.AddDimension(routing.RegisterTransitMatrix(timing), DAY, DAY, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    count_cb = routing.RegisterUnaryTransitVector([0] * n_teams + [1] * len(modelled))
    routing.AddDimensionWithVehicleCapacity(
        count_cb, 0, [teams[homes[v]].max_visits_per_day for v in range(n_vehicles)], True, "count"
    )
    for v in range(n_vehicles):
        team = teams[homes[v]]
        time_dim.CumulVar(routing.Start(v)).SetRange(team.shift_start, team.shift_end)
        time_dim.CumulVar(routing.End(v)).SetRange(team.shift_start, team.shift_end)

    barred_by_language: dict[str, list[int]] = {}
    for k, i in enumerate(modelled):
        visit = instance.visits[i]
        index = manager.NodeToIndex(n_teams + k)
        time_dim.CumulVar(index).SetRange(visit.window_start, visit.window_end - visit.service)
        barred = barred_by_language.setdefault(
            visit.language,
            [v for v in range(n_vehicles) if visit.language not in teams[homes[v]].languages],
        )
        # SetAllowedVehiclesForIndex takes an absl::Span that the 9.15 Python wrapper does not
        # convert from a list; removing values from the vehicle variable is the same constraint.
        routing.VehicleVar(index).RemoveValues(barred)
        routing.AddDisjunction([index], PENALTY)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    built = time.perf_counter()
    budget = max(1.0, seconds - (built - started))
    params.time_limit.FromMilliseconds(int(budget * 1000))
    solution = routing.SolveWithParameters(params)

    routes: list[Route] = []
    if solution is not None:
        for v in range(n_vehicles):
            stops: list[Stop] = []
            index = solution.Value(routing.NextVar(routing.Start(v)))
            while not routing.IsEnd(index):
                k = manager.IndexToNode(index) - n_teams
                start = solution.Min(time_dim.CumulVar(index))
                stops.append(Stop(visit=modelled[k], start=start))
                index = solution.Value(routing.NextVar(index))
            routes.append(Route(team=homes[v], day=v % days, stops=stops))
    planned = {s.visit for r in routes for s in r.stops}
    for i in modelled:
        if i not in planned:
            dropped[i] = CAPACITY_OR_TIME
    stats: dict[str, object] = {
        "build_seconds": round(built - started, 3),
        "status": str(routing.status()),
        "solver_objective": solution.ObjectiveValue() if solution is not None else None,
    }
    return Plan(routes, dropped), stats
