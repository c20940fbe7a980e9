"""The planner's language: what is asked, what is known, what comes back.

A planner is a pure function of a request and a calendar snapshot. The visits service loads the
calendar from the database and stores the answer, so a real solver (routes, travel times, skills)
can replace the simple rule without touching the service, the tables or the events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
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

    def overlaps(self, other: TimeWindow) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class VisitRequest:
    case_id: uuid.UUID
    days_past_due: int
    requested_at: datetime
    """"Now" for the planner, which never reads the clock itself (deterministic, testable)."""


@dataclass(frozen=True, slots=True)
class CollectorCapacity:
    collector_id: uuid.UUID
    name: str
    max_visits_per_day: int


@dataclass(frozen=True, slots=True)
class Booking:
    """A window a collector is already committed to."""

    collector_id: uuid.UUID
    window: TimeWindow


@dataclass(frozen=True, slots=True)
class Calendar:
    """Active collectors and their bookings inside the planner's search window."""

    collectors: tuple[CollectorCapacity, ...]
    bookings: tuple[Booking, ...]


@dataclass(frozen=True, slots=True)
class Assignment:
    collector_id: uuid.UUID
    window: TimeWindow


@dataclass(frozen=True, slots=True)
class Unassigned:
    reason: str


PlanResult = Assignment | Unassigned


class Planner(Protocol):
    def search_window(self, request: VisitRequest) -> TimeWindow:
        """The period whose bookings ``plan_slot`` needs to see in its calendar."""
        ...

    def plan_slot(self, request: VisitRequest, calendar: Calendar) -> PlanResult:
        """One visit's collector and window, or why there is none."""
        ...
