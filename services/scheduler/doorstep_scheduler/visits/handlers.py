"""Events in, visit changes out: the consumers' handlers, run inside the inbox transaction.

Two streams: case events (visits requested and cancelled) and, from the case-status topic, the
notifier's word on each appointment notice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.cases.service import CaseViewService
from doorstep_scheduler.db import parking_table
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
from doorstep_shared.messaging.case_order import CaseEventOrder, Order
from doorstep_shared.messaging.consumer import ApplyInTransaction

CONSUMER_NAME = "scheduler-case-events"
NOTICE_CONSUMER_NAME = "scheduler-visit-notices"
# Every case event carries the case's state: a hold placed, an arrangement activated or a
# legal decision must cancel or request visits as surely as a stage change does.
HANDLED_CASE_TYPES = frozenset(
    event_type for event_type, model in EVENT_TYPES.items() if issubclass(model, CaseState)
)
HANDLED_NOTICE_TYPES = frozenset({VisitNoticeSent.event_type, VisitNoticeFailed.event_type})


def case_event_order(settings: SchedulerSettings) -> CaseEventOrder:
    """Case events in per-case order, for the consumer's handler and the gap worker alike."""

    async def apply_state(
        session: AsyncSession,
        envelope: EventEnvelope,
        state: CaseState,
        now: datetime,
        *,
        accept_gap: bool,
    ) -> Order:
        view = await CaseViewService(session).apply(state, now, accept_gap=accept_gap)
        if not isinstance(view, CaseView):
            return view
        events = VisitEventRecorder(session, settings.event_source)
        await VisitRequestService(session, events).on_case_state(state, view, envelope.id, now)
        return Order.APPLIED

    async def lock_view(session: AsyncSession, case_id: uuid.UUID) -> int | None:
        return await CaseViewService(session).lock(case_id)

    return CaseEventOrder(parking_table, CONSUMER_NAME, apply_state, lock_view)


def build_case_event_handler(
    settings: SchedulerSettings, *, clock: Callable[[], datetime] = utc_now
) -> ApplyInTransaction:
    """The handler for ``transactional_handler``: it never commits; the inbox wrapper does.
    A stale event is dropped, one that skips ahead is parked until its predecessors come."""
    order = case_event_order(settings)

    async def apply(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
        if not isinstance(data, CaseState):
            return  # the consumer only passes HANDLED_CASE_TYPES; nothing else is ours
        await order.handle(session, envelope, data, clock())

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
