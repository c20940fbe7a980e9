"""Recording an opt-out: honoured from the next judgement on, which comes at once.

A notice already waiting for its window is made due now: the dispatcher judges it again,
sends it by another channel the customer still accepts, or suppresses it with the refusal's
rule. Nothing already sent is recalled.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.notifications.repository import NotificationRepository
from doorstep_notifier.opt_outs.exceptions import OptOutUnmatchedError
from doorstep_notifier.opt_outs.repository import OptOutRepository
from doorstep_notifier.providers.sms_gateway import SmsGatewayProvider


class OptOutService:
    def __init__(self, session: AsyncSession) -> None:
        self._opt_outs = OptOutRepository(session)
        self._notices = NotificationRepository(session)

    async def record(
        self, case_id: uuid.UUID, channel: str, source: str, now: datetime
    ) -> tuple[bool, int]:
        """(new?, notices made due again)."""
        added = await self._opt_outs.add(case_id, channel, source, now)
        woken = await self._opt_outs.wake_pending(case_id, now) if added else 0
        return added, woken

    async def record_sms_reply(
        self, message_id: str | None, reference: uuid.UUID | None, now: datetime
    ) -> tuple[uuid.UUID, bool, int]:
        """A STOP reply to one of our SMS, named by the gateway's id or our reference."""
        notification = None
        if message_id is not None:
            notification = await self._notices.lock_by_provider_message(
                SmsGatewayProvider.name, message_id
            )
        elif reference is not None:
            notification = await self._notices.lock(reference)
        if notification is None or notification.channel != "sms":
            raise OptOutUnmatchedError("no SMS of ours matches this reply")
        added, woken = await self.record(notification.case_id, "sms", "sms-reply", now)
        return notification.case_id, added, woken
