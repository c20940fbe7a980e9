"""scheduler settings (environment prefix ``SCHEDULER_``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from doorstep_shared.contact_rules import RulePack, pack_for, visit_conduct
from doorstep_shared.contact_rules.visit_conduct import VisitConduct
from doorstep_shared.security.crypto import (
    LOCAL_DEVELOPMENT_FIELD_KEYS,
    LOCAL_DEVELOPMENT_KEY_ID,
    FieldCipher,
    holds_local_development_key,
    parse_key_ring,
)
from doorstep_shared.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/scheduler.db",
        description="SQLAlchemy async URL of the scheduler's own database.",
    )
    consumer_group: str = Field(
        default="doorstep-scheduler",
        description="Kafka consumer group for case events and status updates.",
    )
    notice_consumer_group: str = Field(
        default="doorstep-scheduler-notices",
        description=(
            "Kafka consumer group reading the notifier's appointment-notice updates from the "
            "case-status topic."
        ),
    )
    event_source: str = Field(
        default="urn:doorstep:scheduler", description="CloudEvents source of visit events."
    )
    contact_rule_pack: str = Field(
        default="UK",
        description=(
            "Contact-rule pack that binds the bank (CN, US, US-MA, UK, IN, AU; optionally "
            "'NAME@VERSION'): lawful visit hours and holidays, the minimum team size, the "
            "appointment notice period and whether visits are recorded."
        ),
    )
    case_api_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of case-api, which serves the customer's visit address and terms.",
    )
    case_api_token: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Credential the scheduler presents to case-api for visit data: an API key with "
            "scope contact:visit, or a JWT with it. The local stack provisions one."
        ),
    )
    contact_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Upper bound for one visit-data request to case-api."
    )
    planning_days: int = Field(
        default=5, ge=1, le=31, description="Working days ahead that one plan covers."
    )
    planning_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description=(
            "How often the planner re-plans open visit requests (a change such as a new "
            "urgent visit or a cancellation also wakes it)."
        ),
    )
    planning_time_budget_seconds: float = Field(
        default=8.0, gt=0, le=600, description="Solver time budget of one planning run."
    )
    visit_minutes: int = Field(
        default=30, ge=5, le=240, description="Time a team spends at the door, per visit."
    )
    appointment_window_minutes: int = Field(
        default=120,
        ge=15,
        le=720,
        description="Width of the appointment window told to the customer.",
    )
    notice_period_hours: float | None = Field(
        default=None,
        ge=0,
        description=(
            "Hours between the appointment notice and the visit window; unset: the pack's "
            "figure (UK 48, others 24). Can only lengthen the pack's figure."
        ),
    )
    max_visit_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Visits tried per field stage when nobody is home; then the ladder decides.",
    )
    min_days_between_visits: int = Field(
        default=2,
        ge=0,
        le=60,
        description="A case is visited at most once in this many days (a per-case cap).",
    )
    check_in_radius_meters: float = Field(
        default=300.0,
        gt=0,
        description="A check-in farther than this from the visit address is flagged.",
    )
    travel_speed_kmh: float = Field(
        default=25.0,
        gt=0,
        le=150,
        description="Average travel speed of the haversine travel-time model.",
    )
    field_encryption_keys: SecretStr = Field(
        default=SecretStr(LOCAL_DEVELOPMENT_FIELD_KEYS),
        description="Key ring for the customer data the scheduler keeps (visit address, "
        "coordinates, terms): comma-separated key_id:base64 pairs of 32-byte AES-256-GCM keys. "
        "Keep a retired key id here until rotate-keys has run. The default is a published "
        "local-development key.",
    )
    field_encryption_active_key: str = Field(
        default=LOCAL_DEVELOPMENT_KEY_ID,
        description="Key id from the key ring that new values are encrypted under; "
        "rotate-keys re-encrypts values under any other id.",
    )
    demo_teams: int = Field(
        default=3,
        ge=0,
        le=100,
        description=(
            "Teams ('Team 1'..'Team N', two collectors each, based in London) created at "
            "start-up when there are none, so a local run can plan. Set 0 in production."
        ),
    )

    @field_validator("contact_rule_pack")
    @classmethod
    def _known_pack(cls, value: str) -> str:
        pack_for(value)
        return value

    @property
    def cipher(self) -> FieldCipher:
        return FieldCipher(
            parse_key_ring(self.field_encryption_keys.get_secret_value()),
            self.field_encryption_active_key,
        )

    @property
    def rule_pack(self) -> RulePack:
        return pack_for(self.contact_rule_pack)

    @property
    def conduct(self) -> VisitConduct:
        """The pack's visit conduct, with the notice period lengthened by the setting."""
        conduct = visit_conduct(self.rule_pack)
        if self.notice_period_hours is None:
            return conduct
        longer = max(conduct.notice_period, timedelta(hours=self.notice_period_hours))
        return replace(conduct, notice_period=longer)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.case_api_token.get_secret_value():
            problems.append("case_api_token is not set")
        if self.demo_teams:
            problems.append("demo_teams must be 0")
        if holds_local_development_key(self.field_encryption_keys.get_secret_value()):
            problems.append("field_encryption_keys still holds the local development key")
        return problems
