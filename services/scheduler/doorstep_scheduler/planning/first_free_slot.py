"""The foundation rule: the earliest free working slot, the first collector by name with room.

Days in order (Mon–Fri after the request's local date, within the horizon), then slots in order
within working hours, then active collectors ordered by name: the first collector whose window
is free and who is under its daily maximum gets the visit. Greedy and explainable; a solver that
optimises routes will replace it behind the same ``Planner`` interface.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date

from doorstep_scheduler.planning.model import (
    Assignment,
    Calendar,
    PlanResult,
    TimeWindow,
    Unassigned,
    VisitRequest,
)
from doorstep_scheduler.planning.working_hours import WorkingHours


class FirstFreeSlotPlanner:
    def __init__(self, hours: WorkingHours) -> None:
        self._hours = hours

    def search_window(self, request: VisitRequest) -> TimeWindow:
        return self._hours.horizon(request.requested_at)

    def plan_slot(self, request: VisitRequest, calendar: Calendar) -> PlanResult:
        if not calendar.collectors:
            return Unassigned("no active collector")
        # Sorted here, not by the database: collations order names differently.
        collectors = sorted(calendar.collectors, key=lambda c: (c.name, c.collector_id))
        booked: dict[uuid.UUID, list[TimeWindow]] = defaultdict(list)
        visits_per_day: Counter[tuple[uuid.UUID, date]] = Counter()
        for booking in calendar.bookings:
            booked[booking.collector_id].append(booking.window)
            day = self._hours.local_date(booking.window.start)
            visits_per_day[(booking.collector_id, day)] += 1

        for day in self._hours.candidate_days(request.requested_at):
            for window in self._hours.slots_on(day):
                for collector in collectors:
                    if (
                        visits_per_day[(collector.collector_id, day)]
                        >= collector.max_visits_per_day
                    ):
                        continue
                    if any(window.overlaps(taken) for taken in booked[collector.collector_id]):
                        continue
                    return Assignment(collector.collector_id, window)
        return Unassigned(
            f"no collector has a free slot on the working days of the next "
            f"{self._hours.horizon_days} days"
        )
