"""Delivery receipts: the gateway tells us what became of a message it took."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.notifications.delivery import DeliveryService, RetryPolicy
from doorstep_notifier.notifications.models import DeliveryStatus, Notification, NotificationStatus
from doorstep_notifier.notifications.repository import NotificationRepository
from doorstep_notifier.providers.exceptions import ReceiptTooEarlyError, ReceiptUnmatchedError
from doorstep_notifier.providers.schemas import ReceiptRead, SmsReceipt
from doorstep_notifier.providers.sms_gateway import SmsGatewayProvider
from doorstep_notifier.settings import NotifierSettings

# Reasons are stored and published: no digit runs that could be the phone number.
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{4,}\d")


class ReceiptService:
    def __init__(self, session: AsyncSession, settings: NotifierSettings) -> None:
        self._notices = NotificationRepository(session)
        self._delivery = DeliveryService(
            session,
            event_source=settings.event_source,
            policy=RetryPolicy.from_settings(settings),
        )

    async def apply_sms(self, receipt: SmsReceipt, now: datetime) -> ReceiptRead:
        notification = await self._find(receipt)
        if notification is None:
            raise ReceiptUnmatchedError("no SMS sent by the gateway matches this receipt")
        if notification.status == NotificationStatus.PENDING:
            raise ReceiptTooEarlyError("the send is not recorded yet; post the receipt again")
        reason = _PHONE_LIKE.sub("***", receipt.reason) if receipt.reason else None
        applied = await self._delivery.record_receipt(
            notification, DeliveryStatus(receipt.status), reason, now
        )
        assert notification.delivery_status is not None
        return ReceiptRead(
            notification_id=notification.id,
            delivery_status=DeliveryStatus(notification.delivery_status).value,
            applied=applied,
        )

    async def _find(self, receipt: SmsReceipt) -> Notification | None:
        provider = SmsGatewayProvider.name
        if receipt.message_id is not None:
            return await self._notices.lock_by_provider_message(provider, receipt.message_id)
        assert receipt.reference is not None
        notification = await self._notices.lock(receipt.reference)
        if notification is None:
            return None
        if notification.status == NotificationStatus.PENDING:
            return notification
        return notification if notification.provider == provider else None
