"""Queries for notifications."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.notifications.models import NoticeKind, Notification, NotificationStatus
from doorstep_shared.db.dialect import upsert_insert

PENDING = NotificationStatus.PENDING.value
# Written out, not bound: a planner uses the partial index ix_notification_due only when it can
# see the query's condition is the index's ``status = 'pending'``.
_IS_PENDING = Notification.status == literal_column(f"'{PENDING}'")


class NotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def insert_if_absent(self, values: dict[str, Any]) -> bool:
        """Insert one notification; False if one for the same trigger event exists."""
        result = await self._session.execute(
            upsert_insert(self._session, Notification.__table__)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["trigger_event_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def update_pending_overdue_of_case(
        self, case_id: uuid.UUID, values: dict[str, Any], *, except_id: uuid.UUID | None = None
    ) -> int:
        """Update the case's pending overdue notices; its visit notices are left alone."""
        statement = update(Notification).where(
            Notification.case_id == case_id,
            Notification.status == PENDING,
            Notification.kind == NoticeKind.OVERDUE.value,
        )
        if except_id is not None:
            statement = statement.where(Notification.id != except_id)
        result = await self._session.execute(
            statement.values(**values).execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def sent_for_stage(self, case_id: uuid.UUID, stage: str) -> bool:
        result = await self._session.execute(
            select(Notification.id)
            .where(
                Notification.case_id == case_id,
                Notification.kind == NoticeKind.OVERDUE.value,
                Notification.stage == stage,
                Notification.status == NotificationStatus.SENT.value,
            )
            .limit(1)
        )
        return result.first() is not None

    async def claim_due(
        self, *, now: datetime, limit: int, token: str, lease_until: datetime
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Take up to ``limit`` due pending notifications for one dispatcher until the lease ends.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent dispatchers never claim the same
        row. SQLite compiles no FOR UPDATE; there the transaction already holds the single
        write lock (BEGIN IMMEDIATE), which serialises claims just as well.
        """
        rows = (
            await self._session.execute(
                select(Notification.id, Notification.case_id)
                .where(_IS_PENDING, Notification.next_attempt_at <= now)
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return []
        await self._session.execute(
            update(Notification)
            .where(Notification.id.in_([row.id for row in rows]))
            .values(claim_token=token, next_attempt_at=lease_until, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return [(row.id, row.case_id) for row in rows]

    async def lock(self, notification_id: uuid.UUID) -> Notification | None:
        result = await self._session.execute(
            select(Notification)
            .where(Notification.id == notification_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def lock_by_provider_message(
        self, provider: str, provider_message_id: str
    ) -> Notification | None:
        result = await self._session.execute(
            select(Notification)
            .where(
                Notification.provider == provider,
                Notification.provider_message_id == provider_message_id,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalars().first()

    async def get(self, notification_id: uuid.UUID) -> Notification | None:
        return await self._session.get(Notification, notification_id)

    async def list_newest_first(
        self,
        *,
        case_id: uuid.UUID | None,
        status: str | None,
        limit: int,
        kind: str | None = None,
    ) -> Sequence[Notification]:
        query = select(Notification)
        if case_id is not None:
            query = query.where(Notification.case_id == case_id)
        if status is not None:
            query = query.where(Notification.status == status)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
        return (await self._session.execute(query)).scalars().all()

    async def update_pending_of_visit(
        self, visit_id: uuid.UUID, kind: NoticeKind, values: dict[str, Any]
    ) -> int:
        """Update the visit's pending notices of ``kind`` (e.g. cancel them)."""
        result = await self._session.execute(
            update(Notification)
            .where(
                Notification.visit_id == visit_id,
                Notification.kind == kind.value,
                Notification.status == PENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def newest_of_visit(
        self, visit_id: uuid.UUID, kind: NoticeKind, *, statuses: tuple[str, ...]
    ) -> Notification | None:
        """The visit's newest notice of ``kind`` in one of ``statuses``."""
        result = await self._session.execute(
            select(Notification)
            .where(
                Notification.visit_id == visit_id,
                Notification.kind == kind.value,
                Notification.status.in_(statuses),
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(1)
        )
        return result.scalars().first()
