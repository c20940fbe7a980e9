"""Legal referral API and the dossier handed to legal recovery.

The dossier is also what is stored on the referral when operations confirm it, so its shape is
the record of what legal received. Amounts are decimal strings in the case's currency.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_Actor = Field(min_length=1, max_length=64, description="Who decided (user or team id).")


class ReportedArrears(BaseModel):
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    total: Decimal


class DoorstepCharges(BaseModel):
    late_fees: Decimal
    penalty_interest: Decimal
    total: Decimal


class ItemisedBalance(BaseModel):
    currency: str
    arrears: ReportedArrears = Field(description="As core banking reported them.")
    charges: DoorstepCharges = Field(description="Doorstep's own charges under the policy.")
    total_due: Decimal
    as_of_date: date


class ChargeRecord(BaseModel):
    kind: str = Field(examples=["late_fee", "penalty_interest"])
    amount: Decimal
    accrual_date: date
    basis: str = Field(description="How it was computed.")


class TimelineRecord(BaseModel):
    event_type: str
    summary: str
    occurred_at: datetime


class PaymentRecord(BaseModel):
    reference: str
    amount: Decimal
    value_date: date
    allocation: dict[str, Any] = Field(description="Where each unit of the payment went.")


class PromiseRecord(BaseModel):
    amount: Decimal
    promised_date: date
    channel: str
    source: str
    recorded_by: str
    recorded_on: date
    status: str = Field(examples=["pending", "kept", "broken"])
    paid_towards: Decimal
    settled_on: date | None


class InstalmentRecord(BaseModel):
    number: int
    due_date: date
    amount: Decimal
    paid_amount: Decimal
    status: str


class ArrangementRecord(BaseModel):
    kind: str
    status: str
    amount: Decimal
    frequency: str | None
    instalment_count: int | None
    first_due_date: date | None
    deferred_to: date | None
    proposed_by: str
    decided_by: str | None
    proposed_on: date
    activated_on: date | None
    ended_on: date | None
    instalments: list[InstalmentRecord]


class StageRecord(BaseModel):
    from_stage: str | None
    to_stage: str
    business_date: date
    reason: str


class HoldRecord(BaseModel):
    hold_type: str
    reason: str
    starts_on: date
    ends_on: date | None
    lifted_on: date | None
    lift_reason: str | None


class Dossier(BaseModel):
    """Everything legal recovery needs to judge the claim and how it was collected."""

    case_id: uuid.UUID
    product: str
    stage: str
    days_past_due: int
    opened_at: datetime
    business_date: date = Field(description="Business date the dossier was compiled on.")
    vulnerable: bool = Field(description="A vulnerability flag is set: handle with care.")
    balance: ItemisedBalance
    fee_history: list[ChargeRecord]
    payments: list[PaymentRecord]
    contact_history: list[TimelineRecord] = Field(description="Notices sent or failed.")
    visit_outcomes: list[TimelineRecord] = Field(
        description="Visits scheduled, cancelled, and what collectors recorded."
    )
    promises: list[PromiseRecord]
    arrangements: list[ArrangementRecord]
    stage_history: list[StageRecord]
    holds: list[HoldRecord]


_CASE_ID = "7a3e9c2d-4b1f-4e8a-9d6c-2f5b8a1e3c70"

_DOSSIER_EXAMPLE: dict[str, Any] = {
    "case_id": _CASE_ID,
    "product": "personal-loan",
    "stage": "legal",
    "days_past_due": 95,
    "opened_at": "2026-09-30T01:00:00Z",
    "business_date": "2027-01-05",
    "vulnerable": False,
    "balance": {
        "currency": "CNY",
        "arrears": {
            "principal": "1200.00",
            "interest": "35.50",
            "fees": "20.00",
            "penalties": "4.25",
            "total": "1259.75",
        },
        "charges": {"late_fees": "20.00", "penalty_interest": "18.40", "total": "38.40"},
        "total_due": "1298.15",
        "as_of_date": "2027-01-04",
    },
    "fee_history": [
        {
            "kind": "late_fee",
            "amount": "20.00",
            "accrual_date": "2026-09-30",
            "basis": "late fee on opening",
        }
    ],
    "payments": [],
    "contact_history": [
        {
            "event_type": "doorstep.notification.sent.v1",
            "summary": "Reminder notice sent by SMS",
            "occurred_at": "2026-09-30T02:00:00Z",
        }
    ],
    "visit_outcomes": [
        {
            "event_type": "doorstep.visit.completed.v1",
            "summary": "Visit attempted: nobody at home",
            "occurred_at": "2026-12-10T06:30:00Z",
        }
    ],
    "promises": [],
    "arrangements": [],
    "stage_history": [
        {
            "from_stage": "field",
            "to_stage": "legal",
            "business_date": "2027-01-02",
            "reason": "DPD 91 reached and a visit was attempted",
        }
    ],
    "holds": [],
}


class ReferralRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    status: str = Field(examples=["in_review", "confirmed", "returned"])
    entered_on: date
    trigger: str = Field(description="Why the case entered legal review.")
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime


class LegalReferralRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "referral": {
                        "id": "c41d7e2a-8f3b-4a6e-b5d1-9e0f2a7c4b18",
                        "case_id": _CASE_ID,
                        "status": "in_review",
                        "entered_on": "2027-01-02",
                        "trigger": "DPD 91 reached and a visit was attempted",
                        "decided_by": None,
                        "decided_at": None,
                        "decision_reason": None,
                        "created_at": "2027-01-02T01:00:00Z",
                    },
                    "dossier": _DOSSIER_EXAMPLE,
                    "confirmed_dossier": None,
                }
            ]
        }
    )

    referral: ReferralRead
    dossier: Dossier = Field(description="Compiled now from the case's records.")
    confirmed_dossier: Dossier | None = Field(
        description="The dossier as handed over at confirmation; null until confirmed."
    )


class LegalReferralConfirm(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"decided_by": "legal-team-1", "reason": "Claim and records complete"}]
        },
    )

    decided_by: str = _Actor
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class LegalReferralReturn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "decided_by": "legal-team-1",
                    "reason": "Customer reached at the last visit; give the arrangement a chance",
                }
            ]
        },
    )

    decided_by: str = _Actor
    reason: str = Field(min_length=1, max_length=500, description="Why it goes back.")
