"""Small planning instances around one city, in absolute times on fixed dates."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from doorstep_scheduler.planning.problem import (
    GeoPoint,
    PinnedVisit,
    PlannedStop,
    TeamDay,
    TimeWindow,
    VisitDemand,
)
from doorstep_scheduler.planning.travel import HaversineTravel

TRAVEL = HaversineTravel(speed_kmh=30)
BUDGET = 0.5  # seconds: the instances are tiny
MONDAY = date(2026, 11, 9)
CENTRE = GeoPoint(51.5074, -0.1278)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def window(day: date, start: int, end: int) -> TimeWindow:
    return TimeWindow(at(day, start), at(day, end))


def near(n: int) -> GeoPoint:
    """A point a few kilometres from the centre, spread around it."""
    return GeoPoint(CENTRE.lat + 0.01 * ((n % 5) - 2), CENTRE.lon + 0.015 * ((n // 5 % 5) - 2))


def team_day(
    team: int,
    day: date = MONDAY,
    *,
    capacity: int = 8,
    languages: frozenset[str] = frozenset({"en"}),
    skills: frozenset[str] = frozenset(),
    region: str | None = None,
    hours: tuple[int, int] = (9, 17),
    size: int = 2,
) -> TeamDay:
    return TeamDay(
        team_id=uuid.UUID(int=team),
        day=day,
        shift=window(day, *hours),
        base=CENTRE,
        capacity=capacity,
        languages=languages,
        skills=skills,
        size=size,
        region=region,
    )


def demand(
    n: int,
    *windows: TimeWindow,
    language: str = "en",
    priority: int = 1,
    skills: frozenset[str] = frozenset(),
    region: str | None = None,
    minutes: int = 30,
) -> VisitDemand:
    return VisitDemand(
        visit_id=uuid.UUID(int=1000 + n),
        case_id=uuid.UUID(int=5000 + n),
        location=near(n),
        service=timedelta(minutes=minutes),
        priority=priority,
        language=language,
        skills=skills,
        windows=windows or (window(MONDAY, 9, 17),),
        region=region,
    )


def pin(stop: PlannedStop, visit: VisitDemand) -> PinnedVisit:
    """The appointment a planned stop became once the customer was told."""
    return PinnedVisit(
        visit_id=stop.visit_id,
        case_id=stop.case_id,
        team_id=stop.team_id,
        day=stop.day,
        window=stop.window,
        location=visit.location,
        service=visit.service,
    )
