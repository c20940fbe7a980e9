"""Queries of opt-outs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.notifications.models import Notification, NotificationStatus
from doorstep_notifier.opt_outs.models import OptOut
from doorstep_shared.db.dialect import upsert_insert


class OptOutRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, case_id: uuid.UUID, channel: str, source: str, now: datetime) -> bool:
        """True when it is new; a repeated opt-out changes nothing."""
        result = await self._session.execute(
            upsert_insert(self._session, OptOut.__table__)
            .values(case_id=case_id, channel=channel, source=source, recorded_at=now)
            .on_conflict_do_nothing(index_elements=["case_id", "channel"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def of_case(self, case_id: uuid.UUID) -> Sequence[OptOut]:
        result = await self._session.execute(
            select(OptOut).where(OptOut.case_id == case_id).order_by(OptOut.id)
        )
        return result.scalars().all()

    async def channels(self, case_id: uuid.UUID) -> set[str]:
        return {opt_out.channel for opt_out in await self.of_case(case_id)}

    async def wake_pending(self, case_id: uuid.UUID, now: datetime) -> int:
        """Make the case's waiting notices due now, so the rules judge them again at once."""
        result = await self._session.execute(
            update(Notification)
            .where(
                Notification.case_id == case_id,
                Notification.status == NotificationStatus.PENDING.value,
                Notification.claim_token.is_(None),
            )
            .values(next_attempt_at=now, updated_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
