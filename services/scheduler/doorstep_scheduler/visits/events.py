"""Visit changes as outbox rows on the case-status topic, in the caller's transaction.

Only ids, times, the outcome and a promised amount leave the scheduler: the address, the
collector's notes and the recording stay here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.db import outbox_table
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.events.contracts import (
    EventData,
    VisitCancelled,
    VisitOutcomeRecorded,
    VisitScheduled,
    to_envelope,
)
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.events.topics import CASE_STATUS
from doorstep_shared.messaging.outbox import add_to_outbox


class VisitEventRecorder:
    def __init__(self, session: AsyncSession, source: str) -> None:
        self._session = session
        self._source = source

    async def scheduled(self, visit: Visit) -> EventEnvelope:
        """The appointment (new, or moved: same visit id); the notifier announces it."""
        if visit.team_id is None or visit.window_start is None or visit.window_end is None:
            raise ValueError("only a visit with a team and a window is scheduled")
        return await self._record(
            VisitScheduled(
                case_id=visit.case_id,
                visit_id=visit.id,
                collector_id=visit.team_id,
                window_start=visit.window_start,
                window_end=visit.window_end,
            )
        )

    async def cancelled(self, visit: Visit) -> EventEnvelope:
        if visit.cancelled_at is None or visit.cancel_reason is None:
            raise ValueError("only a cancelled visit has a cancellation event")
        return await self._record(
            VisitCancelled(
                case_id=visit.case_id,
                visit_id=visit.id,
                reason=visit.cancel_reason,
                cancelled_at=visit.cancelled_at,
            )
        )

    async def outcome_recorded(self, visit: Visit) -> EventEnvelope:
        if visit.team_id is None or visit.outcome is None or visit.outcome_at is None:
            raise ValueError("only a visit with a team and an outcome has an outcome event")
        return await self._record(
            VisitOutcomeRecorded(
                case_id=visit.case_id,
                visit_id=visit.id,
                collector_id=visit.team_id,
                outcome=visit.outcome,  # checked by the API schema
                visited_at=visit.outcome_at,
                promise_amount=visit.promise_amount,
                promise_currency=visit.promise_currency,
                promise_date=visit.promise_date,
            )
        )

    async def _record(self, data: EventData) -> EventEnvelope:
        envelope = to_envelope(data, self._source)
        await add_to_outbox(self._session, outbox_table, envelope, CASE_STATUS)
        return envelope
