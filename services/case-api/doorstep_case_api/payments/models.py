"""Payments reported by core banking, idempotent by the bank's payment reference."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import MoneyAmount, UtcDateTime


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("account_id", "reference"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.account_id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collection_case.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[date] = mapped_column(Date)
    request_hash: Mapped[str] = mapped_column(String(64))
    # {"penalties": "...", "fees": "...", "interest": "...", "principal": "...",
    #  "unallocated": "..."} as decimal strings: where each unit of the payment went.
    allocation: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
