"""Case events -> the case read model and the notices they call for (one transaction each)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.cases.service import CaseViewService
from doorstep_notifier.notifications.service import CASE_RESOLVED, NoticeService
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import (
    CaseOpened,
    CaseResolved,
    CaseStageChanged,
    CaseState,
    CaseUpdated,
    EventData,
)
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import PermanentEventError

logger = logging.getLogger(__name__)

# Inbox consumer name: a processed event id is recorded once per name.
CONSUMER_NAME = "notifier-case-events"
HANDLED_CASE_TYPES = frozenset(
    model.event_type for model in (CaseOpened, CaseUpdated, CaseStageChanged, CaseResolved)
)


async def apply_case_event(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
    if not isinstance(data, CaseState):
        raise PermanentEventError(f"{envelope.type} is not a case event")
    now = utc_now()
    ids = {"event_id": envelope.id, "case_id": str(data.case_id), "sequence": data.sequence}
    if not await CaseViewService(session).apply(data, now):
        logger.info("stale case event ignored", extra=ids)
        return
    notices = NoticeService(session)
    if data.status == "resolved":
        cancelled = await notices.cancel_pending(data.case_id, CASE_RESOLVED, now)
        logger.info("case resolved", extra={**ids, "notices_cancelled": cancelled})
    elif isinstance(data, CaseOpened | CaseStageChanged):
        notification_id = await notices.open_notice(
            trigger_event_id=envelope.id,
            trigger_event_type=envelope.type,
            state=data,
            now=now,
        )
        if notification_id is not None:
            logger.info("notice queued", extra={**ids, "notification_id": str(notification_id)})
    else:
        await notices.refresh_pending(data, now)
