"""Case events as case-api publishes them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from doorstep_shared.events.contracts import (
    Arrears,
    CaseOpened,
    CaseResolved,
    CaseStageChanged,
    CaseState,
    CaseUpdated,
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


def _state(case_id: uuid.UUID, sequence: int, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "case_id": case_id,
        "sequence": sequence,
        "status": "open",
        "product": "personal-loan",
        "stage": "field",
        "days_past_due": 35,
        "arrears": arrears(),
        "as_of_date": AS_OF,
    }
    fields.update(changes)
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


def envelope(data: CaseState) -> EventEnvelope:
    return to_envelope(data, CASE_API, sequence=data.sequence)
