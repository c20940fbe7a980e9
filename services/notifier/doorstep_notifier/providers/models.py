"""What the local provider "sent": the message as it would have left, kept in the database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_notifier.db import Base
from doorstep_shared.db.types import BigIntPk, UtcDateTime


class LocalMessage(Base):
    """Holds personal data (recipient, body): served masked, never logged, never published."""

    __tablename__ = "local_message"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    # Unique: at most one recorded message per notification, whatever happens to the process.
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notification.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
