"""Queries of the decision log, and the contact history the rules count."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.decisions.models import ContactDecisionRecord
from doorstep_notifier.notifications.models import Notification, NotificationStatus


class DecisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, record: ContactDecisionRecord) -> None:
        self._session.add(record)

    async def latest(self, notification_id: uuid.UUID) -> ContactDecisionRecord | None:
        result = await self._session.execute(
            select(ContactDecisionRecord)
            .where(ContactDecisionRecord.notification_id == notification_id)
            .order_by(ContactDecisionRecord.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def of_notification(self, notification_id: uuid.UUID) -> Sequence[ContactDecisionRecord]:
        result = await self._session.execute(
            select(ContactDecisionRecord)
            .where(ContactDecisionRecord.notification_id == notification_id)
            .order_by(ContactDecisionRecord.id)
        )
        return result.scalars().all()

    async def sent_contacts(self, case_id: uuid.UUID) -> list[tuple[str, datetime]]:
        """(channel, sent_at) of every notice already sent about this case's debt."""
        result = await self._session.execute(
            select(Notification.channel, Notification.sent_at).where(
                Notification.case_id == case_id,
                Notification.status == NotificationStatus.SENT.value,
            )
        )
        return [(channel, at) for channel, at in result if channel and at]
