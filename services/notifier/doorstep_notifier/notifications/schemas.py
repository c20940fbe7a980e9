"""Notification read API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from doorstep_notifier.notifications.models import NoticeKind, NotificationStatus
from doorstep_shared.events.contracts import ContactDecisionFacts


class ArrearsRead(BaseModel):
    currency: str = Field(description="ISO 4217 code.", examples=["CNY"])
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    total: Decimal


class TriggerRead(BaseModel):
    event_id: str = Field(description="ce_id of the event that asked for the notice.")
    event_type: str = Field(examples=["doorstep.case.opened.v1", "doorstep.visit.scheduled.v1"])


class VisitNoticeRead(BaseModel):
    """The visit a visit notice is about."""

    visit_id: uuid.UUID
    window_start: datetime = Field(description="Start of the visit window the notice states.")
    window_end: datetime
    replaces_notification_id: uuid.UUID | None = Field(
        description="The sent appointment notice this one replaces (a moved visit) or cancels."
    )
    previous_window_start: datetime | None = Field(
        description="The window of the replaced or cancelled appointment."
    )
    previous_window_end: datetime | None


class NotificationSummary(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    status: NotificationStatus
    status_reason: str | None = Field(description="Why it failed or was cancelled.")
    channel: str | None = Field(description="sms, email or letter, once chosen.")
    provider: str | None = Field(description="Provider that took the message.", examples=["local"])
    kind: NoticeKind = Field(
        description="overdue (the arrears), visit_appointment (a field visit's date, likely "
        "time and purpose) or visit_cancellation (an announced visit is called off)."
    )
    trigger: TriggerRead
    stage: str | None = Field(
        examples=["reminder", "contact", "field", "legal"], description="Overdue notices only."
    )
    days_past_due: int | None = Field(description="Overdue notices only.")
    arrears: ArrearsRead | None = Field(
        description="Overdue amounts the notice states; null on visit notices."
    )
    as_of_date: date | None = Field(description="Overdue notices only.")
    visit: VisitNoticeRead | None = Field(description="Visit notices only.")
    attempts: int = Field(description="Delivery attempts made so far.")
    next_attempt_at: datetime | None = Field(description="When a pending notice is tried next.")
    last_error: str | None = Field(description="Why the last attempt did not deliver.")
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class MessageRead(BaseModel):
    """The message as the provider recorded it. The recipient is masked."""

    channel: str
    recipient: str = Field(examples=["+86*******8000", "l***@example.com", "***, CN"])
    subject: str | None = Field(description="None for SMS.")
    body: str
    language: str = Field(examples=["en", "zh-CN"])
    recorded_at: datetime


class ContactDecisionRead(BaseModel):
    """One answer of the contact rules for this notice (the decision log)."""

    model_config = ConfigDict(from_attributes=True)

    channel: str
    outcome: Literal["allowed", "deferred", "suppressed"]
    rule_id: str
    pack_id: str
    pack_version: str
    reason: str
    not_before: datetime | None
    timezone: str
    timezone_source: str
    decided_at: datetime


class NotificationRead(NotificationSummary):
    message: MessageRead | None = Field(
        description="The recorded message (local provider), once sent."
    )
    decisions: list[ContactDecisionRead] = Field(
        default_factory=list,
        description="Every answer the contact rules gave for this notice, oldest first.",
    )


class NotificationPage(BaseModel):
    items: list[NotificationSummary] = Field(description="Newest first.")


class NoticePreview(BaseModel):
    """A notice as it would go out now, rendered with the customer's current contact data.

    Personal data: the body names the customer. The recipient is masked as everywhere else.
    """

    notification_id: uuid.UUID
    case_id: uuid.UUID
    notification_status: NotificationStatus = Field(description="Where the notice stands.")
    channel: Literal["sms", "email", "letter"] = Field(
        description="The channel asked for, else the one the dispatcher would choose."
    )
    sender: str = Field(
        description="What the customer sees as the sender: SMS sender id, e-mail From, or "
        "the letter's return address in the envelope window."
    )
    recipient: str = Field(examples=["+86*******8000", "l***@example.com", "***, CN"])
    language: str = Field(examples=["en", "zh-CN"])
    subject: str | None = Field(description="E-mail subject or letter heading; None for SMS.")
    body: str
    contact_rules: ContactDecisionFacts | None = Field(
        default=None,
        description="What the contact rules would answer for this channel right now "
        "(allowed, deferred until, or suppressed, with rule and reason); null when the "
        "customer's time zone cannot be found. Not logged: a preview sends nothing.",
    )
