"""Case events as case-api publishes them."""

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
    CaseState,
    CaseUpdated,
    Charges,
    to_envelope,
)
from doorstep_shared.events.envelope import EventEnvelope

CASE_API = "urn:doorstep:case-api"
AS_OF = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def arrears(**amounts: str) -> Arrears:
    values = {"principal": "1200.00", "interest": "35.50", "fees": "20.00", "penalties": "4.25"}
    values.update(amounts)
    parts = {name: Decimal(value) for name, value in values.items()}
    return Arrears(currency="CNY", total=sum(parts.values(), Decimal(0)), **parts)


TREATMENTS = {
    "reminder": "notice",
    "contact": "contact",
    "field": "field_visit",
    "legal": "legal_review",
}
NO_CHARGES = Charges(late_fees=Decimal("0.00"), penalty_interest=Decimal("0.00"), total=Decimal(0))


def _state(case_id: uuid.UUID, sequence: int, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "case_id": case_id,
        "sequence": sequence,
        "status": "open",
        "product": "personal-loan",
        "stage": "field",
        "days_past_due": 35,
        "arrears": arrears(),
        "charges": NO_CHARGES,
        "as_of_date": AS_OF,
        "business_date": AS_OF,
        "holds": (),
        "collection_paused": False,
        "vulnerable": False,
    }
    fields.update(changes)
    fields.setdefault("treatment", TREATMENTS[fields["stage"]])
    fields.setdefault("total_due", fields["arrears"].total + fields["charges"].total)
    return fields


def opened(case_id: uuid.UUID, **changes: Any) -> CaseOpened:
    return CaseOpened(**_state(case_id, changes.pop("sequence", 1), **changes), opened_at=NOW)


def stage_changed(
    case_id: uuid.UUID, sequence: int, *, stage: str, previous_stage: str, **changes: Any
) -> CaseStageChanged:
    return CaseStageChanged(
        **_state(case_id, sequence, stage=stage, **changes),
        previous_stage=previous_stage,
        reason=f"moved to {stage}",
    )


def updated(case_id: uuid.UUID, sequence: int, **changes: Any) -> CaseUpdated:
    return CaseUpdated(**_state(case_id, sequence, **changes))


def resolved(case_id: uuid.UUID, sequence: int) -> CaseResolved:
    return CaseResolved(
        **_state(
            case_id,
            sequence,
            status="resolved",
            days_past_due=0,
            arrears=arrears(principal="0", interest="0", fees="0", penalties="0"),
        ),
        reason="cured",
        resolved_at=NOW,
    )


def hold_placed(
    case_id: uuid.UUID, sequence: int, hold_type: str = "dispute", **changes: Any
) -> CaseHoldPlaced:
    holds = changes.pop("holds", (hold_type,))
    return CaseHoldPlaced(
        **_state(case_id, sequence, holds=holds, collection_paused=True, **changes),
        hold_id=uuid.uuid4(),
        hold_type=hold_type,
        freezes_fees=False,
        ends_on=None,
    )


def hold_lifted(
    case_id: uuid.UUID, sequence: int, hold_type: str = "dispute", **changes: Any
) -> CaseHoldLifted:
    return CaseHoldLifted(
        **_state(case_id, sequence, **changes),
        hold_id=uuid.uuid4(),
        hold_type=hold_type,
        lifted_because="operations",
    )


def arrangement_changed(
    case_id: uuid.UUID, sequence: int, *, status: str, **changes: Any
) -> CaseArrangementChanged:
    """An arrangement event; an active arrangement pauses collection without a hold."""
    return CaseArrangementChanged(
        **_state(case_id, sequence, collection_paused=status == "active", **changes),
        arrangement_id=uuid.uuid4(),
        kind="instalment_plan",
        arrangement_status=status,
        amount=Decimal("600.00"),
    )


def envelope(data: CaseState) -> EventEnvelope:
    return to_envelope(data, CASE_API, sequence=data.sequence)
