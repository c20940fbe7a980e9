"""case-api settings (environment prefix ``CASE_API_``)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from doorstep_shared.settings import ServiceSettings


class CaseApiSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASE_API_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/case_api.db",
        description="SQLAlchemy async URL of case-api's own database.",
    )
    consumer_group: str = Field(
        default="doorstep-case-api", description="Kafka consumer group for status write-back."
    )
    event_source: str = Field(
        default="urn:doorstep:case-api", description="CloudEvents source of case events."
    )
    policy_file: Path | None = Field(
        default=None,
        description="TOML collection policy (ladder, charges, promises, arrangements) per "
        "product; the packaged default when unset. Validated at start-up.",
    )
    bank_timezone: str = Field(
        default="UTC",
        description="IANA time zone of the bank; today's business date is taken there unless "
        "operations set it (PUT /v1/business-date).",
    )
    evaluation_time: time = Field(
        default=time(1, 0),
        description="Local time (bank time zone) at which the daily evaluation job runs.",
    )
    daily_evaluation_enabled: bool = Field(
        default=True, description="Run the daily evaluation job inside the web process."
    )

    @field_validator("bank_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value
