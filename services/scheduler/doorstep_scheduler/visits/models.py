"""Field visits: requested when a case enters a field-visit stage, planned onto a team's route,
announced, checked in and closed with an outcome."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_scheduler.db import Base
from doorstep_scheduler.encryption import EncryptedFloat, EncryptedJSON
from doorstep_shared.db.types import UtcDateTime

VisitStatus = Literal["unassigned", "scheduled", "checked_in", "completed", "cancelled"]
# A case has at most one of these at a time (unique index below).
ACTIVE_STATUSES: tuple[VisitStatus, ...] = ("unassigned", "scheduled", "checked_in")
# Announced to the customer: cancelling one publishes visit.cancelled.
ANNOUNCED_STATUSES: tuple[VisitStatus, ...] = ("scheduled", "checked_in")
NoticeStatus = Literal["pending", "sent", "failed"]

_ACTIVE = text("status IN ('unassigned', 'scheduled', 'checked_in')")


class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint(
            "status IN ('unassigned', 'scheduled', 'checked_in', 'completed', 'cancelled')",
            name="status",
        ),
        # At most one active visit per case: a redelivered or concurrent event cannot add one.
        Index(
            "uq_visit_active_case",
            "case_id",
            unique=True,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        ),
        Index("ix_visit_team_day", "team_id", "plan_day", "route_position"),
        Index("ix_visit_status_window", "status", "window_start"),
        Index("ix_visit_case_created", "case_id", "created_at"),
        Index("ix_visit_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    trigger_event_id: Mapped[str] = mapped_column(
        String(64), doc="ce_id of the case event that requested the visit."
    )
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    priority: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # -- where and on what terms (from case-api's contact endpoint, scope contact:visit) -------
    # Customer data: encrypted at rest (doorstep_scheduler.encryption).
    latitude: Mapped[float | None] = mapped_column(EncryptedFloat("visit.latitude"))
    longitude: Mapped[float | None] = mapped_column(EncryptedFloat("visit.longitude"))
    terms: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON("visit.terms"),
        doc="What the visit needs from case-api: name and address for the door, zone, "
        "language, windows, consent, a repayment-capacity category.",
    )
    terms_fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # -- the plan -------------------------------------------------------------------------------
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("team.id"))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    plan_day: Mapped[date | None] = mapped_column(Date, doc="The team's local working date.")
    route_position: Mapped[int | None] = mapped_column(Integer)
    service_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unassigned_code: Mapped[str | None] = mapped_column(String(40))
    unassigned_reason: Mapped[str | None] = mapped_column(String(300))
    # -- the appointment notice (sent by the notifier) -----------------------------------------
    notice_event_id: Mapped[str | None] = mapped_column(
        String(64), doc="ce_id of the visit.scheduled event the notice must announce."
    )
    notice_status: Mapped[str | None] = mapped_column(String(16))
    notice_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # -- in the field -------------------------------------------------------------------------
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    check_in_latitude: Mapped[float | None] = mapped_column(Float)
    check_in_longitude: Mapped[float | None] = mapped_column(Float)
    check_in_distance_meters: Mapped[float | None] = mapped_column(Float)
    check_in_far: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome_notes: Mapped[str | None] = mapped_column(
        Text, doc="Collector's notes; stay here, never on Kafka or in logs."
    )
    recording_ref: Mapped[str | None] = mapped_column(String(200))
    promise_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    promise_currency: Mapped[str | None] = mapped_column(String(3))
    promise_date: Mapped[date | None] = mapped_column(Date)
    # -- lifecycle --------------------------------------------------------------------------------
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class VisitPlan(Base):
    """One planning run: what it covered, what it decided, how long it took."""

    __tablename__ = "visit_plan"
    __table_args__ = (Index("ix_visit_plan_started", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(40))
    solver: Mapped[str] = mapped_column(String(60))
    solve_seconds: Mapped[float] = mapped_column(Float)
    planned: Mapped[int] = mapped_column(Integer, doc="Visits newly given an appointment.")
    kept: Mapped[int] = mapped_column(Integer, doc="Appointments kept where they were.")
    moved: Mapped[int] = mapped_column(Integer, doc="Appointments that had to move.")
    unplanned: Mapped[int] = mapped_column(Integer)
    travel_seconds: Mapped[int] = mapped_column(Integer)
    unplanned_by_reason: Mapped[dict[str, int]] = mapped_column(JSON)


def follow_up_request(
    visit: Visit, *, code: str, reason: str, now: datetime, attempt: int | None = None
) -> Visit:
    """A new request to plan in place of ``visit`` (withdrawn or done), with what is known
    about the door and why it waits."""
    return Visit(
        id=uuid.uuid4(),
        case_id=visit.case_id,
        trigger_event_id=visit.trigger_event_id,
        status="unassigned",
        attempt=visit.attempt if attempt is None else attempt,
        priority=visit.priority,
        latitude=visit.latitude,
        longitude=visit.longitude,
        terms=visit.terms,
        terms_fetched_at=visit.terms_fetched_at,
        unassigned_code=code,
        unassigned_reason=reason[:300],
        created_at=now,
    )
