"""Overdue notices: what each must state, and where its delivery stands."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_notifier.db import Base
from doorstep_shared.db.types import MoneyAmount, UtcDateTime


class DeliveryStatus(StrEnum):
    """What the provider reported after taking the message (delivery receipts)."""

    DELIVERED = "delivered"
    FAILED = "failed"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPPRESSED = "suppressed"  # the contact rules forbid it for good (hold, cease, refusal)


class Notification(Base):
    """One notice to send, caused by one case event (its trigger).

    The amounts are the case's position as of ``as_of_date``; they hold no personal data.
    Contact data is fetched from case-api only when the notice is sent.
    """

    __tablename__ = "notification"
    __table_args__ = (
        # The dispatcher's query: due pending notices. Sent ones pile up; keep them out.
        Index(
            "ix_notification_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_notification_case", "case_id", "created_at"),
        # Delivery receipts name the gateway's message id.
        Index("ix_notification_provider_message", "provider", "provider_message_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    trigger_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    trigger_event_type: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    product: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32))
    days_past_due: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[Decimal] = mapped_column(MoneyAmount)
    interest: Mapped[Decimal] = mapped_column(MoneyAmount)
    fees: Mapped[Decimal] = mapped_column(MoneyAmount)
    penalties: Mapped[Decimal] = mapped_column(MoneyAmount)
    total: Mapped[Decimal] = mapped_column(MoneyAmount)
    # Doorstep's own charges (late fee, penalty interest) the notice must state; null on
    # notices queued before they were kept.
    late_fees: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    penalty_interest: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    as_of_date: Mapped[date] = mapped_column(Date)
    channel: Mapped[str | None] = mapped_column(String(16))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set while a dispatcher owns the row; a dispatcher whose lease ran out finds another
    # token here and drops its attempt instead of sending twice.
    claim_token: Mapped[str | None] = mapped_column(String(36))
    last_error: Mapped[str | None] = mapped_column(String(500))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set by a delivery receipt: delivered or failed after the provider took the message.
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    delivery_reason: Mapped[str | None] = mapped_column(String(500))
    delivery_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
