"""Queries for messages recorded by the local provider."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.providers.models import LocalMessage


class LocalMessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: LocalMessage) -> None:
        self._session.add(message)
        await self._session.flush()

    async def for_notification(self, notification_id: uuid.UUID) -> LocalMessage | None:
        result = await self._session.execute(
            select(LocalMessage).where(LocalMessage.notification_id == notification_id)
        )
        return result.scalar_one_or_none()
