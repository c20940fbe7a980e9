"""Visit changes as outbox rows on the case-status topic, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.db import outbox_table
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.events.contracts import EventData, VisitCancelled, VisitScheduled, to_envelope
from doorstep_shared.events.topics import CASE_STATUS
from doorstep_shared.messaging.outbox import add_to_outbox


class VisitEventRecorder:
    def __init__(self, session: AsyncSession, source: str) -> None:
        self._session = session
        self._source = source

    async def scheduled(self, visit: Visit) -> None:
        if visit.collector_id is None or visit.window_start is None or visit.window_end is None:
            raise ValueError("only a visit with a collector and a window is scheduled")
        await self._record(
            VisitScheduled(
                case_id=visit.case_id,
                visit_id=visit.id,
                collector_id=visit.collector_id,
                window_start=visit.window_start,
                window_end=visit.window_end,
            )
        )

    async def cancelled(self, visit: Visit) -> None:
        if visit.cancelled_at is None or visit.cancel_reason is None:
            raise ValueError("only a cancelled visit has a cancellation event")
        await self._record(
            VisitCancelled(
                case_id=visit.case_id,
                visit_id=visit.id,
                reason=visit.cancel_reason,
                cancelled_at=visit.cancelled_at,
            )
        )

    async def _record(self, data: EventData) -> None:
        await add_to_outbox(
            self._session, outbox_table, to_envelope(data, self._source), CASE_STATUS
        )
