"""Collection cases and their timelines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import BigIntPk, MoneyAmount, UtcDateTime


class Case(Base):
    __tablename__ = "collection_case"
    __table_args__ = (
        # At most one open case per account.
        Index(
            "uq_collection_case_open_account",
            "account_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_collection_case_listing", "status", "stage", "opened_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.account_id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(32))
    product: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[Decimal] = mapped_column(MoneyAmount)
    interest: Mapped[Decimal] = mapped_column(MoneyAmount)
    fees: Mapped[Decimal] = mapped_column(MoneyAmount)
    penalties: Mapped[Decimal] = mapped_column(MoneyAmount)
    days_past_due: Mapped[int] = mapped_column(Integer)
    oldest_unpaid_due_date: Mapped[date | None] = mapped_column(Date)
    as_of_date: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_reason: Mapped[str | None] = mapped_column(String(64))
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # Ladder facts: what happened so far, for the stage prerequisites.
    stage_entered_on: Mapped[date | None] = mapped_column(Date)
    first_notice_sent_on: Mapped[date | None] = mapped_column(Date)
    visit_attempted_on: Mapped[date | None] = mapped_column(Date)
    broken_promises: Mapped[int] = mapped_column(Integer, default=0)
    broken_arrangements: Mapped[int] = mapped_column(Integer, default=0)
    legal_returned_on: Mapped[date | None] = mapped_column(Date)

    # Doorstep's own charges under the product policy (on top of the reported arrears).
    late_fee_charged: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    penalty_interest_charged: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    charges_accrued_through: Mapped[date | None] = mapped_column(Date)

    vulnerability_category: Mapped[str | None] = mapped_column(String(32))
    assigned_team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def total_arrears(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties

    @property
    def total_charges(self) -> Decimal:
        return self.late_fee_charged + self.penalty_interest_charged

    @property
    def total_due(self) -> Decimal:
        return self.total_arrears + self.total_charges

    @property
    def etag(self) -> str:
        # Every state change takes the next sequence number, so it versions the case.
        return f'"{self.id}.{self.last_sequence}"'


class StageTransition(Base):
    """Stage history, for roll rates and the legal dossier."""

    __tablename__ = "stage_transition"
    __table_args__ = (Index("ix_stage_transition_date", "business_date", "to_stage"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_case.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TimelineEntry(Base):
    """One line of a case's history: its own changes and the other services' status updates."""

    __tablename__ = "timeline_entry"
    __table_args__ = (Index("ix_timeline_entry_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_case.id"))
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
