"""Settings every service has; each service subclasses with its own env prefix."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Common settings. Subclasses set ``env_prefix`` (``CASE_API_``, ``NOTIFIER_``...)."""

    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    database_url: str = Field(
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://..."
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated Kafka bootstrap servers."
    )
    kafka_enable_idempotence: bool = Field(
        default=False,
        description="Idempotent producer. Turn on for Apache Kafka; the local broker lacks it.",
    )
    kafka_create_topics: bool = Field(
        default=True,
        description="Create missing topics at start-up (local runs). Production uses deploy/ init.",
    )
    kafka_topic_partitions: int = Field(default=6, ge=1, description="Partitions per new topic.")
    kafka_send_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Upper bound for one publish to the broker."
    )
    outbox_poll_interval_seconds: float = Field(
        default=0.2, gt=0, description="How often the outbox relay looks for unpublished rows."
    )
    outbox_batch_size: int = Field(default=500, ge=1, description="Rows the relay sends per round.")
    background_workers_enabled: bool = Field(
        default=True,
        description="Run the outbox relay and Kafka consumers inside the web process.",
    )
    service_token: SecretStr = Field(
        default=SecretStr("doorstep-local-service-token"),
        description="Shared token that service-to-service HTTP calls present.",
    )
    log_level: str = Field(default="INFO", description="Python log level.")
