"""Queries of the planner: the visits to plan, their cases, the last visits, the plan log."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.visits.models import Visit, VisitPlan

# Left for operations: planning them again would fail the same way.
NOT_REPLANNED = ("notice_failed",)
# The advisory lock that serialises applying plans ("DSPL" as an integer).
_KEY = 0x4453504C


class PlanningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def plannable(self) -> Sequence[Visit]:
        """Visit requests waiting for a plan, and every appointment not yet attended: ahead
        (kept or moved) or missed (its window passed without a check-in: planned again)."""
        result = await self._session.execute(
            select(Visit)
            .where(
                or_(
                    (Visit.status == "unassigned")
                    & (
                        Visit.unassigned_code.is_(None)
                        | Visit.unassigned_code.not_in(NOT_REPLANNED)
                    ),
                    Visit.status == "scheduled",
                )
            )
            .order_by(Visit.created_at, Visit.id)
        )
        return result.scalars().all()

    async def needing_data(self, stale_before: datetime, limit: int) -> Sequence[Visit]:
        """Visits waiting for a plan whose address and terms are missing or old."""
        result = await self._session.execute(
            select(Visit)
            .where(
                Visit.status == "unassigned",
                Visit.terms_fetched_at.is_(None) | (Visit.terms_fetched_at < stale_before),
            )
            .order_by(Visit.created_at, Visit.id)
            .limit(limit)
        )
        return result.scalars().all()

    async def cases(self, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, CaseView]:
        if not case_ids:
            return {}
        result = await self._session.execute(
            select(CaseView).where(CaseView.case_id.in_(list(case_ids)))
        )
        return {view.case_id: view for view in result.scalars()}

    async def last_visited(self, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, datetime]:
        """When each case was last visited (an outcome recorded), for the per-case visit cap."""
        if not case_ids:
            return {}
        result = await self._session.execute(
            select(Visit.case_id, func.max(Visit.outcome_at))
            .where(Visit.case_id.in_(list(case_ids)), Visit.outcome_at.is_not(None))
            .group_by(Visit.case_id)
        )
        return {case_id: at for case_id, at in result if at is not None}

    async def lock(self, visit_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Visit]:
        if not visit_ids:
            return {}
        result = await self._session.execute(
            select(Visit)
            .where(Visit.id.in_(list(visit_ids)))
            .order_by(Visit.id)  # one lock order for every planner: no deadlock between them
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {visit.id: visit for visit in result.scalars()}

    async def take_apply_turn(self) -> None:
        """One planner applies at a time across replicas (PostgreSQL: a transaction-scoped
        advisory lock; SQLite serialises writers by itself)."""
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _KEY})

    async def applied_since(self, moment: datetime) -> int:
        """Plans applied after ``moment``: another run's answer this one did not see."""
        result = await self._session.execute(
            select(func.count()).select_from(VisitPlan).where(VisitPlan.finished_at > moment)
        )
        return int(result.scalar_one())

    def add(self, item: Visit | VisitPlan) -> None:
        self._session.add(item)

    async def flush(self) -> None:
        await self._session.flush()

    async def recent_plans(self, limit: int) -> Sequence[VisitPlan]:
        result = await self._session.execute(
            select(VisitPlan).order_by(VisitPlan.started_at.desc(), VisitPlan.id).limit(limit)
        )
        return result.scalars().all()
