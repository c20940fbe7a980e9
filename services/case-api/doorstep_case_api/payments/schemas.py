"""Payments API: one payment core banking received on a loan account."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from doorstep_case_api.cases.schemas import CaseSummary
from doorstep_shared.money import KNOWN_CURRENCIES, fits_minor_units, to_minor_digits

# Plain digits: no exponent, sign, NaN or Infinity, so what is sent is what is recorded.
_DECIMAL_STRING = re.compile(r"^[0-9]+(\.[0-9]+)?$")

_EXAMPLE_IN: dict[str, Any] = {
    "payment_reference": "TXN-2026-11-28-000417",
    "amount": "300.00",
    "currency": "CNY",
    "value_date": "2026-11-28",
    "channel": "bank_transfer",
}


class PaymentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [_EXAMPLE_IN]}
    )

    payment_reference: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[!-~]+$",
        description="Core banking's id of the payment (printable ASCII, no spaces). Sending it "
        "again with the same body replays the first answer.",
    )
    amount: Annotated[
        Decimal,
        # Documented as what it must be: a string (the validator below refuses JSON numbers).
        WithJsonSchema({"type": "string", "pattern": _DECIMAL_STRING.pattern}),
    ] = Field(
        gt=0,
        lt=Decimal("1e15"),
        description='Decimal string in the account\'s currency, e.g. "300.00"; never a number.',
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code; the account's.")
    value_date: date = Field(description="Date the money was received (YYYY-MM-DD).")
    channel: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        pattern=r"^[a-z][a-z0-9_-]*$",
        examples=["bank_transfer", "direct_debit", "branch", "card"],
    )

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal_string(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("amounts are decimal strings, not JSON numbers")
        if not _DECIMAL_STRING.fullmatch(value.strip()):
            raise ValueError('amounts are plain decimal strings such as "300.00"')
        return value

    @field_validator("value_date", mode="before")
    @classmethod
    def _iso_date_string(cls, value: object) -> object:
        # A JSON number would otherwise be read as a Unix timestamp.
        if not isinstance(value, str):
            raise ValueError("value_date is an ISO date string, e.g. 2026-11-28")
        return value

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> PaymentIn:
        if self.currency not in KNOWN_CURRENCIES:
            raise ValueError("currency is not an ISO 4217 code")
        if not fits_minor_units(self.amount, self.currency):
            raise ValueError(f"amount has more decimals than {self.currency} allows")
        return self

    def request_hash(self) -> str:
        """SHA-256 of the canonical body: equal for the same payment however it was spelt
        ("300" and "300.00" are the same amount)."""
        canonical = {
            "amount": str(to_minor_digits(self.amount, self.currency)),
            "channel": self.channel,
            "currency": self.currency,
            "payment_reference": self.payment_reference,
            "value_date": self.value_date.isoformat(),
        }
        encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()


class AllocationRead(BaseModel):
    """Where the payment went, per arrears part, in the account's currency."""

    penalties: Decimal = Field(description="Doorstep's penalty interest first, then reported.")
    fees: Decimal = Field(description="Doorstep's late fee first, then reported fees.")
    interest: Decimal
    principal: Decimal
    unallocated: Decimal = Field(description="Overpayment: more than the case owed, or no case.")


PaymentOutcomeName = Literal["applied", "cured", "no_open_case"]


class PaymentResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "5b0f2a44-8c1e-4a51-9f0e-3c2d1b7a6e90",
                    "payment_reference": "TXN-2026-11-28-000417",
                    "account_id": "LOAN-42",
                    "case_id": "0e7c3c1a-2b7d-4c4e-8a51-6f7d2e9b1c33",
                    "outcome": "applied",
                    "amount": "300.00",
                    "currency": "CNY",
                    "value_date": "2026-11-28",
                    "allocation": {
                        "penalties": "4.25",
                        "fees": "45.00",
                        "interest": "35.50",
                        "principal": "215.25",
                        "unallocated": "0.00",
                    },
                    "case": None,
                }
            ]
        }
    )

    payment_id: uuid.UUID
    payment_reference: str
    account_id: str
    case_id: uuid.UUID | None = Field(description="The open case it was applied to; null if none.")
    outcome: PaymentOutcomeName = Field(
        description="applied: arrears reduced; cured: the case is paid in full and resolved; "
        "no_open_case: recorded, nothing to apply it to (all unallocated)."
    )
    amount: Decimal
    currency: str
    value_date: date
    allocation: AllocationRead
    case: CaseSummary | None = Field(description="The case's current state; null without one.")
