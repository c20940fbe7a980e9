"""Notices to customers: what each must state, and where its delivery stands.

Overdue notices state the arrears; visit notices (an appointment, or its cancellation) state
the visit's window instead and carry no amounts at all.
"""

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


class NoticeKind(StrEnum):
    OVERDUE = "overdue"  # the arrears, days past due and what the customer can do
    VISIT_APPOINTMENT = "visit_appointment"  # date, likely time and purpose of a field visit
    VISIT_CANCELLATION = "visit_cancellation"  # an announced visit will not take place

    @property
    def about_a_visit(self) -> bool:
        return self is not NoticeKind.OVERDUE


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPPRESSED = "suppressed"  # the contact rules forbid it for good (hold, cease, refusal)


class Notification(Base):
    """One notice to send, caused by one event (its trigger): a case event for an overdue
    notice, a visit event for a visit notice.

    An overdue notice's amounts are the case's position as of ``as_of_date``; a visit notice
    has none (those columns are null). No personal data: contact data is fetched from case-api
    only when the notice is sent.
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
        # Visit events find the notices already made for their visit.
        Index("ix_notification_visit", "visit_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    trigger_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    trigger_event_type: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(
        String(32), default=NoticeKind.OVERDUE.value, server_default=NoticeKind.OVERDUE.value
    )
    # Null on a visit notice queued before the case view knew the product: the pack is then
    # resolved from the case view when it is sent.
    product: Mapped[str | None] = mapped_column(String(64))
    # Overdue notices only (null on visit notices).
    stage: Mapped[str | None] = mapped_column(String(32))
    days_past_due: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    principal: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    interest: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    fees: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    penalties: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    total: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    # Doorstep's own charges (late fee, penalty interest) the notice must state; null on
    # notices queued before they were kept.
    late_fees: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    penalty_interest: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    as_of_date: Mapped[date | None] = mapped_column(Date)
    # Visit notices only: the visit and its window (for a cancellation, the window cancelled).
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The sent appointment notice this one replaces (a moved visit) or cancels, and its window,
    # so the customer is told which appointment no longer holds.
    replaces_notification_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    previous_window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    previous_window_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
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
