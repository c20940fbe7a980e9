"""A customer's visit terms: address kind, visit consent, visit windows, repayment capacity.

One row per customer, kept apart from ``customer`` so that a snapshot without terms (which
rewrites the customer row) leaves what operations recorded alone. No row: the defaults.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import MoneyAmount, UtcDateTime


class VisitTerms(Base):
    __tablename__ = "visit_terms"
    __table_args__ = (
        CheckConstraint(
            "(monthly_income IS NULL AND monthly_obligations IS NULL"
            " AND capacity_currency IS NULL AND capacity_assessed_on IS NULL)"
            " OR (monthly_income IS NOT NULL AND monthly_obligations IS NOT NULL"
            " AND capacity_currency IS NOT NULL AND capacity_assessed_on IS NOT NULL)",
            name="capacity_complete",
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    # home | workplace | hospital | care_home | other
    address_kind: Mapped[str] = mapped_column(String(16))
    visit_consent_recorded: Mapped[bool] = mapped_column(Boolean)
    visit_consent_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    visit_consent_recorded_by: Mapped[str | None] = mapped_column(String(128))
    # [{"weekday": 0..6, "start": "HH:MM", "end": "HH:MM"}], customer-local, sorted.
    visit_windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Repayment capacity: all four or none. Financial, not identifying: plain like arrears.
    monthly_income: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    monthly_obligations: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    capacity_currency: Mapped[str | None] = mapped_column(String(3))
    capacity_assessed_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
