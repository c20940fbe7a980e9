"""Arrangement API: propose, approve or reject, and read with the schedule."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from doorstep_case_api.arrangements.models import Arrangement, ArrangementInstalment
from doorstep_case_api.arrangements.schedule import Frequency
from doorstep_case_api.arrangements.service import (
    DeferralTerms,
    InstalmentPlanTerms,
    Terms,
    planned_schedule,
)
from doorstep_shared.money import KNOWN_CURRENCIES, fits_minor_units, to_minor_digits


class _ProposalBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Decimal = Field(
        gt=0, description="Decimal string in the case's currency; at most the total due."
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="Must be the case's currency.")
    proposed_by: str = Field(min_length=1, max_length=64, description="Staff id of the proposer.")

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal_string(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("amounts are decimal strings, not JSON numbers")
        return value

    @model_validator(mode="after")
    def _fits_currency(self) -> _ProposalBase:
        if self.currency not in KNOWN_CURRENCIES:
            raise ValueError("currency is not an ISO 4217 code")
        if not fits_minor_units(self.amount, self.currency):
            raise ValueError(f"amount has more decimals than {self.currency} allows")
        return self


class InstalmentPlanCreate(_ProposalBase):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "instalment_plan",
                    "amount": "1259.75",
                    "currency": "CNY",
                    "instalment_count": 6,
                    "frequency": "monthly",
                    "first_due_date": "2026-12-15",
                    "proposed_by": "agent-017",
                }
            ]
        }
    )

    kind: Literal["instalment_plan"]
    instalment_count: int = Field(ge=1, le=120, description="At most the product's maximum.")
    frequency: Frequency
    first_due_date: date = Field(
        description="From today's business date up to the product's max_deferral_days ahead."
    )

    def terms(self) -> Terms:
        return InstalmentPlanTerms(self.instalment_count, self.frequency, self.first_due_date)


class DeferralCreate(_ProposalBase):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "deferral",
                    "amount": "1259.75",
                    "currency": "CNY",
                    "deferred_to": "2027-01-31",
                    "proposed_by": "agent-017",
                }
            ]
        }
    )

    kind: Literal["deferral"]
    deferred_to: date = Field(
        description="New due date for the whole amount: after today's business date, at most "
        "the product's max_deferral_days ahead."
    )

    def terms(self) -> Terms:
        return DeferralTerms(self.deferred_to)


ArrangementCreate = Annotated[InstalmentPlanCreate | DeferralCreate, Field(discriminator="kind")]


class ArrangementApprove(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"approver": "sup-003", "approver_role": "supervisor"}]},
    )

    approver: str = Field(min_length=1, max_length=64, description="Staff id of the approver.")
    approver_role: Literal["agent", "supervisor"] = Field(
        description="Amounts above the product's supervisor_approval_above need a supervisor."
    )


class ArrangementReject(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"approver": "sup-003", "reason": "Income evidence not provided."}]
        },
    )

    approver: str = Field(min_length=1, max_length=64, description="Staff id of the decider.")
    reason: str = Field(min_length=1, max_length=500, description="Shown on the case timeline.")


class InstalmentRead(BaseModel):
    number: int = Field(ge=1)
    due_date: date
    amount: Decimal
    paid_amount: Decimal
    status: Literal["planned", "due", "paid", "missed"] = Field(
        description="planned until the arrangement is approved; then due, paid or missed."
    )


_ARRANGEMENT_EXAMPLE: dict[str, Any] = {
    "id": "5d0c1a9e-7a31-4a55-8b57-2f9c3c1e8d40",
    "case_id": "0c2d4e7a-6a8e-4f0b-8f43-2f1d9b3c5a11",
    "kind": "deferral",
    "status": "active",
    "amount": "1259.75",
    "currency": "CNY",
    "frequency": None,
    "instalment_count": None,
    "first_due_date": None,
    "deferred_to": "2027-01-31",
    "proposed_by": "agent-017",
    "proposed_on": "2026-11-29",
    "decided_by": "sup-003",
    "decided_role": "supervisor",
    "decision_reason": None,
    "activated_on": "2026-11-30",
    "ended_on": None,
    "schedule": [
        {
            "number": 1,
            "due_date": "2027-01-31",
            "amount": "1259.75",
            "paid_amount": "0.00",
            "status": "due",
        }
    ],
}


class ArrangementRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ARRANGEMENT_EXAMPLE]})

    id: uuid.UUID
    case_id: uuid.UUID
    kind: Literal["instalment_plan", "deferral"]
    status: Literal["proposed", "rejected", "active", "completed", "broken"]
    amount: Decimal
    currency: str
    frequency: Frequency | None
    instalment_count: int | None
    first_due_date: date | None
    deferred_to: date | None
    proposed_by: str
    proposed_on: date
    decided_by: str | None
    decided_role: str | None
    decision_reason: str | None
    activated_on: date | None
    ended_on: date | None
    schedule: list[InstalmentRead] = Field(
        description="The instalments: as agreed once approved, as proposed before."
    )

    @classmethod
    def of(
        cls, arrangement: Arrangement, instalments: list[ArrangementInstalment]
    ) -> ArrangementRead:
        currency = arrangement.currency

        def shown(amount: Decimal) -> Decimal:
            return to_minor_digits(amount, currency)

        if instalments:
            schedule = [
                InstalmentRead.model_validate(
                    {
                        "number": i.number,
                        "due_date": i.due_date,
                        "amount": shown(i.amount),
                        "paid_amount": shown(i.paid_amount),
                        "status": i.status,
                    }
                )
                for i in instalments
            ]
        else:
            schedule = [
                InstalmentRead(
                    number=number,
                    due_date=due,
                    amount=shown(amount),
                    paid_amount=shown(Decimal(0)),
                    status="planned",
                )
                for number, (due, amount) in enumerate(planned_schedule(arrangement), start=1)
            ]
        return cls.model_validate(
            {
                "id": arrangement.id,
                "case_id": arrangement.case_id,
                "kind": arrangement.kind,
                "status": arrangement.status,
                "amount": shown(arrangement.amount),
                "currency": currency,
                "frequency": arrangement.frequency,
                "instalment_count": arrangement.instalment_count,
                "first_due_date": arrangement.first_due_date,
                "deferred_to": arrangement.deferred_to,
                "proposed_by": arrangement.proposed_by,
                "proposed_on": arrangement.proposed_on,
                "decided_by": arrangement.decided_by,
                "decided_role": arrangement.decided_role,
                "decision_reason": arrangement.decision_reason,
                "activated_on": arrangement.activated_on,
                "ended_on": arrangement.ended_on,
                "schedule": schedule,
            }
        )


class ArrangementList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_ARRANGEMENT_EXAMPLE]}]})

    items: list[ArrangementRead] = Field(description="The case's arrangements, oldest first.")
