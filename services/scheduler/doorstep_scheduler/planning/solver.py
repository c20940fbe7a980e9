"""The route planner on PyVRP: team-days are vehicles, visits are optional clients with a prize.

The model, and why it is exact:

* **Time.** Each date of the horizon has its own clock: seconds since the earliest shift start
  that date. Every vehicle (team-day) and every client visit on that date is timed on it, so
  a visit whose window is the same stretch of the day on several days is a single client that
  any of those days' team-days may take — the solver moves it between days freely.
* **Windows.** A client's service must start in [window start, window end − service], inside
  the vehicle's shift, back at the base by the shift end (the vehicle's time window). A visit
  whose windows differ between days, or that has several windows in a day, becomes one client
  per distinct window in a mutually exclusive ``ClientGroup``: at most one of them is visited.
* **Who may go.** PyVRP has no per-client list of allowed vehicles; load dimensions give one. A
  client carries one unit of a *tag* (its language, each skill it needs, its region, each date
  its window does not fall on, the bits of a pinned visit's team-day code) and a vehicle has no
  room for the tags it may not take. A feasible solution never exceeds a capacity, so it never
  sends a team the visit's language, skills, region or day exclude. Dimension 0 counts visits
  against the team-day's capacity.
* **Coverage first.** A visit's prize is far above any detour, scaled by its priority rank, so
  the solver plans every visit it can and, when room is short, drops the lowest priority.
* **Kept appointments** (pinned) are required clients tied to their team-day by its code, with
  service starting inside the announced window. A quick solve of them alone first checks they
  still fit together; if not, they are optional with a prize above all others, and the ones
  left out are reported ``team_day_unavailable`` for the caller to plan afresh.

How it is solved within the budget: bases that no visit could share are separate *parts*
(typically a city each), solved side by side on up to two threads (PyVRP's search releases the
GIL). Each part starts from each base's share of visits solved on its own (``construction``),
then runs PyVRP's iterated local search with parameters tuned for a few seconds, most of it on
the team-days the plan uses (``search``). Every solve also stops once it stops improving, so a
small problem returns in a fraction of the budget.
"""

from __future__ import annotations

import math
import os
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib.metadata import version
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import FirstFeasible, MaxRuntime, MultipleCriteria

from doorstep_scheduler.planning.appointments import announced_window
from doorstep_scheduler.planning.construction import share_by_base
from doorstep_scheduler.planning.problem import (
    GeoPoint,
    PinnedVisit,
    PlannedStop,
    PlanningProblem,
    PlanResult,
    TeamDay,
    TimeWindow,
    TravelModel,
    Unplanned,
    VisitDemand,
)
from doorstep_scheduler.planning.reasons import (
    CAPACITY,
    REASONS,
    TEAM_DAY_UNAVAILABLE,
    WINDOW_OUTSIDE_TEAM_HOURS,
    compatible,
)
from doorstep_scheduler.planning.search import MIN_SOLVE_SECONDS, improve, patient

SOLVER = f"pyvrp {version('pyvrp')}"
# the start: each base's share solved alone, a few milliseconds each, a small part of the budget
BASE_SOLVE_SECONDS = 0.02
START_SHARE = 0.15
PIN_PROBE_SHARE = 0.05  # of the budget, to learn whether the kept appointments still fit
Matrix = npt.NDArray[np.int64]

Tag = tuple[object, ...]


@dataclass(slots=True)
class _Client:
    location: int
    service: int
    tw_early: int
    tw_late: int
    prize: int
    tags: tuple[Tag, ...]
    owner: int  # index into _Model.demands, or -1 - index into _Model.pinned
    group: int | None = None


@dataclass(frozen=True, slots=True)
class _Part:
    vehicles: list[int]  # indices into _Model.team_days
    clients: list[int]  # indices into _Model.clients


_Route = tuple[int, list[tuple[int, int]]]  # vehicle, [(client, service start on its clock)]


@dataclass(slots=True)
class _Model:
    """The problem cut down to what the solver sees, with the way back from its answer."""

    team_days: list[TeamDay]
    demands: list[VisitDemand]  # modelled demands (planned unless room runs out)
    pinned: list[PinnedVisit]  # kept appointments whose team-day still works
    points: list[GeoPoint]
    depot_of: list[int]  # vehicle -> depot (= location) index
    demand_location: list[int]
    pinned_location: list[int]
    origins: dict[date, datetime]  # each date's clock: its earliest shift start
    matrix: npt.NDArray[np.int64]
    num_bases: int  # locations 0..num_bases-1 are the depots
    appointment_window: timedelta
    clients: list[_Client] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)
    unplanned: list[Unplanned] = field(default_factory=list)
    pin_codes: dict[tuple[uuid.UUID, date], int] = field(default_factory=dict)
    vehicle_of: dict[tuple[uuid.UUID, date], int] = field(default_factory=dict)
    demand_depots: list[frozenset[int]] = field(default_factory=list)  # bases that can go
    base_prize: int = 1
    top_prize: int = 1

    def seconds(self, origin: int, destination: int) -> int:
        return int(self.matrix[origin, destination])


class PyVrpPlanner:
    """``RoutePlanner`` on PyVRP within a wall-clock budget (the whole call, model included)."""

    def __init__(
        self,
        travel: TravelModel,
        *,
        time_budget_seconds: float,
        seed: int = 1,
        workers: int | None = None,
    ) -> None:
        if time_budget_seconds <= 0:
            raise ValueError("the time budget must be positive")
        self._travel = travel
        self._budget = time_budget_seconds
        self._seed = seed
        # PyVRP's search runs without the GIL: independent parts are solved side by side
        self._workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
        # PyVRP warns when a model may have no feasible plan; this planner asks that on purpose
        # (the kept-appointments probe, a base's share) and reads the answer from the solution
        warnings.filterwarnings("ignore", category=PenaltyBoundWarning)

    def plan(self, problem: PlanningProblem) -> PlanResult:
        started = time.perf_counter()
        model = _build(problem, self._travel)
        parts = _parts(model)
        stats: dict[str, object] = {
            "team_days": len(model.team_days),
            "clients": len(model.clients),
            "client_groups": len(model.groups),
            "build_seconds": round(time.perf_counter() - started, 3),
        }
        # largest parts first, each to the least loaded lane; a lane solves its parts in turn
        lanes: list[list[_Part]] = [[] for _ in range(min(self._workers, len(parts)))]
        for part in parts:
            min(lanes, key=lambda lane: sum(len(p.clients) for p in lane)).append(part)
        deadline = started + self._budget
        if len(lanes) > 1:
            with ThreadPoolExecutor(len(lanes)) as pool:
                solved = list(pool.map(lambda lane: self._solve_lane(model, lane, deadline), lanes))
        else:
            solved = [self._solve_lane(model, lane, deadline) for lane in lanes]
        routes = [route for lane_routes, _ in solved for route in lane_routes]
        part_stats = [figures for _, lane_stats in solved for figures in lane_stats]
        stats["parts"] = part_stats
        stats["iterations"] = sum(f["iterations"] for f in part_stats)  # type: ignore[misc]
        return _result(model, routes, started, stats)

    def _solve_lane(
        self, model: _Model, lane: list[_Part], deadline: float
    ) -> tuple[list[_Route], list[dict[str, object]]]:
        routes: list[_Route] = []
        figures: list[dict[str, object]] = []
        waiting = sum(len(part.clients) for part in lane)
        for part in lane:
            # the lane's time left, shared by size among its parts still to solve
            left = deadline - time.perf_counter()
            seconds = max(MIN_SOLVE_SECONDS, left * len(part.clients) / waiting)
            waiting -= len(part.clients)
            found, part_figures = self._solve_part(model, part, seconds)
            routes += found
            figures.append(part_figures)
        return routes, figures

    def _solve_part(
        self, model: _Model, part: _Part, seconds: float
    ) -> tuple[list[_Route], dict[str, object]]:
        started = time.perf_counter()
        pinned_required = True
        if any(model.clients[c].owner < 0 for c in part.clients):
            pinned_required = self._pinned_fit(model, part, seconds)
        data, matrix = _problem_data(model, part, pinned_required=pinned_required)
        start = self._start(model, part, data, matrix, seconds, pinned_required=pinned_required)
        result = improve(data, start, seconds - (time.perf_counter() - started), self._seed)
        if not result.best.is_feasible() and pinned_required:
            # the probe passed but the full solve found no feasible plan: let pins go
            pinned_required = False
            data, matrix = _problem_data(model, part, pinned_required=False)
            start = self._start(model, part, data, matrix, seconds, pinned_required=False)
            result = improve(data, start, seconds - (time.perf_counter() - started), self._seed)
        routes = [
            (
                part.vehicles[route.vehicle_type()],
                [(part.clients[a.idx], a.start_time) for a in route.schedule() if a.is_client()],
            )
            for route in result.best.routes()
            if route.is_feasible()  # an infeasible route's visits are reported unplanned
        ]
        figures: dict[str, object] = {
            "clients": len(part.clients),
            "vehicles": data.num_vehicles,
            "load_dimensions": data.num_load_dimensions,
            "budget_seconds": round(seconds, 3),
            "iterations": result.num_iterations,
            "solver_feasible": result.best.is_feasible(),
            "pinned_required": pinned_required,
        }
        return routes, figures

    def _pinned_fit(self, model: _Model, part: _Part, seconds: float) -> bool:
        """Whether the kept appointments still fit their team-days together: a quick solve of
        them alone. If not, they become optional with a prize above everything else, and the
        ones that cannot stay are reported."""
        pins = _Part(part.vehicles, [c for c in part.clients if model.clients[c].owner < 0])
        data, _ = _problem_data(model, pins, pinned_required=True)
        # feasible is all it needs to know: it stops there
        limit = MaxRuntime(max(MIN_SOLVE_SECONDS, PIN_PROBE_SHARE * seconds))
        stop = MultipleCriteria([limit, FirstFeasible()])
        probe = pyvrp.solve(data, stop=stop, seed=self._seed, display=False)
        return bool(probe.best.is_feasible())

    def _start(
        self,
        model: _Model,
        part: _Part,
        data: pyvrp.ProblemData,
        matrix: Matrix,
        seconds: float,
        *,
        pinned_required: bool,
    ) -> pyvrp.Solution:
        """Each visit at a nearby base (``share_by_base``), each base's team-days and visits
        solved as a small problem of their own, the union as the whole search's start."""
        shares = share_by_base(data, matrix)
        each = min(BASE_SOLVE_SECONDS, START_SHARE * seconds / max(1, len(shares)))
        routes = []
        for share in shares:
            piece = _Part(
                [part.vehicles[v] for v in share.vehicles], [part.clients[c] for c in share.clients]
            )
            small, _ = _problem_data(model, piece, pinned_required=pinned_required)
            stop = patient(each, small.num_clients)
            found = pyvrp.solve(small, stop=stop, seed=self._seed, display=False)
            routes += [
                pyvrp.Route(
                    data,
                    [share.clients[a.idx] for a in route.schedule() if a.is_client()],
                    share.vehicles[route.vehicle_type()],
                )
                for route in found.best.routes()
            ]
        return pyvrp.Solution(data, routes)


# --- building the model ------------------------------------------------------------------------


def _build(problem: PlanningProblem, travel: TravelModel) -> _Model:
    excluded = {(e.team_id, e.day): e for e in problem.excluded_team_days}
    team_days: list[TeamDay] = []
    seen_keys: set[tuple[uuid.UUID, date]] = set()
    for team_day in problem.team_days:
        if (
            team_day.key in excluded
            or team_day.key in seen_keys
            or team_day.size < problem.min_team_size
            or team_day.capacity < 1
        ):
            continue
        seen_keys.add(team_day.key)
        team_days.append(team_day)
    by_key = {t.key: t for t in team_days}

    demand_ids = {d.visit_id for d in problem.demands}
    unplanned: list[Unplanned] = []
    pinned: list[PinnedVisit] = []
    pinned_ids: set[uuid.UUID] = set()
    for pin in problem.pinned:
        if pin.visit_id in pinned_ids:
            continue
        if (pin.team_id, pin.day) in by_key:
            pinned.append(pin)
            pinned_ids.add(pin.visit_id)
        elif pin.visit_id not in demand_ids:  # a demand for the same visit plans it afresh
            gone = excluded.get((pin.team_id, pin.day))
            why = f": {gone.reason}" if gone else ""
            unplanned.append(
                Unplanned(
                    pin.visit_id,
                    pin.case_id,
                    TEAM_DAY_UNAVAILABLE,
                    f"the appointment's team-day is no longer available{why}",
                )
            )
            pinned_ids.add(pin.visit_id)

    demands: list[VisitDemand] = []
    for demand in problem.demands:
        if demand.visit_id not in pinned_ids:
            pinned_ids.add(demand.visit_id)  # each visit once
            demands.append(demand)

    bases = sorted({t.base for t in team_days}, key=lambda p: (p.lat, p.lon))
    base_index = {p: i for i, p in enumerate(bases)}
    points = [*bases, *(d.location for d in demands), *(p.location for p in pinned)]
    matrix = _matrix(travel, points)
    origins: dict[date, datetime] = {}
    for team_day in team_days:
        origin = origins.get(team_day.day)
        if origin is None or team_day.shift.start < origin:
            origins[team_day.day] = team_day.shift.start
    model = _Model(
        team_days=team_days,
        demands=[],
        pinned=pinned,
        points=points,
        depot_of=[base_index[t.base] for t in team_days],
        demand_location=[],
        pinned_location=[len(bases) + len(demands) + i for i in range(len(pinned))],
        origins=origins,
        matrix=matrix,
        num_bases=len(bases),
        appointment_window=problem.appointment_window,
        unplanned=unplanned,
        vehicle_of={t.key: v for v, t in enumerate(team_days)},
    )
    model.base_prize = max(3600, 4 * int(matrix.max(initial=0)))
    ranks = {p: r for r, p in enumerate(sorted({d.priority for d in demands}))}
    model.top_prize = model.base_prize * (len(ranks) + 1)
    _add_demands(model, demands, len(bases), ranks)
    _add_pinned(model)
    return model


def _matrix(travel: TravelModel, points: list[GeoPoint]) -> npt.NDArray[np.int64]:
    fast: Callable[[list[GeoPoint]], npt.NDArray[np.int64]] | None = getattr(travel, "array", None)
    if not points:
        return np.zeros((0, 0), dtype=np.int64)
    if fast is not None:
        return np.asarray(fast(points), dtype=np.int64)
    return np.asarray(travel.matrix(points), dtype=np.int64)


def _add_demands(
    model: _Model, demands: list[VisitDemand], first_location: int, ranks: dict[int, int]
) -> None:
    dates = sorted(model.origins)
    epoch = model.origins[dates[0]] if dates else None
    shift_start = np.array([_since(t.shift.start, epoch) for t in model.team_days])
    shift_end = np.array([_since(t.shift.end, epoch) for t in model.team_days])
    depot = np.array(model.depot_of, dtype=np.int64)
    hull_end: dict[date, datetime] = {}
    for team_day in model.team_days:
        hull_end[team_day.day] = max(
            hull_end.get(team_day.day, team_day.shift.end), team_day.shift.end
        )
    # language, skills and region repeat across visits: the compatible team-days once for each
    compatibility: dict[tuple[object, ...], tuple[str | None, npt.NDArray[np.int64]]] = {}

    for i, demand in enumerate(demands):
        location = first_location + i
        if not demand.windows:
            model.unplanned.append(
                Unplanned(
                    demand.visit_id,
                    demand.case_id,
                    demand.no_window_reason_code or "no_window",
                    demand.no_window_reason or "the visit has no lawful window in the horizon",
                )
            )
            continue
        signature = (demand.language, demand.skills, demand.region)
        if signature not in compatibility:
            code, indices = compatible(demand, model.team_days)
            compatibility[signature] = (code, np.array(indices, dtype=np.int64))
        code, candidates = compatibility[signature]
        if code is None:
            # a window that takes the whole visit inside the shift, drive out and back included
            windows_start = np.array([_since(w.start, epoch) for w in demand.windows])
            windows_end = np.array([_since(w.end, epoch) for w in demand.windows])
            service_seconds = demand.service.total_seconds()
            out = model.matrix[depot[candidates], location]
            back = model.matrix[location, depot[candidates]]
            start = np.maximum(windows_start[None, :], (shift_start[candidates] + out)[:, None])
            latest_end = np.minimum(windows_end[None, :], (shift_end[candidates] - back)[:, None])
            reachable = candidates[(start + service_seconds <= latest_end).any(axis=1)]
            if not len(reachable):
                code = WINDOW_OUTSIDE_TEAM_HOURS
        if code is not None:
            model.unplanned.append(Unplanned(demand.visit_id, demand.case_id, code, REASONS[code]))
            continue

        service = _whole_seconds(demand.service)
        # distinct stretches on the dates' clocks -> the dates they fall on
        stretches: dict[tuple[int, int], set[date]] = {}
        for day in sorted({model.team_days[v].day for v in reachable}):
            origin, end = model.origins[day], hull_end[day]
            for window in demand.windows:
                start_at, stop_at = max(window.start, origin), min(window.end, end)
                early = math.ceil((start_at - origin).total_seconds())
                late = math.floor((stop_at - origin).total_seconds()) - service
                if early <= late:
                    stretches.setdefault((early, late), set()).add(day)
        owner = len(model.demands)
        model.demands.append(demand)
        model.demand_location.append(location)
        model.demand_depots.append(frozenset(int(d) for d in depot[reachable]))
        prize = model.base_prize * (ranks[demand.priority] + 1)
        common: list[Tag] = [("language", demand.language)]
        common += [("skill", s) for s in sorted(demand.skills)]
        if demand.region is not None:
            common.append(("region", demand.region))
        members = []
        for (early, late), on in sorted(stretches.items()):
            tags = (*common, *(("not_date", d) for d in dates if d not in on))
            members.append(len(model.clients))
            model.clients.append(_Client(location, service, early, late, prize, tags, owner))
        if len(members) > 1:
            for c in members:
                model.clients[c].group = len(model.groups)
            model.groups.append(members)


def _since(instant: datetime, epoch: datetime | None) -> float:
    return (instant - epoch).total_seconds() if epoch is not None else 0.0


def _add_pinned(model: _Model) -> None:
    keys = sorted({(p.team_id, p.day) for p in model.pinned})
    model.pin_codes = {key: code for code, key in enumerate(keys, start=1)}
    bits = len(keys).bit_length()
    for i, pin in enumerate(model.pinned):
        code = model.pin_codes[(pin.team_id, pin.day)]
        origin = model.origins[pin.day]
        service = _whole_seconds(pin.service)
        # An announced window may open before the day's first shift (the team arrives later
        # in it): the solver's clock starts at that shift.
        early = max(0, math.ceil((pin.window.start - origin).total_seconds()))
        latest_start = max(pin.window.start, pin.window.end - pin.service)
        late = max(early, math.floor((latest_start - origin).total_seconds()))
        tags = tuple(("pin", bit, (code >> bit) & 1) for bit in range(bits))
        model.clients.append(
            _Client(model.pinned_location[i], service, early, late, 0, tags, owner=-1 - i)
        )


def _whole_seconds(span: timedelta) -> int:
    return math.ceil(span.total_seconds())


def _blocks(team_day: TeamDay, code: int, tag: Tag) -> bool:
    kind = tag[0]
    if kind == "language":
        return tag[1] not in team_day.languages
    if kind == "skill":
        return tag[1] not in team_day.skills
    if kind == "region":
        return team_day.region is not None and team_day.region != tag[1]
    if kind == "not_date":
        return team_day.day == tag[1]
    _, bit, value = tag  # "pin"
    assert isinstance(bit, int)
    return (code >> bit) & 1 != value


def _parts(model: _Model) -> list[_Part]:
    """Independent pieces of the problem, largest first: bases joined by a visit that teams from
    both could make. No visit of one part can go to a team of another, so solving the parts
    one by one is the same problem in smaller searches (a city per part, typically)."""
    parent = list(range(model.num_bases))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for depots in model.demand_depots:
        first = root(min(depots))
        for other in depots:
            parent[root(other)] = first
    vehicles: dict[int, list[int]] = {}
    for v, depot in enumerate(model.depot_of):
        vehicles.setdefault(root(depot), []).append(v)
    clients: dict[int, list[int]] = {}
    for c, client in enumerate(model.clients):
        if client.owner >= 0:
            depot = min(model.demand_depots[client.owner])
        else:
            pin = model.pinned[-1 - client.owner]
            depot = model.depot_of[model.vehicle_of[(pin.team_id, pin.day)]]
        clients.setdefault(root(depot), []).append(c)
    parts = [_Part(vehicles[r], members) for r, members in clients.items()]
    return sorted(parts, key=lambda part: -len(part.clients))


def _problem_data(
    model: _Model, part: _Part, *, pinned_required: bool
) -> tuple[pyvrp.ProblemData, Matrix]:
    team_days = [model.team_days[v] for v in part.vehicles]
    codes = [model.pin_codes.get(t.key, 0) for t in team_days]
    chosen = [model.clients[c] for c in part.clients]
    tags = sorted({tag for c in chosen for tag in c.tags}, key=repr)
    # a tag every vehicle can take restricts nothing: no dimension for it
    dims = [
        tag
        for tag in tags
        if any(_blocks(t, code, tag) for t, code in zip(team_days, codes, strict=True))
    ]
    dim_of = {tag: k for k, tag in enumerate(dims, start=1)}
    pin_prize = model.top_prize * (len(model.demands) + 1)

    # the part's own locations: its bases (the depots) first, then its visits
    depot_locations = sorted({model.depot_of[v] for v in part.vehicles})
    visit_locations = sorted({c.location for c in chosen})
    used = depot_locations + visit_locations
    local = {location: k for k, location in enumerate(used)}
    locations = [pyvrp.Location(x=model.points[j].lon, y=model.points[j].lat) for j in used]
    depots = [pyvrp.Depot(location=k) for k in range(len(depot_locations))]
    groups: dict[int, list[int]] = {}  # model group -> the part's clients in it
    group_index: dict[int, int] = {}  # model group -> the part's group index
    clients = []
    for k, c in enumerate(chosen):
        delivery = [1] + [0] * len(dims)
        for tag in c.tags:
            if tag in dim_of:
                delivery[dim_of[tag]] = 1
        group = None
        if c.group is not None:
            members = groups.setdefault(c.group, [])
            members.append(k)
            group = group_index.setdefault(c.group, len(group_index))
        pinned = c.owner < 0
        clients.append(
            pyvrp.Client(
                location=local[c.location],
                delivery=delivery,
                service_duration=c.service,
                tw_early=c.tw_early,
                tw_late=c.tw_late,
                prize=pin_prize if pinned else c.prize,
                required=pinned and pinned_required,
                group=group,
            )
        )
    vehicle_types = []
    for v, team_day, code in zip(part.vehicles, team_days, codes, strict=True):
        origin = model.origins[team_day.day]
        cap = team_day.capacity
        depot = local[model.depot_of[v]]
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=1,
                capacity=[cap] + [0 if _blocks(team_day, code, tag) else cap for tag in dims],
                start_depot=depot,
                end_depot=depot,
                tw_early=math.ceil((team_day.shift.start - origin).total_seconds()),
                tw_late=math.floor((team_day.shift.end - origin).total_seconds()),
                unit_distance_cost=1,
                unit_duration_cost=0,
            )
        )
    client_groups = [pyvrp.ClientGroup(members, required=False) for members in groups.values()]
    matrix = np.ascontiguousarray(model.matrix[np.ix_(used, used)])
    matrices: list[Any] = [matrix]  # PyVRP's stubs spell the array type their own way
    data = pyvrp.ProblemData(
        locations, clients, depots, vehicle_types, matrices, matrices, client_groups
    )
    return data, matrix


# --- reading the answer --------------------------------------------------------------------------


def _result(
    model: _Model, routes: list[_Route], started: float, stats: dict[str, object]
) -> PlanResult:
    stops: list[PlannedStop] = []
    travel = 0
    planned: set[int] = set()
    for vehicle, visits in sorted(routes, key=lambda r: r[0]):
        team_day = model.team_days[vehicle]
        origin = model.origins[team_day.day]
        here = model.depot_of[vehicle]
        for position, (c, start_time) in enumerate(visits, start=1):
            client = model.clients[c]
            leg = model.seconds(here, client.location)
            travel += leg
            here = client.location
            start = origin + timedelta(seconds=start_time)
            planned.add(client.owner)
            stops.append(_stop(model, client.owner, team_day, position, start, leg))
        travel += model.seconds(here, model.depot_of[vehicle])

    unplanned = list(model.unplanned)
    for i, demand in enumerate(model.demands):
        if i not in planned:
            unplanned.append(
                Unplanned(demand.visit_id, demand.case_id, CAPACITY, REASONS[CAPACITY])
            )
    for i, pin in enumerate(model.pinned):
        if -1 - i not in planned:
            unplanned.append(
                Unplanned(
                    pin.visit_id,
                    pin.case_id,
                    TEAM_DAY_UNAVAILABLE,
                    "the appointment no longer fits its team-day (shorter shift, fewer "
                    "visits allowed or other kept appointments)",
                )
            )
    return PlanResult(
        stops=tuple(stops),
        unplanned=tuple(unplanned),
        travel=timedelta(seconds=travel),
        solver=SOLVER,
        solve_seconds=round(time.perf_counter() - started, 3),
        stats=stats,
    )


def _stop(
    model: _Model, owner: int, team_day: TeamDay, position: int, start: datetime, leg: int
) -> PlannedStop:
    if owner < 0:
        pin = model.pinned[-1 - owner]
        return PlannedStop(
            visit_id=pin.visit_id,
            case_id=pin.case_id,
            team_id=team_day.team_id,
            day=team_day.day,
            position=position,
            service_start=start,
            window=pin.window,
            travel_from_previous=timedelta(seconds=leg),
            pinned=True,
        )
    demand = model.demands[owner]
    window = _window_holding(demand.windows, start, demand.service)
    return PlannedStop(
        visit_id=demand.visit_id,
        case_id=demand.case_id,
        team_id=team_day.team_id,
        day=team_day.day,
        position=position,
        service_start=start,
        window=announced_window(start, demand.service, window, model.appointment_window),
        travel_from_previous=timedelta(seconds=leg),
        pinned=False,
    )


def _window_holding(
    windows: tuple[TimeWindow, ...], start: datetime, service: timedelta
) -> TimeWindow:
    """The demand window the planned visit lies in (the solver planned it inside one)."""
    for window in windows:
        if window.start <= start and start + service <= window.end:
            return window
    raise AssertionError("the solver planned a visit outside its windows")
