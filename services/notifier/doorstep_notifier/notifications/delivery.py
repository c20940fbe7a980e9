"""Outcomes of one delivery attempt: sent, retry later, failed for good, or cancelled.

Sent and failed stage their status event (by the notice's kind, see ``status_events``) in the
outbox, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.db import outbox_table
from doorstep_notifier.notifications import status_events
from doorstep_notifier.notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationStatus,
)
from doorstep_notifier.providers.base import Delivery
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.events.contracts import EventData, to_envelope
from doorstep_shared.events.topics import CASE_STATUS
from doorstep_shared.messaging.outbox import add_to_outbox


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    cap_seconds: float

    @classmethod
    def from_settings(cls, settings: NotifierSettings) -> RetryPolicy:
        return cls(
            max_attempts=settings.dispatch_max_attempts,
            base_seconds=settings.dispatch_backoff_base_seconds,
            cap_seconds=settings.dispatch_backoff_cap_seconds,
        )

    def delay_after(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failed attempt: base, 2x base, 4x base... capped."""
        exponent = min(max(attempts - 1, 0), 32)
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2**exponent))


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    reason: str
    permanent: bool


class DeliveryService:
    def __init__(self, session: AsyncSession, *, event_source: str, policy: RetryPolicy) -> None:
        self._session = session
        self._event_source = event_source
        self._policy = policy

    async def mark_sent(
        self, notification: Notification, channel: str, delivery: Delivery, now: datetime
    ) -> None:
        notification.status = NotificationStatus.SENT.value
        notification.channel = channel
        notification.provider = delivery.provider
        notification.provider_message_id = delivery.provider_message_id
        notification.attempts += 1
        notification.sent_at = now
        notification.last_error = None
        self._finish(notification, now)
        await self._stage(status_events.sent(notification, channel, now))

    async def record_failure(
        self,
        notification: Notification,
        failure: DeliveryFailure,
        now: datetime,
        *,
        channel: str | None = None,
    ) -> bool:
        """Schedule a retry, or fail for good; True when it failed (its event, if its kind has
        one, is staged)."""
        notification.attempts += 1
        notification.last_error = failure.reason[:500]
        if channel is not None:
            notification.channel = channel
        if not failure.permanent and notification.attempts < self._policy.max_attempts:
            notification.next_attempt_at = now + self._policy.delay_after(notification.attempts)
            notification.claim_token = None
            notification.updated_at = now
            return False
        reason = (
            failure.reason
            if failure.permanent
            else f"gave up after {notification.attempts} attempts: {failure.reason}"
        )
        notification.status = NotificationStatus.FAILED.value
        notification.status_reason = reason[:500]
        self._finish(notification, now)
        await self._stage(status_events.failed(notification, reason, now))
        return True

    async def record_receipt(
        self,
        notification: Notification,
        status: DeliveryStatus,
        reason: str | None,
        now: datetime,
    ) -> bool:
        """Apply the provider's delivery receipt to a sent notice; False if it changes nothing.

        The first final receipt wins: gateways repeat receipts, and a late contradicting one
        does not rewrite what was already announced. ``delivered`` stages
        ``NotificationDelivered``; ``failed`` fails the notice and stages ``NotificationFailed``.
        """
        if notification.delivery_status is not None:
            return False
        notification.delivery_status = status.value
        notification.delivery_reason = reason[:500] if reason else None
        notification.delivery_updated_at = now
        notification.updated_at = now
        if status is DeliveryStatus.DELIVERED:
            await self._stage(status_events.delivered(notification, now))
            return True
        failure = f"provider {notification.provider} reported the message undelivered"
        if reason:
            failure = f"{failure}: {reason}"
        notification.status = NotificationStatus.FAILED.value
        notification.status_reason = failure[:500]
        await self._stage(status_events.failed(notification, failure[:500], now))
        return True

    def cancel(self, notification: Notification, reason: str, now: datetime) -> None:
        notification.status = NotificationStatus.CANCELLED.value
        notification.status_reason = reason
        self._finish(notification, now)

    async def _stage(self, event: EventData | None) -> None:
        if event is not None:
            await add_to_outbox(
                self._session, outbox_table, to_envelope(event, self._event_source), CASE_STATUS
            )

    @staticmethod
    def _finish(notification: Notification, now: datetime) -> None:
        notification.claim_token = None
        notification.updated_at = now
