"""Queries for cases and timelines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.models import Account, Customer
from doorstep_case_api.arrangements.models import Arrangement
from doorstep_case_api.cases.models import Case, StageTransition, TimelineEntry
from doorstep_case_api.holds.models import Hold


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, case: Case) -> None:
        self._session.add(case)

    def add_timeline_entry(self, entry: TimelineEntry) -> None:
        self._session.add(entry)

    async def flush(self) -> None:
        await self._session.flush()

    async def open_case_for_account(self, account_id: str) -> Case | None:
        result = await self._session.execute(
            select(Case)
            .where(Case.account_id == account_id, Case.status == "open")
            .with_for_update()
        )
        return result.scalar_one_or_none()

    async def get(self, case_id: uuid.UUID) -> Case | None:
        return await self._session.get(Case, case_id)

    async def list_page(
        self,
        *,
        status: str | None,
        stage: str | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Case]:
        query = select(Case)
        if status is not None:
            query = query.where(Case.status == status)
        if stage is not None:
            query = query.where(Case.stage == stage)
        if after is not None:
            opened_at, case_id = after
            query = query.where(
                or_(
                    Case.opened_at > opened_at, and_(Case.opened_at == opened_at, Case.id > case_id)
                )
            )
        query = query.order_by(Case.opened_at, Case.id).limit(limit)
        return (await self._session.execute(query)).scalars().all()

    async def timeline(self, case_id: uuid.UUID) -> Sequence[TimelineEntry]:
        result = await self._session.execute(
            select(TimelineEntry).where(TimelineEntry.case_id == case_id).order_by(TimelineEntry.id)
        )
        return result.scalars().all()

    async def active_hold_types(self, case_id: uuid.UUID) -> set[str]:
        result = await self._session.execute(
            select(Hold.hold_type).where(Hold.case_id == case_id, Hold.lifted_on.is_(None))
        )
        return set(result.scalars())

    async def has_active_arrangement(self, case_id: uuid.UUID) -> bool:
        result = await self._session.execute(
            select(Arrangement.id)
            .where(Arrangement.case_id == case_id, Arrangement.status == "active")
            .limit(1)
        )
        return result.first() is not None

    async def open_case_ids(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        query = select(Case.id).where(Case.status == "open").order_by(Case.id).limit(limit)
        if after is not None:
            query = query.where(Case.id > after)
        return list((await self._session.execute(query)).scalars())

    async def lock(self, case_id: uuid.UUID) -> Case | None:
        result = await self._session.execute(
            select(Case)
            .where(Case.id == case_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    def add_stage_transition(self, transition: StageTransition) -> None:
        self._session.add(transition)

    async def customer_of_case(self, case_id: uuid.UUID) -> Customer | None:
        result = await self._session.execute(
            select(Customer)
            .join(Account, Account.customer_id == Customer.id)
            .join(Case, Case.account_id == Account.account_id)
            .where(Case.id == case_id)
        )
        return result.scalar_one_or_none()
