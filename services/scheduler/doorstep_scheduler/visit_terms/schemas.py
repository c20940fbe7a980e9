"""case-api's contact answer as the planner reads it (scope contact:visit). Personal data: kept
out of reprs and logs; only what a visit needs is stored (``Visit.terms``)."""

from __future__ import annotations

import uuid
from datetime import time
from decimal import Decimal

from pydantic import BaseModel, Field

from doorstep_shared.case_api_contact import TOLERANT, ContactAddress, LocalHours


class StatedPreferences(BaseModel):
    model_config = TOLERANT

    preferred_hours: list[LocalHours] | None = None
    cease_contact: bool = False


class VisitWindowAnswer(BaseModel):
    model_config = TOLERANT

    weekday: int = Field(ge=0, le=6)
    start: time
    end: time


class RepaymentCapacity(BaseModel):
    model_config = TOLERANT

    monthly_income: Decimal = Field(repr=False)
    monthly_obligations: Decimal = Field(repr=False)
    currency: str


class VisitTermsAnswer(BaseModel):
    model_config = TOLERANT

    address_kind: str = "home"
    visit_consent_recorded: bool = False
    visit_windows: list[VisitWindowAnswer] = Field(default_factory=list)
    repayment_capacity: RepaymentCapacity | None = None


class VisitContact(BaseModel):
    model_config = TOLERANT

    case_id: uuid.UUID
    name: str = Field(repr=False)
    address: ContactAddress | None = None
    timezone: str | None = None
    preferred_language: str = "en"
    contact_preferences: StatedPreferences = Field(default_factory=StatedPreferences)
    visit_terms: VisitTermsAnswer | None = None
