"""The planner's language: team-days, visits to place, appointments already given, and the plan.

Pure values, no database and no clock: the visits service loads them, a ``RoutePlanner`` turns a
``PlanningProblem`` into a ``PlanResult``, and the service stores and announces the answer. All
times are aware datetimes; local dates and hours are resolved before a problem is built
(``windows.py``, ``team_days.py``), so the solver only sees absolute intervals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TimeWindow:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("time windows take aware datetimes")
        if self.end <= self.start:
            raise ValueError("a time window ends after it starts")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: TimeWindow) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: TimeWindow) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError("latitude in [-90, 90], longitude in [-180, 180]")


@dataclass(frozen=True, slots=True)
class CollectorProfile:
    """A collector as planning sees them (from the collectors API)."""

    collector_id: uuid.UUID
    team_id: uuid.UUID | None
    timezone: str  # IANA zone their working hours are read in
    work_start: time  # local
    work_end: time  # local, after work_start (no night shifts)
    working_weekdays: frozenset[int]  # 0 = Monday
    days_off: frozenset[date]  # leave, sickness: local dates
    languages: frozenset[str]
    skills: frozenset[str]
    max_visits_per_day: int
    active: bool = True


@dataclass(frozen=True, slots=True)
class TeamProfile:
    """A collector team: visits are made by teams; members come from ``CollectorProfile``."""

    team_id: uuid.UUID
    name: str
    region: str | None
    base: GeoPoint
    max_visits_per_day: int
    holiday_country: str | None  # ISO 3166-1 alpha-2: no team-day on its public holidays
    active: bool = True


@dataclass(frozen=True, slots=True)
class TeamDay:
    """One team on one working day: who can go, from where, for how long, how often."""

    team_id: uuid.UUID
    day: date  # the team's local working date
    shift: TimeWindow  # available members' common hours that day
    base: GeoPoint  # where routes start and end
    capacity: int  # visits this team-day can take
    languages: frozenset[str]
    skills: frozenset[str]
    size: int  # collectors available that day
    region: str | None = None

    @property
    def key(self) -> tuple[uuid.UUID, date]:
        return (self.team_id, self.day)


@dataclass(frozen=True, slots=True)
class VisitDemand:
    """A visit to place. ``windows`` are already lawful and agreed: the pack's visit hours ∩ the
    customer's windows, never on a holiday, never before the notice period or the per-case cap
    allows. The solver only adds the team's hours, capacity, language and skills."""

    visit_id: uuid.UUID
    case_id: uuid.UUID
    location: GeoPoint
    service: timedelta  # time at the door
    priority: int  # higher is planned first when capacity is short
    language: str
    skills: frozenset[str] = frozenset()
    windows: tuple[TimeWindow, ...] = ()
    region: str | None = None
    # why ``windows`` is empty, from the windows builder ("no lawful window in the horizon...")
    no_window_reason: str | None = None
    no_window_reason_code: str | None = None  # its stable code: public_holiday, notice_period...


@dataclass(frozen=True, slots=True)
class PinnedVisit:
    """An appointment already given to the customer: it keeps its team, day and window."""

    visit_id: uuid.UUID
    case_id: uuid.UUID
    team_id: uuid.UUID
    day: date
    window: TimeWindow  # the announced window; the service starts inside it
    location: GeoPoint
    service: timedelta


@dataclass(frozen=True, slots=True)
class ExcludedTeamDay:
    """A team-day that cannot work, and why (shown when it explains an unplanned visit)."""

    team_id: uuid.UUID
    day: date
    reason_code: str
    reason: str


@dataclass(frozen=True, slots=True)
class PlanningProblem:
    team_days: tuple[TeamDay, ...]
    demands: tuple[VisitDemand, ...]
    pinned: tuple[PinnedVisit, ...] = ()
    excluded_team_days: tuple[ExcludedTeamDay, ...] = ()
    min_team_size: int = 1
    # the announced window around a planned start: as wide as this, inside the visit's window
    appointment_window: timedelta = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class PlannedStop:
    visit_id: uuid.UUID
    case_id: uuid.UUID
    team_id: uuid.UUID
    day: date
    position: int  # 1-based order in the team-day's route
    service_start: datetime  # when the team is planned to ring the bell
    window: TimeWindow  # the appointment window told to the customer (contains the service)
    travel_from_previous: timedelta
    pinned: bool  # an appointment kept from before this plan


@dataclass(frozen=True, slots=True)
class Unplanned:
    visit_id: uuid.UUID
    case_id: uuid.UUID
    reason_code: str  # stable, for metrics and filters: no_language, capacity, ...
    reason: str  # for people, in English, no personal data


@dataclass(frozen=True, slots=True)
class PlanResult:
    stops: tuple[PlannedStop, ...]
    unplanned: tuple[Unplanned, ...]
    travel: timedelta  # total driving of every route, base to base
    solver: str  # "pyvrp 0.14.1", "insertion"...
    solve_seconds: float
    stats: dict[str, object] = field(default_factory=dict)


class TravelModel(Protocol):
    """Travel times between points. The default is a haversine speed model; a road-time matrix
    from a routing engine can replace it without touching the planner."""

    def seconds(self, origin: GeoPoint, destination: GeoPoint) -> int: ...

    def matrix(self, points: list[GeoPoint]) -> list[list[int]]:
        """Seconds from every point to every point (row: origin)."""
        ...


class RoutePlanner(Protocol):
    def plan(self, problem: PlanningProblem) -> PlanResult: ...
