"""notifier settings (environment prefix ``NOTIFIER_``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from doorstep_shared.contact_rules import RulePack, pack_for
from doorstep_shared.settings import ServiceSettings


def rule_pack(spec: str) -> RulePack:
    """``NAME`` or ``NAME@VERSION``; ValueError (a settings error) when unknown."""
    name, _, version = spec.partition("@")
    try:
        return pack_for(name, version or None)
    except LookupError as exc:
        raise ValueError(str(exc)) from None


# Shown outside the message itself (the SMS sender and opening, the e-mail From, the letter's
# return address in the envelope window): a third party may see them.
NEUTRAL_OUTSIDE = ("bank_name", "sms_sender_id", "email_from", "letter_sender")
_REVEALING = re.compile(
    r"collect|debt|overdue|arrear|delinquen|recover|催收|欠款|逾期|债", re.IGNORECASE
)


def reveals_debt(text: str) -> bool:
    """True if ``text`` names debt or collection (``Collections Dept``, ``催收中心``)."""
    return _REVEALING.search(text) is not None


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/notifier.db",
        description="SQLAlchemy async URL of the notifier's own database.",
    )
    consumer_group: str = Field(
        default="doorstep-notifier", description="Kafka consumer group for case events."
    )
    visit_consumer_group: str = Field(
        default="doorstep-notifier-visits",
        description=(
            "Kafka consumer group for the scheduler's visit events (planned, moved, cancelled) "
            "on doorstep.case-status.v1, which ask for appointment notices."
        ),
    )
    event_source: str = Field(
        default="urn:doorstep:notifier", description="CloudEvents source of notification events."
    )
    case_api_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of case-api, which serves the customer's contact data.",
    )
    contact_rule_pack: str = Field(
        default="UK",
        description=(
            "Contact-rule pack that binds the bank (CN, US, US-MA, UK, IN, AU; optionally "
            "'NAME@VERSION'): allowed local hours, caps, holidays, holds, preferences."
        ),
    )
    contact_rule_packs_by_product: dict[str, str] = Field(
        default_factory=dict,
        description='Pack per product where it differs, as JSON: {"card-au": "AU"}.',
    )
    provider: Literal["local", "channels"] = Field(
        default="local",
        description=(
            "Channel provider that delivers notices. 'local' records each message in the "
            "notifier's database instead of sending it; 'channels' sends SMS through the HTTP "
            "gateway, e-mail through SMTP and letters as PDFs to the print queue."
        ),
    )
    sms_gateway_url: str = Field(
        default="http://127.0.0.1:9900/v1/messages",
        description="SMS gateway endpoint that takes one message as a JSON POST.",
    )
    sms_gateway_auth_header: str = Field(
        default="Authorization",
        description="Header that carries the SMS gateway credential.",
    )
    sms_gateway_auth_value: SecretStr = Field(
        default=SecretStr(""),
        description="Value of the SMS gateway credential header (e.g. 'Bearer <key>').",
    )
    sms_gateway_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Upper bound for one request to the SMS gateway."
    )
    sms_sender_id: str = Field(
        default="Doorstep",
        description="Sender id or number the SMS gateway shows the customer ('from').",
    )
    sms_receipt_secret: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Shared secret the SMS gateway presents in the X-Doorstep-Receipt-Secret header "
            "when it posts delivery receipts. Empty: every receipt is refused."
        ),
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for e-mail notices.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the SMTP connection with STARTTLS."
    )
    smtp_tls: bool = Field(
        default=False, description="Connect with implicit TLS (SMTPS, usually port 465)."
    )
    smtp_username: str | None = Field(
        default=None, description="SMTP login; none: send without authenticating."
    )
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Upper bound for one SMTP delivery."
    )
    email_from: str = Field(
        default="Customer Care <notices@bank.example>",
        description="From address of e-mail notices.",
    )
    email_unsubscribe_mailto: str = Field(
        default="unsubscribe@bank.example",
        description=(
            "Address customers write to to stop e-mail (List-Unsubscribe header and the "
            "opt-out line in every message)."
        ),
    )
    bank_name: str = Field(
        default="Example Bank",
        description=(
            "The bank's name as notices show it: it signs every notice and opens every SMS "
            "(the part a lock screen shows). Seen by anyone who sees the message, so it must "
            "not mention debt or collection."
        ),
    )
    bank_contact: str = Field(
        default="+1 555 0100 (Mon-Fri 08:00-20:00), care@bank.example",
        description=(
            "How customers reach the bank about a notice: to pay, ask for a repayment plan, "
            "report hardship or dispute the amount. Printed in every notice in every "
            "language, so write it language-neutral (phone, hours, e-mail or web address)."
        ),
    )
    sms_opt_out_keyword: str = Field(
        default="STOP",
        min_length=1,
        max_length=16,
        description=(
            'Reply keyword every SMS names for opting out of SMS ("Reply STOP to opt out"); '
            "the SMS gateway must honour it."
        ),
    )
    letter_queue_dir: Path = Field(
        default=Path("var/print-queue"),
        description="Folder where letter PDFs are written for printing, one per notification.",
    )
    letter_sender: str = Field(
        default="Customer Services, PO Box 123",
        description=(
            "Neutral return address printed above the recipient; visible through the envelope "
            "window, so it must not reveal a debt or collection."
        ),
    )
    letter_font_path: Path | None = Field(
        default=Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
        description=(
            "TrueType font for letters (monospaced keeps the amount table aligned). Missing or "
            "none: the PDF core font Courier (Latin-1 only). "
            "Letters in a language the font cannot show are written in English."
        ),
    )
    letter_cjk_font_path: Path | None = Field(
        default=None,
        description=(
            "TrueType font with Chinese glyphs for zh-CN letters; none: zh-CN letters are "
            "written in English."
        ),
    )
    case_api_token: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Credential the notifier presents to case-api for contact data: an API key with "
            "scope contact:notify, or a JWT with it. The local stack provisions one."
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

    @field_validator("contact_rule_pack")
    @classmethod
    def _known_pack(cls, value: str) -> str:
        rule_pack(value)
        return value

    @field_validator("contact_rule_packs_by_product")
    @classmethod
    def _known_packs(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value.values():
            rule_pack(name)
        return value

    @model_validator(mode="after")
    def _lease_outlasts_one_attempt(self) -> NotifierSettings:
        if self.dispatch_lease_seconds <= 2 * self.contact_timeout_seconds:
            raise ValueError("dispatch_lease_seconds must exceed twice contact_timeout_seconds")
        if self.provider == "channels" and self.dispatch_lease_seconds <= (
            self.contact_timeout_seconds
            + max(self.sms_gateway_timeout_seconds, self.smtp_timeout_seconds)
        ):
            raise ValueError(
                "dispatch_lease_seconds must exceed contact_timeout_seconds plus the longest "
                "provider timeout"
            )
        for name in NEUTRAL_OUTSIDE:
            if reveals_debt(getattr(self, name)):
                raise ValueError(f"{name} must not mention debt or collection: others see it")
        if self.smtp_tls and self.smtp_starttls:
            raise ValueError("smtp_tls and smtp_starttls exclude each other")
        if self.dispatch_backoff_cap_seconds < self.dispatch_backoff_base_seconds:
            raise ValueError("dispatch_backoff_cap_seconds is below dispatch_backoff_base_seconds")
        return self

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.case_api_token.get_secret_value():
            problems.append("case_api_token is not set")
        if self.provider == "channels" and not self.sms_receipt_secret.get_secret_value():
            problems.append("sms_receipt_secret is not set")
        for name in ("bank_name", "bank_contact"):
            if getattr(self, name) == type(self).model_fields[name].default:
                problems.append(f"{name} still has its example value")
        return problems
