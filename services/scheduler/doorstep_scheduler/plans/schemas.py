"""Planning runs as operations see them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    started_at: datetime
    finished_at: datetime
    first_day: date = Field(description="First day the plan covers.")
    last_day: date
    trigger: str = Field(description="What started the run: change, interval or request.")
    solver: str = Field(examples=["pyvrp 0.14.1"])
    solve_seconds: float
    planned: int = Field(description="Visits newly given an appointment.")
    kept: int = Field(description="Appointments kept where they were.")
    moved: int = Field(description="Appointments that had to move (a new notice was sent).")
    unplanned: int = Field(description="Visits left without an appointment.")
    travel_seconds: int = Field(description="Planned driving of every route, base to base.")
    unplanned_by_reason: dict[str, int] = Field(
        description="Unplanned visits per reason code (no_language, capacity, consent_required…).",
        examples=[{"capacity": 3, "no_language": 1}],
    )


class PlanList(BaseModel):
    items: list[PlanRead] = Field(description="Planning runs, newest first.")


class PlanRunAnswer(BaseModel):
    plan: PlanRead | None = Field(
        description="The run's plan; null when there was nothing to plan."
    )
