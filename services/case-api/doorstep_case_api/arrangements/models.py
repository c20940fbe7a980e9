"""Repayment arrangements (instalment plans, deferrals) and their schedules."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import BigIntPk, MoneyAmount, UtcDateTime


class Arrangement(Base):
    __tablename__ = "arrangement"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # instalment_plan | deferral
    # proposed -> approved | rejected; approved -> active -> completed | broken
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    currency: Mapped[str] = mapped_column(String(3))
    frequency: Mapped[str | None] = mapped_column(String(16))  # weekly | fortnightly | monthly
    instalment_count: Mapped[int | None] = mapped_column(Integer)
    first_due_date: Mapped[date | None] = mapped_column(Date)
    deferred_to: Mapped[date | None] = mapped_column(Date)
    proposed_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_role: Mapped[str | None] = mapped_column(String(32))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    proposed_on: Mapped[date] = mapped_column(Date)
    activated_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ArrangementInstalment(Base):
    __tablename__ = "arrangement_instalment"
    __table_args__ = (UniqueConstraint("arrangement_id", "number"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    arrangement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("arrangement.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    paid_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    status: Mapped[str] = mapped_column(String(16))  # due | paid | missed
