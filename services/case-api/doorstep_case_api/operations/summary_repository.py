"""Aggregate queries behind the portfolio summary (counted and summed in SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from doorstep_case_api.cases.models import Case, StageTransition
from doorstep_case_api.cases.repository import total_due_sql
from doorstep_case_api.promises.models import Promise


@dataclass(frozen=True)
class StageCurrencyTotal:
    stage: str
    currency: str
    cases: int
    total_due: Decimal


@dataclass(frozen=True)
class StageMoves:
    from_stage: str
    cases: int  # in from_stage at the start or entered it in range
    moved_to: dict[str, int]  # next stage -> cases that moved there in range


def _integer(value: Any) -> int:
    return int(value or 0)


class PortfolioRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _product(self, product: str | None) -> list[ColumnElement[bool]]:
        return [] if product is None else [Case.product == product]

    async def open_totals(self, product: str | None) -> list[StageCurrencyTotal]:
        total_due = total_due_sql(self._session.get_bind().dialect.name)
        result = await self._session.execute(
            select(Case.stage, Case.currency, func.count(), func.sum(total_due.expression))
            .where(Case.status == "open", *self._product(product))
            .group_by(Case.stage, Case.currency)
        )
        return [
            StageCurrencyTotal(stage, currency, _integer(count), total_due.read(total))
            for stage, currency, count, total in result.all()
        ]

    async def count_by_status(self, product: str | None) -> dict[str, int]:
        result = await self._session.execute(
            select(Case.status, func.count()).where(*self._product(product)).group_by(Case.status)
        )
        return {status: _integer(count) for status, count in result.all()}

    async def cure_counts(
        self, start: datetime, end: datetime, cure_reasons: tuple[str, ...], product: str | None
    ) -> tuple[int, int]:
        """(cases resolved as cured in [start, end), cases open at any time in [start, end))."""
        cured = and_(
            Case.status == "resolved",
            Case.resolution_reason.in_(cure_reasons),
            Case.resolved_at >= start,
            Case.resolved_at < end,
        )
        result = await self._session.execute(
            select(func.sum(case((cured, 1), else_=0)), func.count()).where(
                Case.opened_at < end,
                or_(Case.resolved_at.is_(None), Case.resolved_at >= start),
                *self._product(product),
            )
        )
        numerator, denominator = result.one()
        return _integer(numerator), _integer(denominator)

    async def settled_promises(
        self, first: date, last: date, product: str | None
    ) -> dict[str, int]:
        """Promises settled (kept or broken) on business dates first..last, per status."""
        result = await self._session.execute(
            select(Promise.status, func.count())
            .join(Case, Case.id == Promise.case_id)
            .where(
                Promise.status.in_(("kept", "broken")),
                Promise.settled_on >= first,
                Promise.settled_on <= last,
                *self._product(product),
            )
            .group_by(Promise.status)
        )
        return {status: _integer(count) for status, count in result.all()}

    async def stage_moves(
        self, first: date, last: date, start: datetime, product: str | None
    ) -> list[StageMoves]:
        """Per stage: the cases in it at the start of the range (still open then) or that
        entered it during the range, and how many of them left it for each other stage."""
        moved = aliased(StageTransition)
        transition = StageTransition
        latest_before = (
            select(func.max(transition.id))
            .where(transition.business_date < first)
            .group_by(transition.case_id)
        )
        in_stage_at_start = (
            select(transition.case_id, transition.to_stage.label("stage"))
            .join(Case, Case.id == transition.case_id)
            .where(
                transition.id.in_(latest_before),
                or_(Case.resolved_at.is_(None), Case.resolved_at >= start),
                *self._product(product),
            )
        )
        entered_in_range = (
            select(transition.case_id, transition.to_stage.label("stage"))
            .join(Case, Case.id == transition.case_id)
            .where(
                transition.business_date >= first,
                transition.business_date <= last,
                *self._product(product),
            )
        )
        # UNION (not UNION ALL): a case counts once per stage.
        cohort = union(in_stage_at_start, entered_in_range).subquery("cohort")
        sizes = await self._session.execute(
            select(cohort.c.stage, func.count()).group_by(cohort.c.stage)
        )
        moves = await self._session.execute(
            select(cohort.c.stage, moved.to_stage, func.count(func.distinct(cohort.c.case_id)))
            .join(
                moved,
                and_(
                    moved.case_id == cohort.c.case_id,
                    moved.from_stage == cohort.c.stage,
                    moved.business_date >= first,
                    moved.business_date <= last,
                ),
            )
            .group_by(cohort.c.stage, moved.to_stage)
        )
        moved_to: dict[str, dict[str, int]] = {}
        for from_stage, to_stage, count in moves.all():
            moved_to.setdefault(from_stage, {})[to_stage] = _integer(count)
        return [
            StageMoves(stage, _integer(count), moved_to.get(stage, {}))
            for stage, count in sizes.all()
        ]
