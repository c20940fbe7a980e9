"""Visit events from the scheduler -> visit notices (one transaction each, with the inbox row).

They arrive on the status topic, which carries every service's status updates (the notifier's
own included); only visits planned, moved or cancelled concern the notifier.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.visits.service import VisitNoticeService
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import EventData, VisitCancelled, VisitScheduled
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import PermanentEventError

logger = logging.getLogger(__name__)

# Inbox consumer name: a processed event id is recorded once per name.
CONSUMER_NAME = "notifier-visit-events"
HANDLED_VISIT_TYPES = frozenset({VisitScheduled.event_type, VisitCancelled.event_type})


async def apply_visit_event(
    session: AsyncSession, envelope: EventEnvelope, data: EventData
) -> None:
    now = utc_now()
    trigger = {"trigger_event_id": envelope.id, "trigger_event_type": envelope.type}
    notices = VisitNoticeService(session)
    if isinstance(data, VisitScheduled):
        if data.window_end <= data.window_start:
            raise PermanentEventError("visit window ends before it starts")
        queued = await notices.schedule(**trigger, visit=data, now=now)
        logger.info(
            "appointment notice queued" if queued else "no appointment notice needed",
            extra=_ids(envelope, data.visit_id, queued),
        )
    elif isinstance(data, VisitCancelled):
        withdrawn, queued = await notices.cancel(**trigger, cancellation=data, now=now)
        logger.info(
            "visit cancelled",
            extra={**_ids(envelope, data.visit_id, queued), "notices_withdrawn": withdrawn},
        )
    else:
        raise PermanentEventError(f"{envelope.type} is not a visit event")


def _ids(envelope: EventEnvelope, visit_id: object, notification_id: object) -> dict[str, str]:
    ids = {"event_id": envelope.id, "case_id": envelope.subject, "visit_id": str(visit_id)}
    if notification_id is not None:
        ids["notification_id"] = str(notification_id)
    return ids
