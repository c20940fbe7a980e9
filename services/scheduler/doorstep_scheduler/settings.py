"""scheduler settings (environment prefix ``SCHEDULER_``)."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from doorstep_shared.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/scheduler.db",
        description="SQLAlchemy async URL of the scheduler's own database.",
    )
    consumer_group: str = Field(
        default="doorstep-scheduler", description="Kafka consumer group for case events."
    )
    event_source: str = Field(
        default="urn:doorstep:scheduler", description="CloudEvents source of visit events."
    )
    planning_timezone: str = Field(
        default="UTC",
        description="IANA time zone in which working days and working hours are read.",
    )
    working_day_start: time = Field(
        default=time(9, 0), description="Local time (HH:MM) the first visit slot may start."
    )
    working_day_end: time = Field(
        default=time(17, 0), description="Local time (HH:MM) by which the last visit slot ends."
    )
    visit_slot_minutes: int = Field(
        default=60, ge=5, le=720, description="Length of one visit window in minutes."
    )
    planning_horizon_days: int = Field(
        default=14,
        ge=1,
        le=366,
        description="Calendar days after the event's date searched for a free slot.",
    )
    demo_collectors: int = Field(
        default=3,
        ge=0,
        le=100,
        description=(
            "Collectors ('Team 1'..'Team N') created at start-up when there are none, so a "
            "local run can schedule. Set 0 in production."
        ),
    )

    @field_validator("planning_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known IANA time zone") from None
        return value

    @model_validator(mode="after")
    def _slot_fits_the_working_day(self) -> SchedulerSettings:
        span_minutes = _minutes(self.working_day_end) - _minutes(self.working_day_start)
        if span_minutes < self.visit_slot_minutes:
            raise ValueError(
                "working_day_end must be after working_day_start by at least one visit slot"
            )
        return self


def _minutes(moment: time) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60
