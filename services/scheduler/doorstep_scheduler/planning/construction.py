"""A quick first plan for the solver to improve: each visit to a nearby team, each team's day a
slice of the compass around its base.

PyVRP's own start is a random plan polished by local search; on thousands of visits and
hundreds of team-days its short-budget search never recovers the geography (visits end up with
teams far from their base). This start costs a fraction of a second and reads only the PyVRP
model, so whatever it gets wrong (a window, a capacity) the search repairs: it is a start, not
a plan.

1. Each visit, highest prize first and then the one with most to lose, goes to the nearest base
   with room for it on a team-day that could take it (language, skills, day, hours).
2. At each base, its visits sorted by bearing are dealt to its team-days in turn, so each day
   covers one slice around the base; a visit goes to the next day that can take it.
3. Each day's route is a nearest-neighbour tour, then ordered by the end of the windows.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyvrp

Matrix = npt.NDArray[np.int64]


def initial_solution(data: pyvrp.ProblemData, matrix: Matrix) -> pyvrp.Solution:
    clients = data.clients()
    vehicles = data.vehicle_types()
    if not clients or not vehicles:
        return pyvrp.Solution(data, [])
    depots = data.depots()
    location = np.array([c.location for c in clients], dtype=np.int64)
    base = np.array([depots[v.start_depot].location for v in vehicles], dtype=np.int64)
    delivery = np.array([c.delivery for c in clients], dtype=np.int64)
    capacity = np.array([v.capacity for v in vehicles], dtype=np.int64)
    service = np.array([c.service_duration for c in clients], dtype=np.int64)
    tw_late = np.array([c.tw_late for c in clients], dtype=np.int64)
    out = matrix[base[None, :], location[:, None]]  # client x vehicle
    back = matrix[location[:, None], base[None, :]]
    # the load dimensions beyond the count are who-may-go tags: capacity 0 where not allowed
    allowed = (delivery[:, None, 1:] <= capacity[None, :, 1:]).all(axis=2)
    shift_early = np.array([v.tw_early for v in vehicles], dtype=np.int64)
    shift_late = np.array([v.tw_late for v in vehicles], dtype=np.int64)
    tw_early = np.array([c.tw_early for c in clients], dtype=np.int64)
    fits = np.maximum(tw_early[:, None], shift_early[None, :] + out) <= np.minimum(
        tw_late[:, None], shift_late[None, :] - back - service[:, None]
    )
    feasible = allowed & fits

    visits = _visits(data)
    bases = sorted(set(base.tolist()))
    base_of = np.array([bases.index(int(b)) for b in base], dtype=np.int64)
    room = capacity[:, 0].copy()
    at_base = _assign_to_bases(visits, clients, feasible, out + back, base_of, room, len(bases))

    routes: list[list[int]] = [[] for _ in vehicles]
    busy = np.zeros(len(vehicles))
    length = shift_late - shift_early
    points = data.locations()
    for b, assigned in enumerate(at_base):
        days = [int(v) for v in np.nonzero(base_of == b)[0]]
        if not assigned or not days:
            continue
        centre = points[bases[b]]

        def bearing(i: int, centre: pyvrp.Location = centre) -> float:
            p = points[int(location[visits[i][0]])]
            return math.atan2(p.y - centre.y, p.x - centre.x)

        share = math.ceil(len(assigned) / len(days))
        turn = 0
        for i in sorted(assigned, key=bearing):
            for step in range(len(days)):
                v = days[(turn + step) % len(days)]
                member = next(
                    (
                        m
                        for m in visits[i]
                        if feasible[m, v]
                        and room[v] > 0
                        and busy[v] + service[m] + out[m, v] + back[m, v] <= length[v]
                    ),
                    None,
                )
                if member is None:
                    continue
                routes[v].append(member)
                room[v] -= 1
                busy[v] += service[member] + (out[member, v] + back[member, v]) / 2
                if len(routes[v]) >= share:
                    turn = (days.index(v) + 1) % len(days)
                break
            # a visit no day of its base can take stays out: the search inserts it if it can

    solution_routes = []
    for v, members in enumerate(routes):
        if members:
            order = _nearest_neighbour(members, int(base[v]), location, matrix)
            order.sort(key=lambda m: int(tw_late[m]))  # stable: the tour within equal windows
            solution_routes.append(pyvrp.Route(data, order, v))
    return pyvrp.Solution(data, solution_routes)


def _visits(data: pyvrp.ProblemData) -> list[list[int]]:
    """Each visit as the clients that stand for it (a mutually exclusive group, or one)."""
    groups = data.groups()
    visits: list[list[int]] = []
    seen: set[int] = set()
    for c, client in enumerate(data.clients()):
        if client.group is None:
            visits.append([c])
        elif client.group not in seen:
            seen.add(client.group)
            visits.append(list(groups[client.group].clients))
    return visits


def _assign_to_bases(
    visits: list[list[int]],
    clients: list[pyvrp.Client],
    feasible: npt.NDArray[np.bool_],
    round_trip: Matrix,
    base_of: npt.NDArray[np.int64],
    room: npt.NDArray[np.int64],
    num_bases: int,
) -> list[list[int]]:
    cost = np.full((len(visits), num_bases), np.inf)
    for i, members in enumerate(visits):
        for m in members:
            vehicles = np.nonzero(feasible[m])[0]
            np.minimum.at(cost[i], base_of[vehicles], round_trip[m, vehicles])
    ordered = np.sort(cost, axis=1)
    second = ordered[:, 1] if num_bases > 1 else np.full(len(visits), np.inf)
    regret = np.where(np.isfinite(second), second - ordered[:, 0], np.inf)
    prize = np.array([clients[members[0]].prize for members in visits])
    left = np.zeros(num_bases, dtype=np.int64)
    np.add.at(left, base_of, room)
    at_base: list[list[int]] = [[] for _ in range(num_bases)]
    for i in np.lexsort((-regret, -prize)):
        options = np.where(left > 0, cost[i], np.inf)
        b = int(np.argmin(options))
        if np.isfinite(options[b]):
            at_base[b].append(int(i))
            left[b] -= 1
    return at_base


def _nearest_neighbour(
    members: list[int], start: int, location: npt.NDArray[np.int64], matrix: Matrix
) -> list[int]:
    rest = list(members)
    order: list[int] = []
    here = start
    while rest:
        nearest = min(rest, key=lambda m: int(matrix[here, location[m]]))
        order.append(nearest)
        rest.remove(nearest)
        here = int(location[nearest])
    return order
