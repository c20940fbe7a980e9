"""Promises to pay, from visit outcomes or operations staff."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import MoneyAmount, UtcDateTime


class Promise(Base):
    __tablename__ = "promise"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_case.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    currency: Mapped[str] = mapped_column(String(3))
    promised_date: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32))  # visit | phone | branch | letter | web
    recorded_by: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))  # operations | visit
    status: Mapped[str] = mapped_column(String(16))  # pending | kept | broken
    paid_towards: Mapped[Decimal] = mapped_column(MoneyAmount)
    recorded_on: Mapped[date] = mapped_column(Date)  # business date
    settled_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
