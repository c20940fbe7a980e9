"""The search: PyVRP's iterated local search from a given start, in three stretches.

Most of a plan's travel is the drive from the base to the first visit and back from the last
(about 70% on the benchmark), so the search is mostly about which team-days go out and with
which visits. It runs:

1. on the whole fleet, a fifth of the time: the plan settles which team-days it uses;
2. on those team-days only, most of the time: with no empty routes to try, each iteration is
   cheaper and the moves go to the routes that matter (measured: better at the same count of
   iterations, and more of them per second);
3. on the whole fleet again, the rest: a visit the narrower fleet could not take, or a team-day
   worth sending out after all, comes back.

Each stretch starts from the best plan before it and keeps it unless it finds a better one, so
narrowing the fleet never costs a visit. Each stretch also stops when nothing has improved for
a while (scaled by the problem's size): a small problem takes milliseconds, not the budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyvrp
from pyvrp.search import LocalSearch, PerturbationManager, PerturbationParams, compute_neighbours
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement, StoppingCriterion

MIN_SOLVE_SECONDS = 0.05
# Tuned on the benchmark (benchmarks/planning): a short late-acceptance history, smaller
# perturbations and more frequent penalty updates converge faster within seconds than PyVRP's
# defaults (300; 1-25; 500).
PARAMS = pyvrp.SolveParams(
    ils=pyvrp.IteratedLocalSearchParams(history_length=20),
    perturbation=PerturbationParams(min_perturbations=1, max_perturbations=10),
    penalty=pyvrp.PenaltyParams(solutions_between_updates=100),
)
WHOLE_FLEET_FIRST = 0.2  # of the time: which team-days the plan uses
WHOLE_FLEET_LAST = 0.1  # of the time: the whole fleet again, for what the narrow one missed
# Iterations without a better plan before a stretch stops: enough that a large problem never
# stops while it still improves (thousands of clients improve every few dozen iterations), few
# enough that a handful of visits is done in milliseconds.
PATIENCE_MIN = 2_000
PATIENCE_PER_CLIENT = 50


@dataclass(frozen=True, slots=True)
class Searched:
    best: pyvrp.Solution
    num_iterations: int


def patient(seconds: float, num_clients: int) -> StoppingCriterion:
    """Stop after ``seconds``, or earlier once nothing improves any more."""
    patience = max(PATIENCE_MIN, PATIENCE_PER_CLIENT * num_clients)
    return MultipleCriteria([MaxRuntime(max(0.0, seconds)), NoImprovement(patience)])


def improve(data: pyvrp.ProblemData, start: pyvrp.Solution, seconds: float, seed: int) -> Searched:
    """The best plan found from ``start`` within ``seconds``, in the three stretches above."""
    deadline = time.perf_counter() + seconds
    first = _ils(data, start, WHOLE_FLEET_FIRST * seconds, seed)
    best, iterations = first.best, first.num_iterations
    used = sorted({route.vehicle_type() for route in best.routes()})
    if best.is_feasible() and 0 < len(used) < data.num_vehicle_types:
        vehicle_types = data.vehicle_types()
        narrow = data.replace(vehicle_types=[vehicle_types[v] for v in used])
        position = {v: k for k, v in enumerate(used)}
        own = pyvrp.Solution(
            narrow, [_route(narrow, r, position[r.vehicle_type()]) for r in best.routes()]
        )
        left = deadline - time.perf_counter() - WHOLE_FLEET_LAST * seconds
        second = _ils(narrow, own, left, seed)
        iterations += second.num_iterations
        if second.best.is_feasible():
            best = pyvrp.Solution(
                data, [_route(data, r, used[r.vehicle_type()]) for r in second.best.routes()]
            )
    last = _ils(data, best, deadline - time.perf_counter(), seed)
    return Searched(last.best, iterations + last.num_iterations)


def _route(data: pyvrp.ProblemData, route: pyvrp.Route, vehicle_type: int) -> pyvrp.Route:
    return pyvrp.Route(data, [a.idx for a in route.schedule() if a.is_client()], vehicle_type)


def _ils(data: pyvrp.ProblemData, start: pyvrp.Solution, seconds: float, seed: int) -> pyvrp.Result:
    """``pyvrp.solve``, from ``start`` instead of a random plan; the best is never worse than
    ``start`` (by PyVRP's cost: an infeasible plan is worse than any feasible one)."""
    started = time.perf_counter()
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    neighbours = compute_neighbours(data, PARAMS.neighbourhood)
    search = LocalSearch(data, rng, neighbours, PerturbationManager(PARAMS.perturbation))
    for operator in PARAMS.operators:
        if operator.supports(data):
            search.add_operator(operator(data))
    penalties = pyvrp.PenaltyManager(PARAMS.penalty.midpoint_penalties(data), PARAMS.penalty)
    polished = search(start, penalties.max_cost_evaluator(), exhaustive=True)
    ils = pyvrp.IteratedLocalSearch(data, penalties, search, polished, PARAMS.ils)
    left = seconds - (time.perf_counter() - started)
    return ils.run(patient(max(MIN_SOLVE_SECONDS, left), data.num_clients), collect_stats=False)
