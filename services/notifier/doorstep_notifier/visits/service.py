"""How visit events change visit notices: a planned visit asks for an appointment notice, a
moved one for a new notice that replaces the earlier, a cancelled one withdraws them.

What the customer was told is what counts: a notice still pending when its visit moves or is
cancelled is simply withdrawn (the customer never heard of it); once one was sent, the change is
announced by a new notice that names the appointment it replaces or cancels.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.cases.repository import CaseViewRepository
from doorstep_notifier.notifications.models import NoticeKind, Notification, NotificationStatus
from doorstep_notifier.notifications.repository import NotificationRepository
from doorstep_notifier.notifications.service import cancelled_values
from doorstep_shared.events.contracts import VisitCancelled, VisitScheduled

VISIT_MOVED = "superseded: the visit was moved before this notice went out"
VISIT_CANCELLED = "the visit was cancelled before this notice went out"
_PENDING = (NotificationStatus.PENDING.value,)
_SENT = (NotificationStatus.SENT.value,)
_PENDING_OR_SENT = (*_PENDING, *_SENT)


class VisitNoticeService:
    def __init__(self, session: AsyncSession) -> None:
        self._notices = NotificationRepository(session)
        self._cases = CaseViewRepository(session)

    async def schedule(
        self,
        *,
        trigger_event_id: str,
        trigger_event_type: str,
        visit: VisitScheduled,
        now: datetime,
    ) -> uuid.UUID | None:
        """Queue the appointment notice for ``visit``; None when none is needed.

        None when the window is already over (an old event read again) or when the notice
        queued or sent for this visit already states this very window.
        """
        if visit.window_end <= now:
            return None
        current = await self._notices.newest_of_visit(
            visit.visit_id, NoticeKind.VISIT_APPOINTMENT, statuses=_PENDING_OR_SENT
        )
        if current is not None and (current.window_start, current.window_end) == (
            visit.window_start,
            visit.window_end,
        ):
            return None
        # Cancel first, then look for what was sent: an attempt that was sending meanwhile
        # has committed by then (the update waited for its row lock), and is found as sent.
        await self._notices.update_pending_of_visit(
            visit.visit_id, NoticeKind.VISIT_APPOINTMENT, cancelled_values(VISIT_MOVED, now)
        )
        told = await self._notices.newest_of_visit(
            visit.visit_id, NoticeKind.VISIT_APPOINTMENT, statuses=_SENT
        )
        case = await self._cases.get(visit.case_id)
        return await self._queue(
            kind=NoticeKind.VISIT_APPOINTMENT,
            trigger_event_id=trigger_event_id,
            trigger_event_type=trigger_event_type,
            case_id=visit.case_id,
            visit_id=visit.visit_id,
            window=(visit.window_start, visit.window_end),
            replaces=told,
            product=case.product if case else None,
            now=now,
        )

    async def cancel(
        self,
        *,
        trigger_event_id: str,
        trigger_event_type: str,
        cancellation: VisitCancelled,
        now: datetime,
    ) -> tuple[int, uuid.UUID | None]:
        """Withdraw the visit's pending appointment notices; if the customer was told of the
        visit, queue a cancellation notice. Returns (notices withdrawn, cancellation queued)."""
        visit_id = cancellation.visit_id
        withdrawn = await self._notices.update_pending_of_visit(
            visit_id, NoticeKind.VISIT_APPOINTMENT, cancelled_values(VISIT_CANCELLED, now)
        )
        told = await self._notices.newest_of_visit(
            visit_id, NoticeKind.VISIT_APPOINTMENT, statuses=_SENT
        )
        if told is None or told.window_start is None or told.window_end is None:
            return withdrawn, None
        if told.window_end <= now:
            return withdrawn, None  # the appointment is over: nothing left to call off
        case = await self._cases.get(cancellation.case_id)
        queued = await self._queue(
            kind=NoticeKind.VISIT_CANCELLATION,
            trigger_event_id=trigger_event_id,
            trigger_event_type=trigger_event_type,
            case_id=cancellation.case_id,
            visit_id=visit_id,
            # The cancellation names the appointment the customer was given.
            window=(told.window_start, told.window_end),
            replaces=told,
            product=case.product if case else told.product,
            now=now,
        )
        return withdrawn, queued

    async def _queue(
        self,
        *,
        kind: NoticeKind,
        trigger_event_id: str,
        trigger_event_type: str,
        case_id: uuid.UUID,
        visit_id: uuid.UUID,
        window: tuple[datetime, datetime],
        replaces: Notification | None,
        product: str | None,
        now: datetime,
    ) -> uuid.UUID | None:
        notification_id = uuid.uuid4()
        values: dict[str, Any] = {
            "id": notification_id,
            "kind": kind.value,
            "case_id": case_id,
            "visit_id": visit_id,
            "trigger_event_id": trigger_event_id,
            "trigger_event_type": trigger_event_type,
            "status": NotificationStatus.PENDING.value,
            "product": product,
            "window_start": window[0],
            "window_end": window[1],
            "replaces_notification_id": replaces.id if replaces else None,
            "previous_window_start": replaces.window_start if replaces else None,
            "previous_window_end": replaces.window_end if replaces else None,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        created = await self._notices.insert_if_absent(values)
        return notification_id if created else None
