"""Status write-back: updates from the notifier and scheduler become timeline entries."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.cases.models import TimelineEntry
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import (
    EventData,
    NotificationFailed,
    NotificationSent,
    VisitCancelled,
    VisitScheduled,
)
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import PermanentEventError

HANDLED_STATUS_TYPES = frozenset(
    model.event_type
    for model in (NotificationSent, NotificationFailed, VisitScheduled, VisitCancelled)
)


def describe(data: EventData) -> str:
    if isinstance(data, NotificationSent):
        return f"Overdue notice sent ({data.channel})."
    if isinstance(data, NotificationFailed):
        return f"Overdue notice failed ({data.channel}): {data.reason}"
    if isinstance(data, VisitScheduled):
        return (
            f"Field visit scheduled {data.window_start.isoformat()} – "
            f"{data.window_end.isoformat()}."
        )
    if isinstance(data, VisitCancelled):
        return f"Field visit cancelled: {data.reason}"
    return data.event_type


async def append_status_update(
    session: AsyncSession, envelope: EventEnvelope, data: EventData
) -> None:
    cases = CaseRepository(session)
    if await cases.get(data.case_id) is None:
        raise PermanentEventError(f"status update for unknown case {data.case_id}")
    cases.add_timeline_entry(
        TimelineEntry(
            case_id=data.case_id,
            event_id=envelope.id,
            event_type=envelope.type,
            source=envelope.source,
            summary=describe(data),
            details=envelope.data,
            occurred_at=envelope.time,
            recorded_at=utc_now(),
        )
    )
