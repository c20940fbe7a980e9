"""Case events -> the case read model and the notices they call for (one transaction each)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.cases.service import AppliedState, CaseViewService, is_paused
from doorstep_notifier.db import parking_table
from doorstep_notifier.notifications.service import CASE_RESOLVED, NoticeService, pause_reason
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import (
    EVENT_TYPES,
    CaseOpened,
    CaseStageChanged,
    CaseState,
    EventData,
)
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.case_order import CaseEventOrder, Order
from doorstep_shared.messaging.consumer import PermanentEventError

logger = logging.getLogger(__name__)

# Inbox consumer name: a processed event id is recorded once per name.
CONSUMER_NAME = "notifier-case-events"
# Every case event carries the case's state (holds, pause, status), so every one is handled:
# a hold placed or a payment received must reach the case view even though it asks for no
# notice of its own.
HANDLED_CASE_TYPES = frozenset(
    event_type for event_type, model in EVENT_TYPES.items() if issubclass(model, CaseState)
)


async def apply_case_event(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
    """Case events in per-case order: stale ones dropped, early ones parked (CASE_ORDER)."""
    if not isinstance(data, CaseState):
        raise PermanentEventError(f"{envelope.type} is not a case event")
    await CASE_ORDER.handle(session, envelope, data, utc_now())


async def _apply_state(
    session: AsyncSession,
    envelope: EventEnvelope,
    data: CaseState,
    now: datetime,
    *,
    accept_gap: bool,
) -> Order:
    """The case's next state: the view, then the notices it calls for."""
    applied = await CaseViewService(session).apply(data, now, accept_gap=accept_gap)
    if not isinstance(applied, AppliedState):
        return applied
    ids = {"event_id": envelope.id, "case_id": str(data.case_id), "sequence": data.sequence}
    notices = NoticeService(session)
    trigger = {"trigger_event_id": envelope.id, "trigger_event_type": envelope.type}
    if data.status == "resolved":
        cancelled = await notices.cancel_pending(data.case_id, CASE_RESOLVED, now)
        logger.info("case resolved", extra={**ids, "notices_cancelled": cancelled})
    elif is_paused(data):
        cancelled = await notices.cancel_pending(data.case_id, pause_reason(data.holds), now)
        logger.info("collection paused", extra={**ids, "notices_cancelled": cancelled})
    elif isinstance(data, CaseOpened | CaseStageChanged):
        _log_queued(await notices.open_notice(**trigger, state=data, now=now), ids)
    elif applied.was_paused:
        _log_queued(await notices.resume(**trigger, state=data, now=now), ids)
    else:
        await notices.refresh_pending(data, now)
    return Order.APPLIED


async def _lock_view(session: AsyncSession, case_id: uuid.UUID) -> int | None:
    return await CaseViewService(session).lock(case_id)


# Parked events and the gap worker (main.py) go through the same path as fresh events.
CASE_ORDER = CaseEventOrder(parking_table, CONSUMER_NAME, _apply_state, _lock_view)


def _log_queued(notification_id: object, ids: dict[str, object]) -> None:
    if notification_id is not None:
        logger.info("notice queued", extra={**ids, "notification_id": str(notification_id)})
