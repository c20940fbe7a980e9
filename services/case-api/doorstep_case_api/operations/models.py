"""Idempotency-Key records: the first answer to a POST, replayed for the same key and body."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import UtcDateTime


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (PrimaryKeyConstraint("key", "route"),)

    key: Mapped[str] = mapped_column(String(128))
    route: Mapped[str] = mapped_column(String(255))  # method + path
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
