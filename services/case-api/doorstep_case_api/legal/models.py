"""Legal referrals: a case in legal review, with the dossier operations decide on."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import UtcDateTime


class LegalReferral(Base):
    __tablename__ = "legal_referral"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection_case.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # in_review | confirmed | returned
    entered_on: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(Text)  # why the prerequisites held
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The dossier as it stood when operations confirmed (the record handed over).
    dossier: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
