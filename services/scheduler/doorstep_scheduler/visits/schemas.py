"""Visit read API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    status: str = Field(examples=["scheduled", "unassigned", "cancelled"])
    collector_id: uuid.UUID | None = Field(description="Set while the visit is scheduled.")
    window_start: datetime | None
    window_end: datetime | None
    unassigned_reason: str | None = Field(description="Why no collector or slot was found.")
    cancel_reason: str | None
    trigger_event_id: str = Field(description="ce_id of the case event that requested it.")
    created_at: datetime
    cancelled_at: datetime | None


class VisitList(BaseModel):
    items: list[VisitRead] = Field(description="Matching visits, newest first.")
