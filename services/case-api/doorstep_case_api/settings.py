"""case-api settings (environment prefix ``CASE_API_``)."""

from __future__ import annotations

from pydantic import Field
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
