"""Case read API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ArrearsRead(BaseModel):
    currency: str
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    total: Decimal


class CaseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: str
    status: str = Field(examples=["open", "resolved"])
    stage: str = Field(examples=["reminder", "contact", "field", "legal"])
    product: str
    days_past_due: int
    arrears: ArrearsRead
    as_of_date: date
    opened_at: datetime
    resolved_at: datetime | None
    resolution_reason: str | None


class TimelineEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: str
    event_type: str = Field(examples=["doorstep.case.opened.v1", "doorstep.notification.sent.v1"])
    source: str
    summary: str
    details: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


class CaseRead(CaseSummary):
    timeline: list[TimelineEntryRead] = Field(description="Everything that happened, newest last.")


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end."
    )


class CaseContactAddress(BaseModel):
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    latitude: float | None
    longitude: float | None


class CaseContact(BaseModel):
    """Personal data a service needs to contact the customer; served to service credentials."""

    case_id: uuid.UUID
    name: str
    phone: str | None
    email: str | None
    address: CaseContactAddress
    timezone: str
    preferred_language: str
