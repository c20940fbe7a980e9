"""Late fees and penalty interest Doorstep charged under the product policy."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import BigIntPk, MoneyAmount, UtcDateTime


class ChargeEntry(Base):
    __tablename__ = "charge_entry"
    # One entry per case, kind and day: accrual twice for one date is a no-op.
    __table_args__ = (UniqueConstraint("case_id", "kind", "accrual_date"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # late_fee | penalty_interest
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    currency: Mapped[str] = mapped_column(String(3))
    accrual_date: Mapped[date] = mapped_column(Date)
    basis: Mapped[str] = mapped_column(String(200))  # how it was computed, for the dossier
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
