"""Settings every service has; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
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
    shutdown_grace_seconds: float = Field(
        default=10.0,
        gt=0,
        description="At shutdown (SIGTERM), how long consumers, the outbox relay and the "
        "notifier's dispatcher get to finish the record, batch or round in hand and commit "
        "before they are cancelled. Keep it below the orchestrator's termination grace period.",
    )
    consumer_stall_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A Kafka consumer with records waiting (or one in hand) that finishes none "
        "for this long, or whose poll loop does not come back for this long, is stalled: "
        "/healthz answers 503 so the process is restarted. An idle consumer is never stalled. "
        "Keep it above the longest handler retry worth riding out.",
    )
    gap_wait_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Consumers of case events (notifier, scheduler) apply each case's events "
        "in sequence: an event that arrives ahead of a missing one is parked until the missing "
        "one comes. After this long they stop waiting and apply the parked event, which "
        "carries the case's whole state, as the case's next state (the missing sequence "
        "numbers are logged as a warning).",
    )
    background_workers_enabled: bool = Field(
        default=True,
        description="Run the outbox relay and Kafka consumers inside the web process.",
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        description=(
            "'production' refuses to start while a secret still has its local default or no "
            "way to authenticate callers is configured."
        ),
    )
    jwt_issuer: str | None = Field(
        default=None,
        description="Issuer ('iss') of the bank's identity provider; unset: JWTs are refused.",
    )
    jwt_audience: str = Field(
        default="doorstep", description="Audience ('aud') that JWTs must name."
    )
    jwt_jwks_url: str | None = Field(
        default=None, description="URL of the identity provider's JWKS (fetched and cached)."
    )
    jwt_jwks_file: Path | None = Field(
        default=None, description="JWKS as a local file (closed networks); instead of the URL."
    )
    jwt_scope_claim: str = Field(
        default="scope", description="Claim with the scopes (space-separated or a list)."
    )
    jwt_team_claim: str = Field(
        default="doorstep_team",
        description="Claim with a collector's team id; such a caller sees only that team.",
    )
    api_key_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long a verified API key is cached; a revocation applies within it.",
    )
    rate_limit_per_minute: int = Field(
        default=120_000, ge=1, description="Requests per minute per credential (per replica)."
    )
    rate_limit_burst: int = Field(
        default=10_000, ge=1, description="Requests a credential may make at once before 429."
    )
    max_request_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )
    audit_retention_years: int = Field(
        default=7,
        ge=1,
        description="Years the audit log keeps its entries; `doorstep-<service> audit purge` "
        "deletes older ones (and records that it did).",
    )
    log_level: str = Field(default="INFO", description="Python log level.")

    @model_validator(mode="after")
    def _one_jwks_source(self) -> ServiceSettings:
        if self.jwt_issuer and (self.jwt_jwks_url is None) == (self.jwt_jwks_file is None):
            raise ValueError("with jwt_issuer set, give exactly one of jwt_jwks_url, jwt_jwks_file")
        return self

    def production_problems(self) -> list[str]:
        """What makes these settings unfit for production (names only, never values)."""
        problems = []
        if self.jwt_jwks_url and not self.jwt_jwks_url.startswith("https://"):
            problems.append("jwt_jwks_url must use https")
        return problems


class InsecureSettingsError(RuntimeError):
    pass


def refuse_insecure_production(settings: ServiceSettings) -> None:
    if settings.environment == "production" and (problems := settings.production_problems()):
        raise InsecureSettingsError("refusing to start in production: " + "; ".join(problems))
