"""The search's stretches: narrowing the fleet keeps every visit on a team-day that may take it,
and a stretch stops once nothing improves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvrp

from doorstep_scheduler.planning.search import PATIENCE_MIN, improve, patient

LONG = 3600.0  # seconds: far beyond any of these searches, so only patience can stop them


def _data() -> pyvrp.ProblemData:
    """One base, three vehicles; load dimension 1 is a tag only vehicle 2 may carry."""
    locations = [pyvrp.Location(x=0, y=0)] + [pyvrp.Location(x=k, y=k) for k in range(1, 8)]
    size = len(locations)
    matrix = np.array([[10 * abs(i - j) for j in range(size)] for i in range(size)], dtype=np.int64)
    clients = [
        pyvrp.Client(location=k, delivery=[1, 1 if k == 7 else 0], prize=10_000, required=False)
        for k in range(1, size)
    ]
    vehicle_types = [
        pyvrp.VehicleType(num_available=1, capacity=[4, 0]),
        pyvrp.VehicleType(num_available=1, capacity=[4, 0]),
        pyvrp.VehicleType(num_available=1, capacity=[4, 4]),
    ]
    matrices: list[Any] = [matrix]  # PyVRP's stubs spell the array type their own way
    return pyvrp.ProblemData(
        locations, clients, [pyvrp.Depot(location=0)], vehicle_types, matrices, matrices
    )


def test_a_narrowed_fleet_keeps_each_visit_on_a_vehicle_that_may_take_it() -> None:
    data = _data()
    # vehicle 1 idle: the narrow stretch sees vehicles 0 and 2 only, under other indices
    start = pyvrp.Solution(data, [pyvrp.Route(data, [0, 1, 2], 0), pyvrp.Route(data, [3, 6], 2)])

    found = improve(data, start, 0.5, seed=1)

    assert found.best.is_feasible()
    assert found.best.num_clients() == 7
    assert found.best.distance() <= start.distance()
    tagged = [r for r in found.best.routes() if 6 in [a.idx for a in r.schedule()]]
    assert [r.vehicle_type() for r in tagged] == [2]


def test_a_stretch_stops_once_nothing_has_improved_for_a_while() -> None:
    stop = patient(LONG, num_clients=3)

    assert not any(stop(100) for _ in range(PATIENCE_MIN))
    assert stop(100)


def test_an_improvement_restarts_the_patience() -> None:
    stop = patient(LONG, num_clients=3)
    for _ in range(PATIENCE_MIN - 1):
        stop(100)

    assert not stop(99)
    assert not any(stop(99) for _ in range(PATIENCE_MIN - 1))
