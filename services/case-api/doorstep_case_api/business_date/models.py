"""The business date that drives all evaluation (settable for tests and replays)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import UtcDateTime


class BusinessCalendar(Base):
    __tablename__ = "business_calendar"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    business_date: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EvaluationRun(Base):
    """One row per business date evaluated; running the same date twice changes nothing."""

    __tablename__ = "evaluation_run"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    cases_evaluated: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
