"""Promise to pay API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from doorstep_case_api.promises.models import Promise
from doorstep_shared.money import KNOWN_CURRENCIES, fits_minor_units, to_minor_digits

PromiseChannel = Literal["phone", "branch", "letter", "web", "visit"]


class PromiseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "amount": "500.00",
                    "currency": "CNY",
                    "promised_date": "2026-12-05",
                    "channel": "phone",
                    "recorded_by": "agent-017",
                }
            ]
        },
    )

    amount: Decimal = Field(gt=0, description="Decimal string in the case's currency.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="Must be the case's currency.")
    promised_date: date = Field(
        description="Business date by which the customer will pay; today up to 90 days ahead."
    )
    channel: PromiseChannel = Field(description="Where the customer made the promise.")
    recorded_by: str = Field(
        min_length=1, max_length=64, description="Staff id of whoever took the promise."
    )

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal_string(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("amounts are decimal strings, not JSON numbers")
        return value

    @model_validator(mode="after")
    def _fits_currency(self) -> PromiseCreate:
        if self.currency not in KNOWN_CURRENCIES:
            raise ValueError("currency is not an ISO 4217 code")
        if not fits_minor_units(self.amount, self.currency):
            raise ValueError(f"amount has more decimals than {self.currency} allows")
        return self


_PROMISE_EXAMPLE: dict[str, Any] = {
    "id": "9b1f8c1e-3a43-4b8e-9d55-0f0a3f1c2b7d",
    "case_id": "0c2d4e7a-6a8e-4f0b-8f43-2f1d9b3c5a11",
    "amount": "500.00",
    "currency": "CNY",
    "promised_date": "2026-12-05",
    "channel": "phone",
    "recorded_by": "agent-017",
    "source": "operations",
    "status": "pending",
    "paid_towards": "0.00",
    "recorded_on": "2026-11-29",
    "settled_on": None,
    "created_at": "2026-11-29T09:30:00Z",
}


class PromiseRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PROMISE_EXAMPLE]})

    id: uuid.UUID
    case_id: uuid.UUID
    amount: Decimal
    currency: str
    promised_date: date
    channel: str
    recorded_by: str
    source: Literal["operations", "visit"]
    status: Literal["pending", "kept", "broken"]
    paid_towards: Decimal = Field(description="Paid since the promise was recorded.")
    recorded_on: date = Field(description="Business date the promise was recorded.")
    settled_on: date | None = Field(description="Business date it was kept or broken.")
    created_at: datetime

    @classmethod
    def of(cls, promise: Promise) -> PromiseRead:
        def shown(amount: Decimal) -> Decimal:
            return to_minor_digits(amount, promise.currency)

        return cls.model_validate(
            {
                "id": promise.id,
                "case_id": promise.case_id,
                "amount": shown(promise.amount),
                "currency": promise.currency,
                "promised_date": promise.promised_date,
                "channel": promise.channel,
                "recorded_by": promise.recorded_by,
                "source": promise.source,
                "status": promise.status,
                "paid_towards": shown(promise.paid_towards),
                "recorded_on": promise.recorded_on,
                "settled_on": promise.settled_on,
                "created_at": promise.created_at,
            }
        )


class PromiseList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_PROMISE_EXAMPLE]}]})

    items: list[PromiseRead] = Field(description="The case's promises, oldest first.")
