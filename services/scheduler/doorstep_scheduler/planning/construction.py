"""Where the search starts: each visit at a nearby base, each base's week solved on its own.

PyVRP's own start is a random plan polished by local search; on thousands of visits and
hundreds of team-days its short-budget search never recovers the geography (visits end up with
teams far from their base). Here each visit, highest prize first and then the one with most to
lose, goes to the nearest base with room for it on a team-day that could take it (language,
skills, day, hours: read from the PyVRP model itself). The solver then plans each base's few
team-days and visits as a small problem of its own in a few milliseconds, and starts the whole
search from the union. Whatever this gets wrong, the search repairs: it is a start, not a plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyvrp

Matrix = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BaseShare:
    """One base's team-days (vehicle indices) and the clients given to it (client indices)."""

    vehicles: list[int]
    clients: list[int]


def share_by_base(data: pyvrp.ProblemData, matrix: Matrix) -> list[BaseShare]:
    clients = data.clients()
    vehicles = data.vehicle_types()
    if not clients or not vehicles:
        return []
    depots = data.depots()
    location = np.array([c.location for c in clients], dtype=np.int64)
    base = np.array([depots[v.start_depot].location for v in vehicles], dtype=np.int64)
    delivery = np.array([c.delivery for c in clients], dtype=np.int64)
    capacity = np.array([v.capacity for v in vehicles], dtype=np.int64)
    service = np.array([c.service_duration for c in clients], dtype=np.int64)
    out = matrix[base[None, :], location[:, None]]  # client x vehicle
    back = matrix[location[:, None], base[None, :]]
    # the load dimensions beyond the count are who-may-go tags: capacity 0 where not allowed
    allowed = (delivery[:, None, 1:] <= capacity[None, :, 1:]).all(axis=2)
    shift_early = np.array([v.tw_early for v in vehicles], dtype=np.int64)
    shift_late = np.array([v.tw_late for v in vehicles], dtype=np.int64)
    tw_early = np.array([c.tw_early for c in clients], dtype=np.int64)
    tw_late = np.array([c.tw_late for c in clients], dtype=np.int64)
    fits = np.maximum(tw_early[:, None], shift_early[None, :] + out) <= np.minimum(
        tw_late[:, None], shift_late[None, :] - back - service[:, None]
    )
    feasible = allowed & fits

    visits = _visits(data)
    bases = sorted(set(base.tolist()))
    base_of = np.searchsorted(np.array(bases), base)
    cost = np.full((len(visits), len(bases)), np.inf)
    for i, members in enumerate(visits):
        for m in members:
            able = np.nonzero(feasible[m])[0]
            np.minimum.at(cost[i], base_of[able], (out + back)[m, able])
    ordered = np.sort(cost, axis=1)
    second = ordered[:, 1] if len(bases) > 1 else np.full(len(visits), np.inf)
    regret = np.where(np.isfinite(second), second - ordered[:, 0], np.inf)
    prize = np.array([clients[members[0]].prize for members in visits])
    room = np.zeros(len(bases), dtype=np.int64)
    np.add.at(room, base_of, capacity[:, 0])

    given: list[list[int]] = [[] for _ in bases]
    for i in np.lexsort((-regret, -prize)):
        options = np.where(room > 0, cost[i], np.inf)
        b = int(np.argmin(options))
        if np.isfinite(options[b]):  # else: no base can take it; the search may insert it
            given[b].extend(visits[i])
            room[b] -= 1
    return [
        BaseShare([int(v) for v in np.nonzero(base_of == b)[0]], members)
        for b, members in enumerate(given)
        if members
    ]


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
