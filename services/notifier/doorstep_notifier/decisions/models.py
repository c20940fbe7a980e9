"""The decision log: every answer of the contact-rule engine, kept with the notice it judged."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_notifier.db import Base
from doorstep_shared.db.types import BigIntPk, UtcDateTime


class ContactDecisionRecord(Base):
    __tablename__ = "contact_decision"
    __table_args__ = (Index("ix_contact_decision_notification", "notification_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[str] = mapped_column(String(100))
    pack_id: Mapped[str] = mapped_column(String(32))
    pack_version: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    timezone_source: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
