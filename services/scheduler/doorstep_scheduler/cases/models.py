"""Local read model of cases, kept from case events (no personal data)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Integer, Numeric, String, Uuid, false, text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_scheduler.db import Base
from doorstep_shared.db.types import UtcDateTime


class CaseView(Base):
    __tablename__ = "case_view"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(32))
    treatment: Mapped[str | None] = mapped_column(
        String(32), doc="What the stage does (field_visit: plan a visit); null before 0002."
    )
    days_past_due: Mapped[int] = mapped_column(Integer)
    collection_paused: Mapped[bool] = mapped_column(Boolean, server_default=false())
    holds: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[]'"))
    vulnerable: Mapped[bool] = mapped_column(Boolean, server_default=false())
    total_due: Mapped[Decimal | None] = mapped_column(
        Numeric(18, 4), doc="Arrears plus charges, in ``currency``; null before 0005."
    )
    currency: Mapped[str | None] = mapped_column(String(3))
    broken_promises: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    visits_exhausted_stage: Mapped[str | None] = mapped_column(
        String(32), doc="Stage in which every visit attempt found nobody home: no more visits."
    )
    last_sequence: Mapped[int] = mapped_column(
        Integer, doc="Sequence of the newest case event applied; older ones are stale."
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
