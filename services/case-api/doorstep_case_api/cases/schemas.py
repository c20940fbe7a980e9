"""Case read API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from doorstep_case_api.visit_terms.schemas import VISIT_TERMS_EXAMPLE, VisitTermsRead
from doorstep_shared.security.crypto import normalise_national_id, normalise_phone

CASE_SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": "0e7c3c1a-2b7d-4c4e-8a51-6f7d2e9b1c33",
    "account_id": "LOAN-42",
    "status": "open",
    "stage": "field",
    "product": "personal-loan",
    "days_past_due": 35,
    "arrears": {
        "currency": "CNY",
        "principal": "1200.00",
        "interest": "35.50",
        "fees": "20.00",
        "penalties": "4.25",
        "total": "1259.75",
    },
    "charges": {"late_fees": "20.00", "penalty_interest": "5.00", "total": "25.00"},
    "total_due": "1284.75",
    "as_of_date": "2026-11-28",
    "opened_at": "2026-10-25T01:00:00Z",
    "resolved_at": None,
    "resolution_reason": None,
    "vulnerable": False,
    "assigned_team_id": None,
}


class ArrearsRead(BaseModel):
    currency: str
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    total: Decimal


class ChargesRead(BaseModel):
    """Doorstep's own charges under the product policy, on top of the reported arrears."""

    late_fees: Decimal
    penalty_interest: Decimal
    total: Decimal


class CaseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: str
    status: str = Field(examples=["open", "resolved"])
    stage: str = Field(examples=["reminder", "contact", "field", "legal"])
    product: str
    days_past_due: int
    arrears: ArrearsRead = Field(description="Overdue amounts as core banking reported them.")
    charges: ChargesRead = Field(description="Late fees and penalty interest Doorstep charged.")
    total_due: Decimal = Field(
        description="arrears.total + charges.total, in arrears.currency.", examples=["1284.75"]
    )
    as_of_date: date
    opened_at: datetime
    resolved_at: datetime | None
    resolution_reason: str | None
    vulnerable: bool = Field(description="A vulnerability flag is set (the category is not shown).")
    assigned_team_id: uuid.UUID | None


class TimelineEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: str
    event_type: str = Field(examples=["doorstep.case.opened.v1", "doorstep.notification.sent.v1"])
    source: str
    summary: str
    details: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


class HoldRead(BaseModel):
    """An active hold. Its free-text reason stays with the holds API (it may be sensitive)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    hold_type: str = Field(examples=["dispute", "hardship", "moratorium"])
    freezes_fees: bool
    starts_on: date
    ends_on: date | None
    placed_by: str


class LadderFactsRead(BaseModel):
    """What happened so far, as the stage prerequisites see it."""

    model_config = ConfigDict(from_attributes=True)

    stage_entered_on: date | None
    first_notice_sent_on: date | None
    visit_attempted_on: date | None
    broken_promises: int
    broken_arrangements: int
    legal_returned_on: date | None
    charges_accrued_through: date | None


class CaseRead(CaseSummary):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **CASE_SUMMARY_EXAMPLE,
                    "holds": [],
                    "collection_paused": False,
                    "ladder": {
                        "stage_entered_on": "2026-11-28",
                        "first_notice_sent_on": "2026-10-25",
                        "visit_attempted_on": None,
                        "broken_promises": 0,
                        "broken_arrangements": 0,
                        "legal_returned_on": None,
                        "charges_accrued_through": "2026-11-28",
                    },
                    "timeline": [
                        {
                            "event_id": "3f6b2c8e-1d4a-4e7b-9c2f-5a8d0e1b7c64",
                            "event_type": "doorstep.case.opened.v1",
                            "source": "urn:doorstep:case-api",
                            "summary": "Case opened at reminder",
                            "details": {"stage": "reminder", "days_past_due": 1},
                            "occurred_at": "2026-10-25T01:00:00Z",
                            "recorded_at": "2026-10-25T01:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    holds: list[HoldRead] = Field(description="Active holds; any hold pauses every channel.")
    collection_paused: bool = Field(
        description="True while a hold or an active arrangement pauses contact and the ladder."
    )
    ladder: LadderFactsRead
    timeline: list[TimelineEntryRead] = Field(description="Everything that happened, newest last.")


class CasePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [CASE_SUMMARY_EXAMPLE], "next_cursor": None}]}
    )

    items: list[CaseSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= (with the same sort) for the next page; null at the end."
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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "0e7c3c1a-2b7d-4c4e-8a51-6f7d2e9b1c33",
                    "name": "Li Wei",
                    "phone": "+8613800138000",
                    "email": "li.wei@example.com",
                    "address": {
                        "line1": "88 Century Avenue",
                        "line2": None,
                        "city": "Shanghai",
                        "region": None,
                        "postal_code": "200120",
                        "country": "CN",
                        "latitude": 31.2304,
                        "longitude": 121.4737,
                    },
                    "timezone": "Asia/Shanghai",
                    "preferred_language": "zh-CN",
                    "contact_preferences": {
                        "preferred_hours": [{"start": "09:00:00", "end": "18:00:00"}],
                        "refused_channels": [],
                        "cease_contact": False,
                    },
                    "visit_terms": VISIT_TERMS_EXAMPLE,
                    "masked": False,
                }
            ]
        }
    )

    case_id: uuid.UUID
    name: str
    phone: str | None
    email: str | None
    address: CaseContactAddress
    timezone: str | None = Field(description="IANA zone from the record; null if not reported.")
    preferred_language: str
    contact_preferences: dict[str, Any] = Field(
        default_factory=dict,
        description="preferred_hours, refused_channels and cease_contact, as core banking "
        "reported them.",
    )
    visit_terms: VisitTermsRead | None = Field(
        default=None,
        repr=False,
        description="Address kind, visit consent, visit windows and repayment capacity, for "
        "`contact:visit` (the scheduler) and `pii:read`; null for every other caller. Before "
        "any terms were reported or recorded: the defaults, with `updated_at` null.",
    )
    masked: bool = Field(
        default=False,
        description="True when the caller may not see personal data: values are masked.",
    )


class CaseLookupRequest(BaseModel):
    """Exactly one identifier. Sent in the body so that it never appears in a URL or a log."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"phone": "+8613800138000"}, {"national_id": "X123"}]},
    )

    phone: str | None = Field(default=None, min_length=3, max_length=32)
    national_id: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("phone")
    @classmethod
    def _has_digits(cls, value: str | None) -> str | None:
        # The blind index is of the normalised number: nothing to look up without digits.
        if value is not None and not normalise_phone(value).lstrip("+"):
            raise ValueError("a phone number needs digits")
        return value

    @field_validator("national_id")
    @classmethod
    def _has_characters(cls, value: str | None) -> str | None:
        if value is not None and not normalise_national_id(value):
            raise ValueError("a national id needs more than spaces and hyphens")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> CaseLookupRequest:
        if (self.phone is None) == (self.national_id is None):
            raise ValueError("give exactly one of phone or national_id")
        return self


class CaseLookupResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [CASE_SUMMARY_EXAMPLE]}]})

    items: list[CaseSummary] = Field(
        description="The customer's cases, newest first (at most 100)."
    )
