"""Visit terms API: what the visit planner needs to know about a customer beyond the address.

Repayment capacity is personal financial data: it is served only with the contact data it
belongs to, kept out of reprs (and so out of logs and tracebacks), and never put in events.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from doorstep_case_api.visit_terms.models import VisitTerms
from doorstep_shared.money import KNOWN_CURRENCIES, fits_minor_units, to_minor_digits

# A workplace, hospital or care home needs the customer's recorded consent for a visit (FCA
# CONC 7.9.13G; Doorstep policy for every rule pack: doorstep_shared.contact_rules.visit_conduct).
AddressKind = Literal["home", "workplace", "hospital", "care_home", "other"]
MAX_VISIT_WINDOWS = 21  # three a day

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)
_HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
# Plain digits: no exponent, sign, NaN or Infinity, so what is sent is what is recorded.
_DECIMAL_STRING = re.compile(r"^[0-9]+(\.[0-9]+)?$")
# Documented as what it must be: a string (the validator below refuses JSON numbers). Below
# 10^15, so it fits the amount columns exactly.
_Amount = Annotated[Decimal, WithJsonSchema({"type": "string", "pattern": _DECIMAL_STRING.pattern})]
# The years any recorded time can have: outside them the UTC conversion can overflow.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(3000, 1, 1, tzinfo=UTC)

_WINDOWS_EXAMPLE: list[dict[str, Any]] = [
    {"weekday": 1, "start": "09:00", "end": "12:00"},
    {"weekday": 5, "start": "10:00", "end": "16:00"},
]
_CAPACITY_EXAMPLE: dict[str, Any] = {
    "monthly_income": "8500.00",
    "monthly_obligations": "3200.00",
    "currency": "CNY",
    "assessed_on": "2026-11-20",
}
VISIT_TERMS_EXAMPLE: dict[str, Any] = {
    "address_kind": "workplace",
    "visit_consent_recorded": True,
    "visit_consent_recorded_at": "2026-11-30T02:15:00Z",
    "visit_consent_recorded_by": "key:ab12cd34",
    "visit_windows": _WINDOWS_EXAMPLE,
    "repayment_capacity": _CAPACITY_EXAMPLE,
    "updated_at": "2026-11-30T02:15:00Z",
}

_UPDATE_EXAMPLE: dict[str, Any] = {
    "address_kind": "workplace",
    "visit_consent_recorded": True,
    "visit_windows": _WINDOWS_EXAMPLE,
    "repayment_capacity": _CAPACITY_EXAMPLE,
}


class VisitWindow(BaseModel):
    """A weekly time the customer asked to be visited, in the customer's local time."""

    model_config = _STRICT

    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    start: str = Field(pattern=_HH_MM, description="Local wall-clock time, HH:MM (24-hour).")
    end: str = Field(
        pattern=_HH_MM,
        description="Exclusive, HH:MM, later than start on the same day (no wrap past midnight).",
    )

    @model_validator(mode="after")
    def _start_before_end(self) -> VisitWindow:
        # Zero-padded HH:MM compares like the times it spells.
        if self.start >= self.end:
            raise ValueError("a visit window's start is earlier than its end")
        return self


class RepaymentCapacity(BaseModel):
    """What the customer can pay, as the bank assessed it. Personal financial data."""

    model_config = _STRICT

    monthly_income: _Amount = Field(
        ge=0,
        lt=Decimal("1e15"),
        repr=False,
        description='Decimal string in `currency`, e.g. "8500.00"; never a JSON number.',
    )
    monthly_obligations: _Amount = Field(
        ge=0,
        lt=Decimal("1e15"),
        repr=False,
        description="Rent, other loans and living costs a month; decimal string in `currency`.",
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code of both amounts.")
    assessed_on: date = Field(description="When the bank assessed it (YYYY-MM-DD).")

    @field_validator("monthly_income", "monthly_obligations", mode="before")
    @classmethod
    def _decimal_string(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("amounts are decimal strings, not JSON numbers")
        if not _DECIMAL_STRING.fullmatch(value.strip()):
            raise ValueError('amounts are plain decimal strings such as "8500.00"')
        return value

    @field_validator("assessed_on", mode="before")
    @classmethod
    def _iso_date_string(cls, value: object) -> object:
        # A JSON number would otherwise be read as a Unix timestamp.
        if not isinstance(value, str):
            raise ValueError("assessed_on is an ISO date string, e.g. 2026-11-20")
        return value

    @model_validator(mode="after")
    def _amounts_fit_currency(self) -> RepaymentCapacity:
        if self.currency not in KNOWN_CURRENCIES:
            raise ValueError("currency is not an ISO 4217 code")
        for name in ("monthly_income", "monthly_obligations"):
            if not fits_minor_units(getattr(self, name), self.currency):
                raise ValueError(f"{name} has more decimals than {self.currency} allows")
        return self


class _VisitTermsIn(BaseModel):
    model_config = _STRICT

    address_kind: AddressKind = Field(
        default="home",
        description="What the visit address is: home, workplace, hospital, care_home or "
        "other. A visit at a workplace, hospital or care home needs the customer's recorded "
        "consent.",
    )
    visit_windows: list[VisitWindow] = Field(
        default_factory=list,
        max_length=MAX_VISIT_WINDOWS,
        description="When the customer asked to be visited, in their local time (see the "
        "contact data's `timezone`). Empty: no preference, the rule pack's hours apply. "
        "Windows of one weekday may touch but not overlap; they are served sorted by weekday "
        "and start.",
    )
    repayment_capacity: RepaymentCapacity | None = Field(
        default=None,
        repr=False,
        description="The bank's assessment of what the customer can pay; null when not assessed.",
    )

    @field_validator("visit_windows")
    @classmethod
    def _no_overlap(cls, windows: list[VisitWindow]) -> list[VisitWindow]:
        ordered = sorted(windows, key=lambda w: (w.weekday, w.start))
        for before, after in itertools.pairwise(ordered):
            if before.weekday == after.weekday and after.start < before.end:
                raise ValueError("visit windows of the same weekday overlap")
        return ordered


class ReportedVisitTerms(_VisitTermsIn):
    """Visit terms as core banking reports them in a delinquency snapshot."""

    visit_consent_recorded: bool = Field(
        default=False,
        description="The customer consented to visits at this address (needed for a "
        "workplace, hospital or care home). True needs `visit_consent_recorded_at` and "
        "`visit_consent_recorded_by`; false takes neither.",
    )
    visit_consent_recorded_at: AwareDatetime | None = Field(
        default=None, description="When the consent was recorded, with a UTC offset."
    )
    visit_consent_recorded_by: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Who recorded the consent at the bank (operator id).",
    )

    @field_validator("visit_consent_recorded_at", mode="before")
    @classmethod
    def _iso_datetime_string(cls, value: object) -> object:
        # A JSON number would otherwise be read as a Unix timestamp.
        if value is not None and not isinstance(value, str):
            raise ValueError("visit_consent_recorded_at is an ISO date-time string")
        return value

    @field_validator("visit_consent_recorded_at")
    @classmethod
    def _plausible_time(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            in_utc = value.astimezone(UTC)
        except OverflowError:
            raise ValueError("visit_consent_recorded_at is out of range") from None
        if not _EARLIEST <= in_utc < _LATEST:
            raise ValueError("visit_consent_recorded_at is not between 1900 and 2999")
        return in_utc

    @model_validator(mode="after")
    def _consent_with_who_and_when(self) -> ReportedVisitTerms:
        details = (self.visit_consent_recorded_at, self.visit_consent_recorded_by)
        if self.visit_consent_recorded and None in details:
            raise ValueError(
                "recorded consent needs visit_consent_recorded_at and visit_consent_recorded_by"
            )
        if not self.visit_consent_recorded and details != (None, None):
            raise ValueError("without recorded consent there is no recorded_at or recorded_by")
        return self


class VisitTermsUpdate(_VisitTermsIn):
    """The complete visit terms: fields left out take their defaults."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [_UPDATE_EXAMPLE, {"address_kind": "home", "visit_windows": []}]
        },
    )

    visit_consent_recorded: bool = Field(
        default=False,
        description="The customer consented to visits at this address (needed for a "
        "workplace, hospital or care home). Setting it records now and your credential as "
        "when and by whom. Sending true again with the same `address_kind` keeps the first "
        "recording; with another kind of place it is recorded anew; false withdraws it.",
    )


class VisitRepaymentCapacityRead(BaseModel):
    """The bank's assessment of what the customer can pay a month. Personal financial data."""

    monthly_income: Decimal = Field(repr=False, examples=["8500.00"])
    monthly_obligations: Decimal = Field(repr=False, examples=["3200.00"])
    currency: str = Field(examples=["CNY"])
    assessed_on: date


class VisitTermsRead(BaseModel):
    """A customer's visit terms. Before any were reported or recorded: the defaults (home, no
    consent, no windows, no capacity) with `updated_at` null."""

    model_config = ConfigDict(json_schema_extra={"examples": [VISIT_TERMS_EXAMPLE]})

    address_kind: AddressKind = Field(
        description="home, workplace, hospital, care_home or other. A workplace, hospital or "
        "care home may be visited only with `visit_consent_recorded`."
    )
    visit_consent_recorded: bool = Field(
        description="The customer consented to visits at this address."
    )
    visit_consent_recorded_at: datetime | None = Field(
        description="When the consent was recorded (UTC); null without consent."
    )
    visit_consent_recorded_by: str | None = Field(
        description="Who recorded it: the bank's operator id, or the case-api credential "
        "(`key:…`, `jwt:…`) when recorded through this API; null without consent."
    )
    visit_windows: list[VisitWindow] = Field(
        description="When the customer asked to be visited, local time, sorted by weekday and "
        "start; empty for no preference."
    )
    repayment_capacity: VisitRepaymentCapacityRead | None = Field(
        repr=False, description="Amounts in the currency's minor digits; null when not assessed."
    )
    updated_at: datetime | None = Field(
        description="When the terms were last reported or recorded; null: defaults."
    )

    @classmethod
    def of(cls, terms: VisitTerms | None) -> VisitTermsRead:
        if terms is None:
            return cls(
                address_kind="home",
                visit_consent_recorded=False,
                visit_consent_recorded_at=None,
                visit_consent_recorded_by=None,
                visit_windows=[],
                repayment_capacity=None,
                updated_at=None,
            )
        capacity = None
        income, obligations = terms.monthly_income, terms.monthly_obligations
        currency, assessed_on = terms.capacity_currency, terms.capacity_assessed_on
        # All four or none: the table's capacity_complete check.
        if income is not None and obligations is not None and currency and assessed_on:
            capacity = VisitRepaymentCapacityRead(
                monthly_income=to_minor_digits(income, currency),
                monthly_obligations=to_minor_digits(obligations, currency),
                currency=currency,
                assessed_on=assessed_on,
            )
        return cls(
            address_kind=terms.address_kind,
            visit_consent_recorded=terms.visit_consent_recorded,
            visit_consent_recorded_at=terms.visit_consent_recorded_at,
            visit_consent_recorded_by=terms.visit_consent_recorded_by,
            visit_windows=[VisitWindow.model_validate(window) for window in terms.visit_windows],
            repayment_capacity=capacity,
            updated_at=terms.updated_at,
        )
