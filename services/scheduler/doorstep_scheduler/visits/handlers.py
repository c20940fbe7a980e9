"""Events in, visit changes out: the consumers' handlers, run inside the inbox transaction.

Two streams: case events (visits requested and cancelled) and, from the case-status topic, the
notifier's word on each appointment notice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.cases.service import CaseViewService
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.events import VisitEventRecorder
from doorstep_scheduler.visits.service import VisitRequestService
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import (
    EVENT_TYPES,
    CaseState,
    EventData,
    VisitNoticeFailed,
    VisitNoticeSent,
)
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import ApplyInTransaction

logger = logging.getLogger(__name__)

CONSUMER_NAME = "scheduler-case-events"
NOTICE_CONSUMER_NAME = "scheduler-visit-notices"
# Every case event carries the case's state: a hold placed, an arrangement activated or a
# legal decision must cancel or request visits as surely as a stage change does.
HANDLED_CASE_TYPES = frozenset(
    event_type for event_type, model in EVENT_TYPES.items() if issubclass(model, CaseState)
)
HANDLED_NOTICE_TYPES = frozenset({VisitNoticeSent.event_type, VisitNoticeFailed.event_type})


def build_case_event_handler(
    settings: SchedulerSettings, *, clock: Callable[[], datetime] = utc_now
) -> ApplyInTransaction:
    """The handler for ``transactional_handler``: it never commits; the inbox wrapper does."""

    async def apply(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
        if not isinstance(data, CaseState):
            return  # the consumer only passes HANDLED_CASE_TYPES; nothing else is ours
        now = clock()
        view = await CaseViewService(session).apply(data, now)
        if view is None:
            logger.info(
                "stale case event skipped",
                extra={
                    "event_id": envelope.id,
                    "case_id": str(data.case_id),
                    "sequence": data.sequence,
                },
            )
            return
        events = VisitEventRecorder(session, settings.event_source)
        await VisitRequestService(session, events).on_case_state(data, view, envelope.id, now)

    return apply


def build_notice_handler(
    settings: SchedulerSettings, *, clock: Callable[[], datetime] = utc_now
) -> ApplyInTransaction:
    async def apply(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
        visits = VisitRequestService(session, VisitEventRecorder(session, settings.event_source))
        if isinstance(data, VisitNoticeSent):
            await visits.on_notice_sent(data, settings.conduct.notice_period)
        elif isinstance(data, VisitNoticeFailed):
            await visits.on_notice_failed(data, settings.conduct.notice_period, clock())

    return apply
