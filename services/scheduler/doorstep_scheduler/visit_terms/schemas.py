"""case-api's contact answer as the planner reads it (scope contact:visit). Personal data: kept
out of reprs and logs; only what a visit needs is stored (``Visit.terms``)."""

from __future__ import annotations

import uuid
from datetime import time
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

_TOLERANT = ConfigDict(frozen=True, extra="ignore")


class VisitAddress(BaseModel):
    model_config = _TOLERANT

    line1: str | None = Field(default=None, repr=False)
    line2: str | None = Field(default=None, repr=False)
    city: str | None = Field(default=None, repr=False)
    region: str | None = Field(default=None, repr=False)
    postal_code: str | None = Field(default=None, repr=False)
    country: str | None = None
    latitude: float | None = Field(default=None, repr=False)
    longitude: float | None = Field(default=None, repr=False)


class LocalHours(BaseModel):
    model_config = _TOLERANT

    start: time
    end: time


class StatedPreferences(BaseModel):
    model_config = _TOLERANT

    preferred_hours: list[LocalHours] | None = None
    cease_contact: bool = False


class VisitWindowAnswer(BaseModel):
    model_config = _TOLERANT

    weekday: int = Field(ge=0, le=6)
    start: time
    end: time


class RepaymentCapacity(BaseModel):
    model_config = _TOLERANT

    monthly_income: Decimal = Field(repr=False)
    monthly_obligations: Decimal = Field(repr=False)
    currency: str


class VisitTermsAnswer(BaseModel):
    model_config = _TOLERANT

    address_kind: str = "home"
    visit_consent_recorded: bool = False
    visit_windows: list[VisitWindowAnswer] = Field(default_factory=list)
    repayment_capacity: RepaymentCapacity | None = None


class VisitContact(BaseModel):
    model_config = _TOLERANT

    case_id: uuid.UUID
    name: str = Field(repr=False)
    address: VisitAddress | None = None
    timezone: str | None = None
    preferred_language: str = "en"
    contact_preferences: StatedPreferences = Field(default_factory=StatedPreferences)
    visit_terms: VisitTermsAnswer | None = None
