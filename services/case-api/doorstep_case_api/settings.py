"""case-api settings (environment prefix ``CASE_API_``)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from doorstep_shared.security.crypto import (
    LOCAL_DEVELOPMENT_BLIND_INDEX_KEY,
    LOCAL_DEVELOPMENT_FIELD_KEYS,
    LOCAL_DEVELOPMENT_KEY_ID,
    uses_local_default_keys,
)
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
    batch_chunk_records: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Records of a delinquency batch applied per transaction: each chunk "
        "commits with its outbox rows; a replay of the batch id returns its stored results.",
    )
    max_batch_records: int = Field(
        default=10_000,
        ge=1,
        le=10_000,
        description="Records one POST /v1/delinquency-batches may carry; the rest of a longer "
        "body is not read (the response says where it stopped).",
    )
    max_batch_body_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest body of POST /v1/delinquency-batches (other routes keep "
        "max_request_body_bytes); a chunked body is cut off there.",
    )
    daily_evaluation_enabled: bool = Field(
        default=True, description="Run the daily evaluation job inside the web process."
    )
    field_encryption_keys: SecretStr = Field(
        default=SecretStr(LOCAL_DEVELOPMENT_FIELD_KEYS),
        description="Key ring for customer personal data at rest: comma-separated "
        "key_id:base64 pairs of 32-byte AES-256-GCM keys. Keep a retired key id here until "
        "rotate-keys has run. The default is a published local-development key.",
    )
    field_encryption_active_key: str = Field(
        default=LOCAL_DEVELOPMENT_KEY_ID,
        description="Key id from the key ring that new values are encrypted under; "
        "rotate-keys re-encrypts values under any other id.",
    )
    blind_index_key: SecretStr = Field(
        default=SecretStr(LOCAL_DEVELOPMENT_BLIND_INDEX_KEY),
        description="Base64 key (32 bytes or more) of the HMAC-SHA256 blind indexes that find "
        "customers by phone or national id; separate from the encryption keys. After changing "
        "it, run rotate-keys to recompute the indexes.",
    )

    @field_validator("bank_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if uses_local_default_keys(self):
            problems.append(
                "field_encryption_keys or blind_index_key still holds the local development key"
            )
        return problems
