"""Field visits: requested when a case enters a field-visit stage, then scheduled or unassigned."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_scheduler.db import Base
from doorstep_shared.db.types import UtcDateTime

VisitStatus = Literal["scheduled", "unassigned", "cancelled"]
ACTIVE_STATUSES: tuple[VisitStatus, ...] = ("scheduled", "unassigned")

_ACTIVE = text("status IN ('scheduled', 'unassigned')")
_SCHEDULED = text("status = 'scheduled'")


class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint("status IN ('scheduled', 'unassigned', 'cancelled')", name="status"),
        # At most one active visit per case: a redelivered or concurrent event cannot add one.
        Index(
            "uq_visit_active_case",
            "case_id",
            unique=True,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        ),
        # One scheduled visit per collector and start time: two planners racing for the same
        # slot make one transaction fail and retry, instead of double-booking the team.
        # (It also serves the calendar query by collector and window.)
        Index(
            "uq_visit_collector_slot",
            "collector_id",
            "window_start",
            unique=True,
            postgresql_where=_SCHEDULED,
            sqlite_where=_SCHEDULED,
        ),
        Index("ix_visit_case_created", "case_id", "created_at"),
        Index("ix_visit_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    trigger_event_id: Mapped[str] = mapped_column(
        String(64), doc="ce_id of the case event that requested the visit."
    )
    status: Mapped[str] = mapped_column(String(16))
    collector_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collector.id"))
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unassigned_reason: Mapped[str | None] = mapped_column(String(200))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
