"""notifier settings (environment prefix ``NOTIFIER_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from doorstep_shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/notifier.db",
        description="SQLAlchemy async URL of the notifier's own database.",
    )
    consumer_group: str = Field(
        default="doorstep-notifier", description="Kafka consumer group for case events."
    )
    event_source: str = Field(
        default="urn:doorstep:notifier", description="CloudEvents source of notification events."
    )
    case_api_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of case-api, which serves the customer's contact data.",
    )
    provider: Literal["local"] = Field(
        default="local",
        description=(
            "Channel provider that delivers notices. 'local' records each message in the "
            "notifier's database instead of sending it."
        ),
    )
    contact_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Upper bound for one contact-data request to case-api."
    )
    dispatch_poll_interval_seconds: float = Field(
        default=0.2, gt=0, description="How often the dispatcher looks for due notifications."
    )
    dispatch_batch_size: int = Field(
        default=20, ge=1, le=500, description="Notifications the dispatcher handles per round."
    )
    dispatch_max_attempts: int = Field(
        default=8,
        ge=1,
        description="Delivery attempts before a notification that keeps failing is marked failed.",
    )
    dispatch_backoff_base_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Delay before the second attempt; each further attempt doubles it.",
    )
    dispatch_backoff_cap_seconds: float = Field(
        default=900.0, gt=0, description="Longest delay between two delivery attempts."
    )
    dispatch_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description=(
            "How long a dispatcher owns the notifications it claimed. Another notifier process "
            "takes them over only after this, so it must exceed the contact timeout."
        ),
    )

    @model_validator(mode="after")
    def _lease_outlasts_one_attempt(self) -> NotifierSettings:
        if self.dispatch_lease_seconds <= 2 * self.contact_timeout_seconds:
            raise ValueError("dispatch_lease_seconds must exceed twice contact_timeout_seconds")
        if self.dispatch_backoff_cap_seconds < self.dispatch_backoff_base_seconds:
            raise ValueError("dispatch_backoff_cap_seconds is below dispatch_backoff_base_seconds")
        return self
