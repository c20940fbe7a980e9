"""Turns a case change into its outbox event and its timeline entry, in the same transaction."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.cases.models import Case, TimelineEntry
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.db import outbox_table
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import Arrears, CaseState, to_envelope
from doorstep_shared.events.topics import CASE_EVENTS
from doorstep_shared.messaging.outbox import add_to_outbox
from doorstep_shared.money import to_minor_digits


def arrears_of(case: Case) -> Arrears:
    def shown(amount: Decimal) -> Decimal:
        return to_minor_digits(amount, case.currency)

    return Arrears(
        currency=case.currency,
        principal=shown(case.principal),
        interest=shown(case.interest),
        fees=shown(case.fees),
        penalties=shown(case.penalties),
        total=shown(case.total_arrears),
    )


def case_state_fields(case: Case) -> dict[str, object]:
    """The state every case event carries, taking the next per-case sequence number."""
    case.last_sequence += 1
    return {
        "case_id": case.id,
        "sequence": case.last_sequence,
        "status": case.status,
        "product": case.product,
        "stage": case.stage,
        "days_past_due": case.days_past_due,
        "arrears": arrears_of(case),
        "as_of_date": case.as_of_date,
    }


class CaseEventRecorder:
    def __init__(self, session: AsyncSession, cases: CaseRepository, source: str) -> None:
        self._session = session
        self._cases = cases
        self._source = source

    async def record(self, case: Case, event: CaseState, summary: str) -> None:
        envelope = to_envelope(event, self._source, sequence=event.sequence)
        await add_to_outbox(self._session, outbox_table, envelope, CASE_EVENTS)
        self._cases.add_timeline_entry(
            TimelineEntry(
                case_id=case.id,
                event_id=envelope.id,
                event_type=envelope.type,
                source=self._source,
                summary=summary,
                details=envelope.data,
                occurred_at=envelope.time,
                recorded_at=utc_now(),
            )
        )
