"""How case events change overdue notices: a new case or a new stage asks for one; a cure or a
hold cancels them. (Visit notices follow visit events: ``visits/service.py``.)

At most one overdue notice per case is pending: a newer one supersedes the older, so the
customer never gets two notices with different amounts at once. While collection is paused (a
hold, an active arrangement) no overdue notice is pending at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.decisions.repository import DecisionRepository
from doorstep_notifier.notifications.amounts import in_currency_digits
from doorstep_notifier.notifications.exceptions import NotificationNotFoundError
from doorstep_notifier.notifications.masking import mask_recipient
from doorstep_notifier.notifications.models import NoticeKind, Notification, NotificationStatus
from doorstep_notifier.notifications.repository import NotificationRepository
from doorstep_notifier.notifications.schemas import (
    ArrearsRead,
    ContactDecisionRead,
    MessageRead,
    NotificationRead,
    NotificationSummary,
    TriggerRead,
    VisitNoticeRead,
)
from doorstep_notifier.providers.models import LocalMessage
from doorstep_notifier.providers.repository import LocalMessageRepository
from doorstep_shared.events.contracts import CaseState

SUPERSEDED = "superseded by a newer notice for this case"
CASE_RESOLVED = "case resolved"
COLLECTION_PAUSED = "collection paused"


def pause_reason(holds: Sequence[str]) -> str:
    """Why a notice is held back: the holds by name, e.g. ``hold: dispute``."""
    return f"hold: {', '.join(holds)}" if holds else COLLECTION_PAUSED


def _facts(state: CaseState) -> dict[str, Any]:
    arrears = state.arrears
    return {
        "product": state.product,
        "stage": state.stage,
        "days_past_due": state.days_past_due,
        "currency": arrears.currency,
        "principal": arrears.principal,
        "interest": arrears.interest,
        "fees": arrears.fees,
        "penalties": arrears.penalties,
        "total": arrears.total,
        "late_fees": state.charges.late_fees,
        "penalty_interest": state.charges.penalty_interest,
        "as_of_date": state.as_of_date,
    }


def cancelled_values(reason: str, now: datetime) -> dict[str, Any]:
    return {
        "status": NotificationStatus.CANCELLED.value,
        "status_reason": reason,
        "claim_token": None,
        "updated_at": now,
    }


class NoticeService:
    def __init__(self, session: AsyncSession) -> None:
        self._notices = NotificationRepository(session)

    async def open_notice(
        self, *, trigger_event_id: str, trigger_event_type: str, state: CaseState, now: datetime
    ) -> uuid.UUID | None:
        """A pending notice for ``state``, due now; None if this trigger already made one."""
        notification_id = uuid.uuid4()
        created = await self._notices.insert_if_absent(
            {
                "id": notification_id,
                "case_id": state.case_id,
                "trigger_event_id": trigger_event_id,
                "trigger_event_type": trigger_event_type,
                "status": NotificationStatus.PENDING.value,
                **_facts(state),
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
        if not created:
            return None
        await self._notices.update_pending_overdue_of_case(
            state.case_id, cancelled_values(SUPERSEDED, now), except_id=notification_id
        )
        return notification_id

    async def resume(
        self, *, trigger_event_id: str, trigger_event_type: str, state: CaseState, now: datetime
    ) -> uuid.UUID | None:
        """Collection resumed after a pause: queue the stage's notice again if none went out.

        A pause cancels the pending notice. Without this, a case paused before its first notice
        would never get one, and the ladder, which waits for that notice, would never move on.
        """
        if await self._notices.sent_for_stage(state.case_id, state.stage):
            return None
        return await self.open_notice(
            trigger_event_id=trigger_event_id,
            trigger_event_type=trigger_event_type,
            state=state,
            now=now,
        )

    async def refresh_pending(self, state: CaseState, now: datetime) -> int:
        """Pending notices state the newest amounts: an unsent notice must not be out of date."""
        return await self._notices.update_pending_overdue_of_case(
            state.case_id, {**_facts(state), "updated_at": now}
        )

    async def cancel_pending(self, case_id: uuid.UUID, reason: str, now: datetime) -> int:
        return await self._notices.update_pending_overdue_of_case(
            case_id, cancelled_values(reason, now)
        )


class NotificationQueryService:
    def __init__(self, session: AsyncSession) -> None:
        self._notices = NotificationRepository(session)
        self._messages = LocalMessageRepository(session)
        self._decisions = DecisionRepository(session)

    async def page(
        self,
        *,
        case_id: uuid.UUID | None,
        status: str | None,
        limit: int,
        kind: str | None = None,
    ) -> list[NotificationSummary]:
        rows = await self._notices.list_newest_first(
            case_id=case_id, status=status, limit=limit, kind=kind
        )
        return [summarize(row) for row in rows]

    async def read(self, notification_id: uuid.UUID) -> NotificationRead:
        notification = await self._notices.get(notification_id)
        if notification is None:
            raise NotificationNotFoundError(f"no notification {notification_id}")
        message = await self._messages.for_notification(notification_id)
        decisions = await self._decisions.of_notification(notification_id)
        return NotificationRead(
            **summarize(notification).model_dump(),
            message=None if message is None else _message_read(message),
            decisions=[ContactDecisionRead.model_validate(d) for d in decisions],
        )


def summarize(notification: Notification) -> NotificationSummary:
    return NotificationSummary(
        id=notification.id,
        case_id=notification.case_id,
        status=NotificationStatus(notification.status),
        status_reason=notification.status_reason,
        channel=notification.channel,
        provider=notification.provider,
        kind=NoticeKind(notification.kind),
        trigger=TriggerRead(
            event_id=notification.trigger_event_id, event_type=notification.trigger_event_type
        ),
        stage=notification.stage,
        days_past_due=notification.days_past_due,
        arrears=_arrears_read(notification),
        as_of_date=notification.as_of_date,
        visit=_visit_read(notification),
        attempts=notification.attempts,
        next_attempt_at=(
            notification.next_attempt_at
            if notification.status == NotificationStatus.PENDING
            else None
        ),
        last_error=notification.last_error,
        created_at=notification.created_at,
        updated_at=notification.updated_at,
        sent_at=notification.sent_at,
    )


def _arrears_read(n: Notification) -> ArrearsRead | None:
    currency = n.currency
    if (
        currency is None
        or n.principal is None
        or n.interest is None
        or n.fees is None
        or n.penalties is None
        or n.total is None
    ):
        return None  # a visit notice states no amounts

    def shown(amount: Decimal) -> Decimal:
        return in_currency_digits(amount, currency)

    return ArrearsRead(
        currency=currency,
        principal=shown(n.principal),
        interest=shown(n.interest),
        fees=shown(n.fees),
        penalties=shown(n.penalties),
        total=shown(n.total),
    )


def _visit_read(n: Notification) -> VisitNoticeRead | None:
    if n.visit_id is None or n.window_start is None or n.window_end is None:
        return None
    return VisitNoticeRead(
        visit_id=n.visit_id,
        window_start=n.window_start,
        window_end=n.window_end,
        replaces_notification_id=n.replaces_notification_id,
        previous_window_start=n.previous_window_start,
        previous_window_end=n.previous_window_end,
    )


def _message_read(message: LocalMessage) -> MessageRead:
    return MessageRead(
        channel=message.channel,
        recipient=mask_recipient(message.channel, message.recipient),
        subject=message.subject,
        body=message.body,
        language=message.language,
        recorded_at=message.recorded_at,
    )
