"""Holds and vulnerability API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from doorstep_case_api.cases.vulnerability import VulnerabilityCategory
from doorstep_case_api.holds.models import Hold
from doorstep_shared.events.contracts import HoldType

_Reason = Field(min_length=1, max_length=500, description="Why, for the case timeline.")
_Actor = Field(min_length=1, max_length=64, description="Who did it (user or team id).")


class HoldCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "hold_type": "moratorium",
                    "reason": "Breathing space registered by the debt adviser",
                    "ends_on": "2027-01-28",
                    "placed_by": "ops-anna",
                },
                {
                    "hold_type": "dispute",
                    "reason": "Customer says the loan is not theirs",
                    "placed_by": "ops-anna",
                },
            ]
        },
    )

    hold_type: HoldType = Field(
        description=(
            "dispute, hardship, cease_contact, moratorium, bankruptcy or deceased. Moratorium, "
            "hardship, bankruptcy and deceased also freeze Doorstep's fees and penalty interest."
        )
    )
    reason: str = _Reason
    ends_on: date | None = Field(
        default=None,
        description=(
            "Last day of the hold; it lifts itself the day after. Required for a moratorium "
            "(at most 60 days after the business date)."
        ),
    )
    placed_by: str = _Actor


class HoldLift(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"reason": "Debt verified with the customer", "lifted_by": "ops-anna"}]
        },
    )

    reason: str = _Reason
    lifted_by: str = _Actor


_HOLD_EXAMPLE: dict[str, Any] = {
    "id": "8c9a4f0e-2f64-4c1e-9a55-2b8a8f7f0a11",
    "case_id": "5b7c0a52-5d8e-4f5e-8d44-0c8f4b8e2c3d",
    "hold_type": "moratorium",
    "reason": "Breathing space registered by the debt adviser",
    "freezes_fees": True,
    "starts_on": "2026-11-29",
    "ends_on": "2027-01-28",
    "placed_by": "ops-anna",
    "placed_at": "2026-11-29T09:12:00Z",
    "active": True,
    "lifted_on": None,
    "lifted_by": None,
    "lift_reason": None,
}


class HoldRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_HOLD_EXAMPLE]})

    id: uuid.UUID
    case_id: uuid.UUID
    hold_type: HoldType
    reason: str
    freezes_fees: bool = Field(description="Doorstep's charges do not accrue while it is active.")
    starts_on: date
    ends_on: date | None
    placed_by: str
    placed_at: datetime
    active: bool
    lifted_on: date | None
    lifted_by: str | None = Field(description="'doorstep' when the hold expired by itself.")
    lift_reason: str | None

    @classmethod
    def of(cls, hold: Hold) -> HoldRead:
        return cls(
            id=hold.id,
            case_id=hold.case_id,
            hold_type=hold.hold_type,
            reason=hold.reason,
            freezes_fees=hold.freezes_fees,
            starts_on=hold.starts_on,
            ends_on=hold.ends_on,
            placed_by=hold.placed_by,
            placed_at=hold.placed_at,
            active=hold.lifted_on is None,
            lifted_on=hold.lifted_on,
            lifted_by=hold.lifted_by,
            lift_reason=hold.lift_reason,
        )


class HoldList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_HOLD_EXAMPLE]}]})

    items: list[HoldRead] = Field(description="Every hold of the case, oldest first.")


class VulnerabilityUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"category": "health", "note": "Recovering from an operation"}]
        },
    )

    category: VulnerabilityCategory = Field(
        description="FCA driver: health, life_event, resilience or capability."
    )
    note: str | None = Field(
        default=None,
        max_length=500,
        description="For the case timeline only; never published in events.",
    )


class VulnerabilityRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "5b7c0a52-5d8e-4f5e-8d44-0c8f4b8e2c3d",
                    "vulnerable": True,
                    "category": "health",
                }
            ]
        }
    )

    case_id: uuid.UUID
    vulnerable: bool
    category: VulnerabilityCategory | None
