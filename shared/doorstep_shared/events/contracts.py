"""Versioned event contracts. Data only: ids, amounts, stages, times — never personal data.

A published type string never changes shape: a breaking change is a new ``.vN`` type (the
JSON Schemas in docs/events/ and their test enforce it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from doorstep_shared.events.envelope import EnvelopeError, EventEnvelope
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS


class EventData(BaseModel):
    # Tolerant reader: consumers ignore fields added by a newer producer of the same version.
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    case_id: UUID = Field(description="Doorstep case id; also the Kafka key and ce_subject.")


class Arrears(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    currency: str = Field(description="ISO 4217 code.", examples=["CNY"])
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    total: Decimal


class Charges(BaseModel):
    """Doorstep's own charges under the product policy, on top of the reported arrears."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    late_fees: Decimal
    penalty_interest: Decimal
    total: Decimal


CaseStatus = Literal["open", "resolved"]
HoldType = Literal["dispute", "hardship", "cease_contact", "moratorium", "bankruptcy", "deceased"]


class CaseState(EventData):
    """Every case event carries the case's state after the change (event-carried state)."""

    topic: ClassVar[str] = CASE_EVENTS
    sequence: int = Field(ge=1, description="Per-case sequence number, 1 for the first event.")
    status: CaseStatus
    product: str
    stage: str = Field(description="Ladder stage after the change, e.g. reminder, field.")
    treatment: str = Field(
        description="What the stage does: notice, contact, field_visit or legal_review."
    )
    days_past_due: int = Field(ge=0)
    arrears: Arrears = Field(description="Overdue amounts as core banking reported them.")
    charges: Charges
    total_due: Decimal = Field(description="arrears.total + charges.total, same currency.")
    as_of_date: date = Field(description="As-of date of the snapshot that caused the change.")
    business_date: date = Field(description="Doorstep's business date when the change happened.")
    holds: tuple[HoldType, ...] = Field(
        description="Active holds. Any hold freezes every channel and visit at once."
    )
    collection_paused: bool = Field(
        description="True while a hold or an active arrangement pauses contact and the ladder."
    )
    vulnerable: bool = Field(description="A vulnerability flag is set (category not shared).")


class CaseOpened(CaseState):
    event_type: ClassVar[str] = "doorstep.case.opened.v1"
    opened_at: AwareDatetime


class CaseUpdated(CaseState):
    """Arrears or days past due changed; the stage did not."""

    event_type: ClassVar[str] = "doorstep.case.updated.v1"


class CaseStageChanged(CaseState):
    event_type: ClassVar[str] = "doorstep.case.stage_changed.v1"
    previous_stage: str
    reason: str = Field(description="Why the stage was entered, for the timeline.")


class CaseResolved(CaseState):
    event_type: ClassVar[str] = "doorstep.case.resolved.v1"
    reason: str = Field(examples=["cured"])
    resolved_at: AwareDatetime


class Allocation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    penalties: Decimal
    fees: Decimal
    interest: Decimal
    principal: Decimal
    unallocated: Decimal = Field(description="Overpayment not owed on the case.")


class CasePaymentReceived(CaseState):
    event_type: ClassVar[str] = "doorstep.case.payment_received.v1"
    payment_id: UUID
    amount: Decimal
    currency: str
    value_date: date
    allocation: Allocation


class CaseChargesAccrued(CaseState):
    event_type: ClassVar[str] = "doorstep.case.charges_accrued.v1"
    accrual_date: date
    late_fee_added: Decimal
    penalty_interest_added: Decimal


PromiseSource = Literal["operations", "visit"]


class _PromiseFacts(CaseState):
    promise_id: UUID
    promised_amount: Decimal
    promised_date: date


class CasePromiseRecorded(_PromiseFacts):
    event_type: ClassVar[str] = "doorstep.case.promise_recorded.v1"
    source: PromiseSource
    channel: str


class CasePromiseKept(_PromiseFacts):
    event_type: ClassVar[str] = "doorstep.case.promise_kept.v1"


class CasePromiseBroken(_PromiseFacts):
    event_type: ClassVar[str] = "doorstep.case.promise_broken.v1"
    paid_towards: Decimal


ArrangementStatus = Literal["proposed", "approved", "rejected", "active", "completed", "broken"]


class CaseArrangementChanged(CaseState):
    event_type: ClassVar[str] = "doorstep.case.arrangement_changed.v1"
    arrangement_id: UUID
    kind: Literal["instalment_plan", "deferral"]
    arrangement_status: ArrangementStatus
    amount: Decimal


class CaseHoldPlaced(CaseState):
    event_type: ClassVar[str] = "doorstep.case.hold_placed.v1"
    hold_id: UUID
    hold_type: HoldType
    freezes_fees: bool
    ends_on: date | None


class CaseHoldLifted(CaseState):
    event_type: ClassVar[str] = "doorstep.case.hold_lifted.v1"
    hold_id: UUID
    hold_type: HoldType
    lifted_because: Literal["expired", "operations"]


class CaseLegalReferralDecided(CaseState):
    event_type: ClassVar[str] = "doorstep.case.legal_referral_decided.v1"
    referral_id: UUID
    decision: Literal["confirmed", "returned"]


class CaseVulnerabilityChanged(CaseState):
    event_type: ClassVar[str] = "doorstep.case.vulnerability_changed.v1"


class StatusUpdate(EventData):
    topic: ClassVar[str] = CASE_STATUS


class NotificationSent(StatusUpdate):
    event_type: ClassVar[str] = "doorstep.notification.sent.v1"
    notification_id: UUID
    channel: str = Field(examples=["sms", "email", "letter", "local"])
    trigger_event_id: str = Field(description="ce_id of the case event that caused the notice.")
    sent_at: AwareDatetime


class NotificationFailed(StatusUpdate):
    event_type: ClassVar[str] = "doorstep.notification.failed.v1"
    notification_id: UUID
    channel: str
    trigger_event_id: str
    reason: str
    failed_at: AwareDatetime


class ContactDecisionFacts(BaseModel):
    """The contact-rule engine's answer for one contact: which rule of which pack, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Literal["allowed", "deferred", "suppressed"]
    rule_id: str = Field(examples=["us.1006.6b1.hours"])
    pack_id: str = Field(examples=["us"])
    pack_version: str = Field(examples=["2026.1"])
    reason: str = Field(description="Human-readable, in English; no personal data.")
    not_before: AwareDatetime | None = Field(
        default=None, description="When a deferred contact may happen."
    )
    timezone_source: str = Field(
        description="Where the customer's zone came from: record, coordinates or phone."
    )


class NotificationDeferred(StatusUpdate):
    """A notice waits for its lawful window; it goes out at ``decision.not_before``."""

    event_type: ClassVar[str] = "doorstep.notification.deferred.v1"
    notification_id: UUID
    channel: str
    trigger_event_id: str
    decision: ContactDecisionFacts
    deferred_at: AwareDatetime


class NotificationSuppressed(StatusUpdate):
    """A notice that must not be sent (hold, cease-contact, refused channel...)."""

    event_type: ClassVar[str] = "doorstep.notification.suppressed.v1"
    notification_id: UUID
    channel: str
    trigger_event_id: str
    decision: ContactDecisionFacts
    suppressed_at: AwareDatetime


class NotificationDelivered(StatusUpdate):
    """The provider confirmed delivery (a delivery receipt)."""

    event_type: ClassVar[str] = "doorstep.notification.delivered.v1"
    notification_id: UUID
    channel: str
    trigger_event_id: str
    delivered_at: AwareDatetime


# A visit's appointment: a new one, or a visit moved by re-planning (same ``visit_id``).
class VisitScheduled(StatusUpdate):
    event_type: ClassVar[str] = "doorstep.visit.scheduled.v1"
    visit_id: UUID
    collector_id: UUID  # the collector team that makes the visit
    window_start: AwareDatetime
    window_end: AwareDatetime


class VisitCancelled(StatusUpdate):
    event_type: ClassVar[str] = "doorstep.visit.cancelled.v1"
    visit_id: UUID
    reason: str
    cancelled_at: AwareDatetime


class VisitNoticeSent(StatusUpdate):
    """The customer was sent notice of a visit's date, likely time and purpose (notifier)."""

    event_type: ClassVar[str] = "doorstep.visit.notice_sent.v1"
    visit_id: UUID
    notification_id: UUID
    channel: str = Field(examples=["sms", "email", "letter"])
    trigger_event_id: str = Field(description="ce_id of the visit.scheduled event announced.")
    sent_at: AwareDatetime


class VisitNoticeFailed(StatusUpdate):
    """The appointment notice could not be sent (refused by the contact rules or the provider);
    the visit must not go ahead on that notice."""

    event_type: ClassVar[str] = "doorstep.visit.notice_failed.v1"
    visit_id: UUID
    notification_id: UUID
    channel: str
    trigger_event_id: str = Field(description="ce_id of the visit.scheduled event announced.")
    reason: str = Field(description="Why, in English; names the rule id when a rule refused it.")
    failed_at: AwareDatetime


VisitOutcome = Literal[
    "met",
    "not_home",
    "refused",
    "wrong_address",
    "promise_to_pay",
    "paid",
    "hardship",
    "dispute",
    "third_party_present",
]


class VisitOutcomeRecorded(StatusUpdate):
    """A collector's recorded outcome. Free-text notes stay in the scheduler."""

    event_type: ClassVar[str] = "doorstep.visit.outcome_recorded.v1"
    visit_id: UUID
    collector_id: UUID
    outcome: VisitOutcome
    visited_at: AwareDatetime
    promise_amount: Decimal | None = None
    promise_currency: str | None = None
    promise_date: date | None = None


EVENT_TYPES: dict[str, type[EventData]] = {
    model.event_type: model
    for model in (
        CaseOpened,
        CaseUpdated,
        CaseStageChanged,
        CaseResolved,
        CasePaymentReceived,
        CaseChargesAccrued,
        CasePromiseRecorded,
        CasePromiseKept,
        CasePromiseBroken,
        CaseArrangementChanged,
        CaseHoldPlaced,
        CaseHoldLifted,
        CaseLegalReferralDecided,
        CaseVulnerabilityChanged,
        NotificationSent,
        NotificationFailed,
        NotificationDeferred,
        NotificationSuppressed,
        NotificationDelivered,
        VisitScheduled,
        VisitCancelled,
        VisitOutcomeRecorded,
        VisitNoticeSent,
        VisitNoticeFailed,
    )
}


def to_envelope(data: EventData, source: str, sequence: int | None = None) -> EventEnvelope:
    payload: dict[str, Any] = data.model_dump(mode="json")
    return EventEnvelope(
        type=data.event_type,
        source=source,
        subject=str(data.case_id),
        data=payload,
        sequence=sequence,
    )


def parse_data(envelope: EventEnvelope) -> EventData | None:
    """The typed data of ``envelope``; None for a type this version does not know."""
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        return None
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise EnvelopeError(f"{envelope.type} data invalid at: {', '.join(fields)}") from None


def event_json_schema(model: type[EventData]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    schema["$id"] = f"https://doorstep.dev/events/{model.event_type}.json"
    schema["x-topic"] = model.topic
    return schema
