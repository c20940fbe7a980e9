"""Holds: pauses of all collection contact, set and lifted with a reason."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import UtcDateTime


class Hold(Base):
    __tablename__ = "case_hold"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_case.id"), index=True)
    # dispute | hardship | cease_contact | moratorium | bankruptcy | deceased
    hold_type: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    freezes_fees: Mapped[bool] = mapped_column(Boolean)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lifted_by: Mapped[str | None] = mapped_column(String(64))
    lift_reason: Mapped[str | None] = mapped_column(Text)
