"""Building case events the way case-api publishes them, and delivering them to the handler."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from doorstep_shared.events.contracts import (
    Arrears,
    CaseArrangementChanged,
    CaseHoldLifted,
    CaseHoldPlaced,
    CaseOpened,
    CaseResolved,
    CaseStageChanged,
    CaseUpdated,
    Charges,
    parse_data,
    to_envelope,
)
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import Handler

CASE_API = "urn:doorstep:case-api"
OPENED_AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


TREATMENTS = {
    "reminder": "notice",
    "contact": "contact",
    "field": "field_visit",
    "legal": "legal_review",
}


def default_stage(days_past_due: int) -> str:
    """The default ladder's stage for ``days_past_due`` (as if its prerequisites held)."""
    if days_past_due > 90:
        return "legal"
    return "field" if days_past_due > 30 else "contact" if days_past_due > 15 else "reminder"


def _state(case_id: uuid.UUID, sequence: int, days_past_due: int, **extra: Any) -> dict[str, Any]:
    overdue = Decimal("0") if extra.get("status") == "resolved" else Decimal("1200.00")
    stage = extra.pop("stage", default_stage(days_past_due))
    return {
        "case_id": case_id,
        "sequence": sequence,
        "status": "open",
        "product": "personal-loan",
        "stage": stage,
        "treatment": TREATMENTS[stage],
        "days_past_due": days_past_due,
        "arrears": Arrears(
            currency="CNY",
            principal=overdue,
            interest=Decimal("0.00"),
            fees=Decimal("0.00"),
            penalties=Decimal("0.00"),
            total=overdue,
        ),
        "charges": Charges(
            late_fees=Decimal("0.00"), penalty_interest=Decimal("0.00"), total=Decimal("0.00")
        ),
        "total_due": overdue,
        "as_of_date": date(2026, 12, 4),
        "business_date": date(2026, 12, 4),
        "holds": (),
        "collection_paused": False,
        "vulnerable": False,
        **extra,
    }


def opened(
    case_id: uuid.UUID, days_past_due: int, sequence: int = 1, **extra: Any
) -> EventEnvelope:
    data = CaseOpened(**_state(case_id, sequence, days_past_due, **extra), opened_at=OPENED_AT)
    return to_envelope(data, CASE_API, sequence=sequence)


def updated(case_id: uuid.UUID, days_past_due: int, sequence: int, **extra: Any) -> EventEnvelope:
    return to_envelope(
        CaseUpdated(**_state(case_id, sequence, days_past_due, **extra)),
        CASE_API,
        sequence=sequence,
    )


def stage_changed(
    case_id: uuid.UUID,
    days_past_due: int,
    sequence: int,
    previous_stage: str = "contact",
    **extra: Any,
) -> EventEnvelope:
    data = CaseStageChanged(
        **_state(case_id, sequence, days_past_due, **extra),
        previous_stage=previous_stage,
        reason=f"{days_past_due} days past due",
    )
    return to_envelope(data, CASE_API, sequence=sequence)


def hold_placed(
    case_id: uuid.UUID, days_past_due: int, sequence: int, hold_type: str = "dispute"
) -> EventEnvelope:
    data = CaseHoldPlaced(
        **_state(case_id, sequence, days_past_due, holds=(hold_type,), collection_paused=True),
        hold_id=uuid.uuid4(),
        hold_type=hold_type,
        freezes_fees=False,
        ends_on=None,
    )
    return to_envelope(data, CASE_API, sequence=sequence)


def hold_lifted(
    case_id: uuid.UUID, days_past_due: int, sequence: int, hold_type: str = "dispute"
) -> EventEnvelope:
    data = CaseHoldLifted(
        **_state(case_id, sequence, days_past_due),
        hold_id=uuid.uuid4(),
        hold_type=hold_type,
        lifted_because="operations",
    )
    return to_envelope(data, CASE_API, sequence=sequence)


def arrangement_changed(
    case_id: uuid.UUID, days_past_due: int, sequence: int, status: str
) -> EventEnvelope:
    """An active arrangement pauses collection without any hold."""
    data = CaseArrangementChanged(
        **_state(case_id, sequence, days_past_due, collection_paused=status == "active"),
        arrangement_id=uuid.uuid4(),
        kind="instalment_plan",
        arrangement_status=status,
        amount=Decimal("600.00"),
    )
    return to_envelope(data, CASE_API, sequence=sequence)


def resolved(case_id: uuid.UUID, sequence: int) -> EventEnvelope:
    data = CaseResolved(
        **_state(case_id, sequence, 0, status="resolved"),
        reason="cured",
        resolved_at=datetime(2026, 12, 10, 8, 0, tzinfo=UTC),
    )
    return to_envelope(data, CASE_API, sequence=sequence)


async def deliver(handle: Handler, envelope: EventEnvelope) -> None:
    """Hand ``envelope`` to ``handle`` as the consumer would: through the Kafka wire format."""
    wire = EventEnvelope.from_kafka(envelope.kafka_headers(), envelope.kafka_value())
    data = parse_data(wire)
    assert data is not None
    await handle(wire, data)
