"""Turns a case change into its outbox event and its timeline entry, in the same transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.cases.models import Case, TimelineEntry
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.db import outbox_table
from doorstep_case_api.policy.model import ProductPolicy
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import Arrears, CaseState, Charges, to_envelope
from doorstep_shared.events.topics import CASE_EVENTS
from doorstep_shared.messaging.outbox import OutboxBuffer, add_to_outbox
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


def charges_of(case: Case) -> Charges:
    def shown(amount: Decimal) -> Decimal:
        return to_minor_digits(amount, case.currency)

    return Charges(
        late_fees=shown(case.late_fee_charged),
        penalty_interest=shown(case.penalty_interest_charged),
        total=shown(case.total_charges),
    )


class CaseEventRecorder:
    """Records case events. Each takes the case's next sequence number and carries its state."""

    def __init__(
        self,
        session: AsyncSession,
        cases: CaseRepository,
        source: str,
        business_date: date,
        outbox: OutboxBuffer | None = None,
    ) -> None:
        self._session = session
        self._outbox = outbox
        self._cases = cases
        self._source = source
        self.business_date = business_date

    async def record(
        self,
        case: Case,
        policy: ProductPolicy,
        event_class: type[CaseState],
        summary: str,
        **specific: Any,
    ) -> CaseState:
        holds = await self._cases.active_hold_types(case.id)
        arrangement_active = await self._cases.has_active_arrangement(case.id)
        case.last_sequence += 1
        case.updated_at = utc_now()
        event = event_class(
            case_id=case.id,
            sequence=case.last_sequence,
            status=case.status,
            product=case.product,
            stage=case.stage,
            treatment=policy.stage(case.stage).treatment,
            days_past_due=case.days_past_due,
            arrears=arrears_of(case),
            charges=charges_of(case),
            total_due=to_minor_digits(case.total_due, case.currency),
            as_of_date=case.as_of_date,
            business_date=self.business_date,
            holds=tuple(sorted(holds)),
            collection_paused=bool(holds) or arrangement_active,
            vulnerable=case.vulnerability_category is not None,
            **specific,
        )
        envelope = to_envelope(event, self._source, sequence=event.sequence)
        if self._outbox is not None:
            self._outbox.add(envelope, CASE_EVENTS)
        else:
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
        return event
