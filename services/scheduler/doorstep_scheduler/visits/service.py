"""Visit rules: a case whose stage calls for a field visit gets one, planned on the calendar;
the visit is cancelled as soon as the case resolves, is put on hold, or leaves that stage.

Never commits and never publishes: changes and their outbox rows join the caller's transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.collectors.repository import CollectorRepository
from doorstep_scheduler.planning.model import (
    Assignment,
    Booking,
    Calendar,
    CollectorCapacity,
    Planner,
    TimeWindow,
    VisitRequest,
)
from doorstep_scheduler.visits.events import VisitEventRecorder
from doorstep_scheduler.visits.exceptions import VisitNotFoundError
from doorstep_scheduler.visits.models import Visit
from doorstep_scheduler.visits.repository import VisitRepository
from doorstep_shared.events.contracts import CaseResolved, CaseState

logger = logging.getLogger(__name__)

# Ladder treatments (case-api's policy) this service acts on.
FIELD_VISIT = "field_visit"
LEGAL_REVIEW = "legal_review"


class VisitPlanningService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        planner: Planner,
        events: VisitEventRecorder,
    ) -> None:
        self._visits = VisitRepository(session)
        self._collectors = CollectorRepository(session)
        self._planner = planner
        self._events = events

    async def on_case_state(self, state: CaseState, trigger_event_id: str, now: datetime) -> None:
        """React to a case's new state (the caller has already dropped stale events).

        Every case event carries the whole state, so whichever event shows a hold, a pause or
        another stage cancels the visit at once, and whichever shows the case back in a
        field-visit stage, open and unpaused, plans one.
        """
        reason = no_visit_reason(state)
        if reason is not None:
            await self.cancel_active(state.case_id, reason, now)
            return
        active = await self._visits.active_for_case(state.case_id)
        if active and active[0].status == "scheduled":
            return
        if active:
            visit = active[0]  # unassigned earlier: collectors or bookings may have changed
        else:
            visit = Visit(
                id=uuid.uuid4(),
                case_id=state.case_id,
                trigger_event_id=trigger_event_id,
                status="unassigned",
                created_at=now,
            )
            self._visits.add(visit)
        await self._plan(visit, VisitRequest(state.case_id, state.days_past_due, now))

    async def cancel_active(self, case_id: uuid.UUID, reason: str, now: datetime) -> list[Visit]:
        cancelled = []
        for visit in await self._visits.active_for_case(case_id):
            was_announced = visit.status == "scheduled"
            visit.status = "cancelled"
            visit.cancel_reason = reason
            visit.cancelled_at = now
            cancelled.append(visit)
            await self._visits.flush()
            # An unassigned visit was never announced, so there is nothing to retract.
            if was_announced:
                await self._events.cancelled(visit)
            logger.info(
                "visit cancelled", extra={"visit_id": str(visit.id), "case_id": str(case_id)}
            )
        return cancelled

    async def _plan(self, visit: Visit, request: VisitRequest) -> None:
        calendar = await self._calendar(self._planner.search_window(request))
        result = self._planner.plan_slot(request, calendar)
        if isinstance(result, Assignment):
            visit.status = "scheduled"
            visit.collector_id = result.collector_id
            visit.window_start = result.window.start
            visit.window_end = result.window.end
            visit.unassigned_reason = None
            await self._visits.flush()  # unique indexes speak before the event is staged
            await self._events.scheduled(visit)
            logger.info(
                "visit scheduled",
                extra={
                    "visit_id": str(visit.id),
                    "case_id": str(visit.case_id),
                    "collector_id": str(result.collector_id),
                },
            )
            return
        visit.status = "unassigned"
        visit.unassigned_reason = result.reason
        await self._visits.flush()
        logger.warning(
            "visit left unassigned",
            extra={
                "visit_id": str(visit.id),
                "case_id": str(visit.case_id),
                "reason": result.reason,
            },
        )

    async def _calendar(self, period: TimeWindow) -> Calendar:
        collectors = await self._collectors.active()
        bookings = await self._visits.scheduled_between(period.start, period.end)
        return Calendar(
            collectors=tuple(
                CollectorCapacity(c.id, c.name, c.max_visits_per_day) for c in collectors
            ),
            bookings=tuple(
                Booking(collector_id, TimeWindow(start, end))
                for collector_id, start, end in bookings
            ),
        )


def no_visit_reason(state: CaseState) -> str | None:
    """Why the case must not be visited now; None when its stage calls for a visit."""
    if isinstance(state, CaseResolved):
        return f"case resolved: {state.reason}"
    if state.status != "open":
        return f"case {state.status}"
    if state.holds:
        return "hold: " + ", ".join(state.holds)
    if state.collection_paused:
        return "collection paused"
    if state.treatment == LEGAL_REVIEW:
        return "case moved to legal review"
    if state.treatment != FIELD_VISIT:
        return f"case moved to the {state.stage} stage"
    return None


class VisitQueryService:
    def __init__(self, session: AsyncSession) -> None:
        self._visits = VisitRepository(session)

    async def get(self, visit_id: uuid.UUID, *, team_id: uuid.UUID | None = None) -> Visit:
        """``team_id`` (a collector's own team) hides every other team's visit as not found."""
        visit = await self._visits.get(visit_id)
        if visit is None or (team_id is not None and visit.collector_id != team_id):
            raise VisitNotFoundError(f"no visit {visit_id}")
        return visit

    async def find(
        self,
        *,
        case_id: uuid.UUID | None,
        status: str | None,
        limit: int,
        team_id: uuid.UUID | None = None,
    ) -> Sequence[Visit]:
        return await self._visits.newest_first(
            case_id=case_id, status=status, limit=limit, collector_id=team_id
        )
