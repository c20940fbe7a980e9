"""Opt-outs: a customer asked not to be contacted by a medium (per case, the debt)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_notifier.db import Base
from doorstep_shared.db.types import BigIntPk, UtcDateTime


class OptOut(Base):
    __tablename__ = "opt_out"
    __table_args__ = (UniqueConstraint("case_id", "channel"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    channel: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))  # sms-reply | operations
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
