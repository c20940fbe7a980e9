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


CaseStatus = Literal["open", "resolved"]


class CaseState(EventData):
    """Every case event carries the case's state after the change (event-carried state)."""

    topic: ClassVar[str] = CASE_EVENTS
    sequence: int = Field(ge=1, description="Per-case sequence number, 1 for the first event.")
    status: CaseStatus
    product: str
    stage: str = Field(description="Ladder stage after the change, e.g. reminder, field.")
    days_past_due: int = Field(ge=0)
    arrears: Arrears
    as_of_date: date = Field(description="As-of date of the snapshot that caused the change.")


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


class VisitScheduled(StatusUpdate):
    event_type: ClassVar[str] = "doorstep.visit.scheduled.v1"
    visit_id: UUID
    collector_id: UUID
    window_start: AwareDatetime
    window_end: AwareDatetime


class VisitCancelled(StatusUpdate):
    event_type: ClassVar[str] = "doorstep.visit.cancelled.v1"
    visit_id: UUID
    reason: str
    cancelled_at: AwareDatetime


EVENT_TYPES: dict[str, type[EventData]] = {
    model.event_type: model
    for model in (
        CaseOpened,
        CaseUpdated,
        CaseStageChanged,
        CaseResolved,
        NotificationSent,
        NotificationFailed,
        VisitScheduled,
        VisitCancelled,
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
