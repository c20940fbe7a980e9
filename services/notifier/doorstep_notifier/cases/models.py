"""The notifier's local view of each case, built from case events (no personal data)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Integer, String, Uuid, false, text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_notifier.db import Base
from doorstep_shared.db.types import UtcDateTime


class CaseView(Base):
    __tablename__ = "case_view"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    # Picks the contact-rule pack for notices that do not come from a case event (visit
    # notices). Null only on views written before it was kept and never updated since.
    product: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32))
    days_past_due: Mapped[int] = mapped_column(Integer)
    as_of_date: Mapped[date] = mapped_column(Date)
    # While a hold or an arrangement pauses collection, no notice is queued or sent.
    collection_paused: Mapped[bool] = mapped_column(Boolean, server_default=false())
    holds: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[]'"))
    last_sequence: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
