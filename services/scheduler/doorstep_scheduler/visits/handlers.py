"""Case events in, visits out: the consumer's handler, run inside the inbox transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.cases.service import CaseViewService
from doorstep_scheduler.planning import build_planner
from doorstep_scheduler.planning.model import Planner
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.events import VisitEventRecorder
from doorstep_scheduler.visits.service import VisitPlanningService
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import EVENT_TYPES, CaseState, EventData
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import ApplyInTransaction

logger = logging.getLogger(__name__)

CONSUMER_NAME = "scheduler-case-events"
# Every case event carries the case's state: a hold placed, an arrangement activated or a
# legal decision must cancel or plan visits as surely as a stage change does.
HANDLED_CASE_TYPES = frozenset(
    event_type for event_type, model in EVENT_TYPES.items() if issubclass(model, CaseState)
)


def build_case_event_handler(
    settings: SchedulerSettings,
    *,
    planner: Planner | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ApplyInTransaction:
    """The handler for ``transactional_handler``: it never commits; the inbox wrapper does."""
    chosen_planner = planner or build_planner(settings)

    async def apply(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
        if not isinstance(data, CaseState):
            return  # the consumer only passes HANDLED_CASE_TYPES; nothing else is ours
        now = clock()
        if not await CaseViewService(session).apply(data, now):
            logger.info(
                "stale case event skipped",
                extra={
                    "event_id": envelope.id,
                    "case_id": str(data.case_id),
                    "sequence": data.sequence,
                },
            )
            return
        visits = VisitPlanningService(
            session,
            planner=chosen_planner,
            events=VisitEventRecorder(session, settings.event_source),
        )
        await visits.on_case_state(data, envelope.id, now)

    return apply
