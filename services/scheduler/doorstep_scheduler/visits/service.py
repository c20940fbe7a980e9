"""Visit requests: a case whose stage calls for a field visit gets one to plan; the visit is
cancelled as soon as the case resolves, is put on hold, or leaves that stage; the notifier's
word on the appointment notice decides whether the visit may go ahead.

Never commits and never publishes: changes and their outbox rows join the caller's transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.visits.events import VisitEventRecorder
from doorstep_scheduler.visits.exceptions import VisitNotFoundError
from doorstep_scheduler.visits.field_exceptions import VisitStateConflictError
from doorstep_scheduler.visits.models import ANNOUNCED_STATUSES, Visit, follow_up_request
from doorstep_scheduler.visits.repository import VisitRepository
from doorstep_shared.events.contracts import (
    CaseResolved,
    CaseState,
    VisitNoticeFailed,
    VisitNoticeSent,
)

logger = logging.getLogger(__name__)

# Ladder treatments (case-api's policy) this service acts on.
FIELD_VISIT = "field_visit"
LEGAL_REVIEW = "legal_review"
AWAITING_PLAN = "awaiting_plan"


class VisitRequestService:
    def __init__(self, session: AsyncSession, events: VisitEventRecorder) -> None:
        self._visits = VisitRepository(session)
        self._events = events

    async def on_case_state(
        self, state: CaseState, view: CaseView, trigger_event_id: str, now: datetime
    ) -> None:
        """React to a case's new state (stale events are already dropped).

        Every case event carries the whole state, so whichever event shows a hold, a pause or
        another stage cancels the visit at once, and whichever shows the case back in a
        field-visit stage, open and unpaused, requests one.
        """
        reason = no_visit_reason(state)
        if reason is None and view.visits_exhausted_stage == state.stage:
            reason = "every visit attempt of this stage found nobody home"
        if reason is not None:
            await self.cancel_active(state.case_id, reason, now)
            return
        if await self._visits.active_for_case(state.case_id):
            return  # already requested or planned: the planner keeps it where it is
        self._visits.add(
            Visit(
                id=uuid.uuid4(),
                case_id=state.case_id,
                trigger_event_id=trigger_event_id,
                status="unassigned",
                attempt=1,
                priority=0,
                unassigned_code=AWAITING_PLAN,
                unassigned_reason="waiting for the next planning run",
                created_at=now,
            )
        )
        await self._visits.flush()  # the one-active-visit index speaks inside this handler
        logger.info("visit requested", extra={"case_id": str(state.case_id)})

    async def cancel_active(self, case_id: uuid.UUID, reason: str, now: datetime) -> list[Visit]:
        cancelled = []
        for visit in await self._visits.active_for_case(case_id):
            if visit.status == "checked_in":
                # The team is at the door: the outcome they record (paid, dispute...) closes
                # it, and no re-visit follows while the case no longer calls for one.
                logger.info("visit in progress kept", extra=_ids(visit))
                continue
            was_announced = visit.status in ANNOUNCED_STATUSES
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

    async def on_notice_sent(self, notice: VisitNoticeSent, notice_period: timedelta) -> None:
        """Record that the customer was told; a notice that went out too late for its window
        (e.g. held back overnight by the contact rules) marks the visit to move."""
        visit = await self._announced(notice.visit_id, notice.trigger_event_id)
        if visit is None:
            return
        visit.notice_sent_at = notice.sent_at
        if not _marked_late(visit, notice.sent_at, notice_period):
            visit.notice_status = "sent"

    async def on_notice_failed(
        self, notice: VisitNoticeFailed, notice_period: timedelta, now: datetime
    ) -> None:
        """The customer could not be told: this appointment must not go ahead. If it was only
        too soon (the notice was held back), the next run moves it further out; otherwise the
        visit is withdrawn and left for operations (another notice would fail the same way)."""
        visit = await self._announced(notice.visit_id, notice.trigger_event_id)
        if visit is None:
            return
        if _marked_late(visit, notice.failed_at, notice_period):
            return
        visit.notice_status = "failed"
        visit.status = "cancelled"
        visit.cancel_reason = "appointment notice could not be sent"
        visit.cancelled_at = now
        await self._visits.flush()
        await self._events.cancelled(visit)
        self._visits.add(
            follow_up_request(
                visit,
                code="notice_failed",
                reason=f"appointment notice failed: {notice.reason}",
                now=now,
            )
        )
        await self._visits.flush()
        logger.warning("appointment notice failed: visit withdrawn", extra=_ids(visit))

    async def _announced(self, visit_id: uuid.UUID, trigger_event_id: str) -> Visit | None:
        visit = await self._visits.lock(visit_id)
        # A notice of an older appointment (the visit has moved since) changes nothing.
        if (
            visit is None
            or visit.status != "scheduled"
            or visit.notice_event_id != trigger_event_id
        ):
            return None
        return visit


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


def _marked_late(visit: Visit, told_at: datetime, notice_period: timedelta) -> bool:
    """Whether the notice (sent or refused at ``told_at``) came too late for the window; such a
    visit is marked ``late`` and the next planning run moves it."""
    if visit.window_start is None or visit.window_start >= told_at + notice_period:
        return False
    visit.notice_status = "late"
    logger.warning("appointment notice too late: visit to move", extra=_ids(visit))
    return True


def still_calls_for_a_visit(view: CaseView | None) -> bool:
    """The case's stored state still asks for a field visit (open, unpaused, field stage)."""
    return (
        view is not None
        and view.status == "open"
        and not view.collection_paused
        and not view.holds
        and view.treatment == FIELD_VISIT
    )


def _ids(visit: Visit) -> dict[str, str]:
    return {"visit_id": str(visit.id), "case_id": str(visit.case_id)}


class VisitReplanService:
    def __init__(self, session: AsyncSession) -> None:
        self._visits = VisitRepository(session)

    async def replan(self, visit_id: uuid.UUID) -> Visit:
        """Put a waiting visit back in line with fresh data from case-api (after operations
        recorded consent, fixed an address or a channel)."""
        visit = await self._visits.lock(visit_id)
        if visit is None:
            raise VisitNotFoundError(f"no visit {visit_id}")
        if visit.status != "unassigned":
            raise VisitStateConflictError(
                f"only a visit waiting for a plan can be re-planned; this one is {visit.status}."
            )
        visit.terms_fetched_at = None
        visit.unassigned_code = AWAITING_PLAN
        visit.unassigned_reason = "re-planning requested by operations"
        await self._visits.flush()
        return visit


class VisitQueryService:
    def __init__(self, session: AsyncSession) -> None:
        self._visits = VisitRepository(session)

    async def get(self, visit_id: uuid.UUID, *, team_id: uuid.UUID | None = None) -> Visit:
        """``team_id`` (a collector's own team) hides every other team's visit as not found."""
        visit = await self._visits.get(visit_id)
        if visit is None or (team_id is not None and visit.team_id != team_id):
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
            case_id=case_id, status=status, limit=limit, team_id=team_id
        )
