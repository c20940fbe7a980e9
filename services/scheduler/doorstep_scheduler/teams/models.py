"""Collector teams, their members and the members' absences: who can go out on which day.

Visits are made by teams (the CN pack requires two collectors at the door); a team's day is
as long as its available members' common hours, and it can speak what any of them speaks.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_scheduler.db import Base
from doorstep_shared.db.types import UtcDateTime


class Team(Base):
    __tablename__ = "team"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    region: Mapped[str | None] = mapped_column(
        String(64), doc="Territory the team covers; visits in another region are not theirs."
    )
    timezone: Mapped[str] = mapped_column(
        String(64), doc="IANA zone the members' working hours are read in."
    )
    base_latitude: Mapped[float | None] = mapped_column(Float)
    base_longitude: Mapped[float | None] = mapped_column(Float)
    holiday_country: Mapped[str | None] = mapped_column(
        String(2), doc="ISO 3166-1 alpha-2 country whose public holidays the team does not work."
    )
    max_visits_per_day: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Collector(Base):
    """A field collector (an employee of the bank or its agency), member of at most one team."""

    __tablename__ = "collector"
    __table_args__ = (
        CheckConstraint("work_start < work_end", name="working_hours"),
        Index("ix_collector_team", "team_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    employee_ref: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("team.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    work_start: Mapped[time] = mapped_column(Time, doc="Local start of the working day.")
    work_end: Mapped[time] = mapped_column(Time, doc="Local end of the working day.")
    working_weekdays: Mapped[list[int]] = mapped_column(JSON, doc="0 = Monday … 6 = Sunday.")
    languages: Mapped[list[str]] = mapped_column(JSON, doc="BCP 47 tags the collector speaks.")
    skills: Mapped[list[str]] = mapped_column(JSON)
    max_visits_per_day: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CollectorAbsence(Base):
    """Leave, sickness or training: the collector does not go out on these local dates."""

    __tablename__ = "collector_absence"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="period"),
        Index("ix_collector_absence_period", "collector_id", "first_day", "last_day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    collector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collector.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16), doc="leave, sickness, training or other.")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
