"""Visit planning: given a request and a calendar snapshot, choose a collector and a window.

``model`` is the planner's language (the contract a route-optimising solver will implement);
``first_free_slot`` is today's simple rule; ``build_planner`` picks the one configured.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from doorstep_scheduler.planning.first_free_slot import FirstFreeSlotPlanner
from doorstep_scheduler.planning.model import Planner
from doorstep_scheduler.planning.working_hours import WorkingHours
from doorstep_scheduler.settings import SchedulerSettings


def working_hours_from(settings: SchedulerSettings) -> WorkingHours:
    return WorkingHours(
        timezone=ZoneInfo(settings.planning_timezone),
        day_start=settings.working_day_start,
        day_end=settings.working_day_end,
        slot=timedelta(minutes=settings.visit_slot_minutes),
        horizon_days=settings.planning_horizon_days,
    )


def build_planner(settings: SchedulerSettings) -> Planner:
    return FirstFreeSlotPlanner(working_hours_from(settings))
