"""Queries for the business date and evaluation runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.business_date.models import BusinessCalendar, EvaluationRun
from doorstep_shared.db.dialect import upsert_insert


class BusinessDateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def stored(self) -> date | None:
        row = await self._session.get(BusinessCalendar, 1)
        return row.business_date if row else None

    async def store(self, value: date, now: datetime) -> None:
        table = BusinessCalendar.__table__
        await self._session.execute(
            upsert_insert(self._session, table)
            .values(id=1, business_date=value, updated_at=now)
            .on_conflict_do_update(
                index_elements=["id"], set_={"business_date": value, "updated_at": now}
            )
        )

    async def clear(self) -> None:
        row = await self._session.get(BusinessCalendar, 1)
        if row is not None:
            await self._session.delete(row)
            # Flushed now: until then session.get() still returns the deleted row.
            await self._session.flush()

    async def runs(self, limit: int) -> list[EvaluationRun]:
        result = await self._session.execute(
            select(EvaluationRun).order_by(EvaluationRun.business_date.desc()).limit(limit)
        )
        return list(result.scalars())

    async def record_run(
        self, business_date: date, cases: int, started: datetime, finished: datetime
    ) -> None:
        table = EvaluationRun.__table__
        await self._session.execute(
            upsert_insert(self._session, table)
            .values(
                business_date=business_date,
                cases_evaluated=cases,
                started_at=started,
                finished_at=finished,
            )
            .on_conflict_do_update(
                index_elements=["business_date"],
                set_={"cases_evaluated": cases, "started_at": started, "finished_at": finished},
            )
        )
