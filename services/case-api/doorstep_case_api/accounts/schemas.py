"""Intake API: one account's delinquency snapshot as core banking reports it."""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from doorstep_case_api.cases.schemas import CASE_SUMMARY_EXAMPLE, CaseSummary
from doorstep_case_api.visit_terms.schemas import ReportedVisitTerms
from doorstep_shared.money import KNOWN_CURRENCIES, fits_minor_units

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(BaseModel):
    model_config = _STRICT

    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates(self) -> Address:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class LocalHours(BaseModel):
    model_config = _STRICT

    start: time = Field(description="Local wall-clock time, e.g. 09:00.")
    end: time = Field(description="Exclusive; earlier than start wraps past midnight.")

    @model_validator(mode="after")
    def _not_empty(self) -> LocalHours:
        if self.start == self.end or self.start.tzinfo or self.end.tzinfo:
            raise ValueError("start and end differ and carry no time zone")
        return self


class ContactPreferences(BaseModel):
    """What the customer asked of contact; every channel and the visit planner obey it."""

    model_config = _STRICT

    preferred_hours: list[LocalHours] | None = Field(
        default=None, max_length=7, description="When the customer asked to be contacted."
    )
    refused_channels: list[Literal["sms", "email", "call", "letter", "visit"]] = Field(
        default_factory=list, max_length=5, description="Channels the customer refused."
    )
    cease_contact: bool = Field(
        default=False, description="The customer asked for collection contact to stop."
    )


class CustomerSnapshot(BaseModel):
    model_config = _STRICT

    customer_id: str = Field(min_length=1, max_length=64, description="The bank's customer id.")
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164.")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    national_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$",
        description="Government identity number as the bank holds it (optional): letters, "
        "digits, spaces, '.', '/' and '-'. Stored encrypted; found again by a keyed hash of "
        "its upper-case form without spaces or hyphens. Never echoed in errors.",
    )
    address: Address | None = None
    timezone: str | None = Field(
        default=None,
        description="IANA time zone, e.g. Asia/Shanghai. When missing, contact rules derive "
        "it from the address coordinates or the phone number, and say which.",
    )
    contact_preferences: ContactPreferences = Field(default_factory=ContactPreferences)
    preferred_language: str = Field(
        default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$", examples=["zh-CN", "en"]
    )
    visit_terms: ReportedVisitTerms | None = Field(
        default=None,
        repr=False,
        description="What the visit planner needs beyond the address: address kind, visit "
        "consent, visit windows, repayment capacity. When present it replaces the stored "
        "terms, including those operations recorded with PUT /v1/cases/{case_id}/visit-terms; "
        "when absent the stored terms are kept.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known IANA time zone") from None
        return value


# Plain digits: no exponent, sign, NaN or Infinity, so what is sent is what is recorded.
_DECIMAL_STRING = re.compile(r"^[0-9]+(\.[0-9]+)?$")
# Documented as what it must be: a string (the validator below refuses JSON numbers). Below
# 10^15, so four of them and the charges stay exact in the amount columns.
_Amount = Annotated[Decimal, WithJsonSchema({"type": "string", "pattern": _DECIMAL_STRING.pattern})]


class ArrearsIn(BaseModel):
    model_config = _STRICT

    principal: _Amount = Field(ge=0, lt=Decimal("1e15"))
    interest: _Amount = Field(ge=0, lt=Decimal("1e15"))
    fees: _Amount = Field(ge=0, lt=Decimal("1e15"))
    penalties: _Amount = Field(ge=0, lt=Decimal("1e15"))

    @field_validator("principal", "interest", "fees", "penalties", mode="before")
    @classmethod
    def _decimal_string(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("amounts are decimal strings, not JSON numbers")
        if not _DECIMAL_STRING.fullmatch(value.strip()):
            raise ValueError('amounts are plain decimal strings such as "1200.00"')
        return value

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties


class LoanSnapshot(BaseModel):
    model_config = _STRICT

    product: str = Field(min_length=1, max_length=64, examples=["personal-loan"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    arrears: ArrearsIn
    days_past_due: int = Field(ge=0, le=36500)
    oldest_unpaid_due_date: date | None = None

    @model_validator(mode="after")
    def _money_fits_currency(self) -> LoanSnapshot:
        if self.currency not in KNOWN_CURRENCIES:
            raise ValueError("currency is not an ISO 4217 code")
        for name in ("principal", "interest", "fees", "penalties"):
            if not fits_minor_units(getattr(self.arrears, name), self.currency):
                raise ValueError(f"arrears.{name} has more decimals than {self.currency} allows")
        if self.arrears.total > 0 and self.days_past_due == 0:
            raise ValueError("positive arrears need days_past_due of at least 1")
        return self


class DelinquencySnapshot(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "as_of_date": "2026-11-28",
                    "customer": {
                        "customer_id": "CUST-1001",
                        "name": "Li Wei",
                        "phone": "+8613800138000",
                        "email": "li.wei@example.com",
                        "address": {
                            "line1": "88 Century Avenue",
                            "city": "Shanghai",
                            "country": "CN",
                            "latitude": 31.2304,
                            "longitude": 121.4737,
                        },
                        "timezone": "Asia/Shanghai",
                        "preferred_language": "zh-CN",
                        "visit_terms": {
                            "address_kind": "home",
                            "visit_consent_recorded": False,
                            "visit_windows": [
                                {"weekday": 1, "start": "09:00", "end": "12:00"},
                                {"weekday": 5, "start": "10:00", "end": "16:00"},
                            ],
                            "repayment_capacity": {
                                "monthly_income": "8500.00",
                                "monthly_obligations": "3200.00",
                                "currency": "CNY",
                                "assessed_on": "2026-11-20",
                            },
                        },
                    },
                    "loan": {
                        "product": "personal-loan",
                        "currency": "CNY",
                        "arrears": {
                            "principal": "1200.00",
                            "interest": "35.50",
                            "fees": "20.00",
                            "penalties": "4.25",
                        },
                        "days_past_due": 35,
                        "oldest_unpaid_due_date": "2026-10-24",
                    },
                }
            ]
        },
    )

    as_of_date: date
    customer: CustomerSnapshot
    loan: LoanSnapshot


IntakeOutcome = Literal["opened", "updated", "stage_changed", "resolved", "unchanged", "no_case"]


class IntakeResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"account_id": "LOAN-42", "outcome": "opened", "case": CASE_SUMMARY_EXAMPLE},
                {"account_id": "LOAN-77", "outcome": "no_case", "case": None},
            ]
        }
    )

    account_id: str
    outcome: IntakeOutcome = Field(description="What the snapshot did to the account's case.")
    case: CaseSummary | None = None
