"""Read-only queries for legal referrals and their dossier."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.arrangements.models import Arrangement, ArrangementInstalment
from doorstep_case_api.cases.models import StageTransition, TimelineEntry
from doorstep_case_api.charges.models import ChargeEntry
from doorstep_case_api.holds.models import Hold
from doorstep_case_api.legal.models import LegalReferral
from doorstep_case_api.payments.models import Payment
from doorstep_case_api.promises.models import Promise

CONTACT_EVENTS = "doorstep.notification.%"
VISIT_EVENTS = "doorstep.visit.%"


class LegalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def flush(self) -> None:
        await self._session.flush()

    async def current_referral(self, case_id: uuid.UUID) -> LegalReferral | None:
        """The case's newest referral, whatever its status."""
        result = await self._session.execute(
            select(LegalReferral)
            .where(LegalReferral.case_id == case_id)
            .order_by(LegalReferral.created_at.desc(), LegalReferral.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def stage_before(self, case_id: uuid.UUID, stage: str) -> str | None:
        """The stage the case was in when it last entered ``stage``."""
        result = await self._session.execute(
            select(StageTransition.from_stage)
            .where(StageTransition.case_id == case_id, StageTransition.to_stage == stage)
            .order_by(StageTransition.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def stage_history(self, case_id: uuid.UUID) -> Sequence[StageTransition]:
        result = await self._session.execute(
            select(StageTransition)
            .where(StageTransition.case_id == case_id)
            .order_by(StageTransition.id)
        )
        return result.scalars().all()

    async def charges(self, case_id: uuid.UUID) -> Sequence[ChargeEntry]:
        result = await self._session.execute(
            select(ChargeEntry)
            .where(ChargeEntry.case_id == case_id)
            .order_by(ChargeEntry.accrual_date, ChargeEntry.id)
        )
        return result.scalars().all()

    async def timeline_of_kind(self, case_id: uuid.UUID, pattern: str) -> Sequence[TimelineEntry]:
        result = await self._session.execute(
            select(TimelineEntry)
            .where(TimelineEntry.case_id == case_id, TimelineEntry.event_type.like(pattern))
            .order_by(TimelineEntry.id)
        )
        return result.scalars().all()

    async def payments(self, case_id: uuid.UUID) -> Sequence[Payment]:
        result = await self._session.execute(
            select(Payment)
            .where(Payment.case_id == case_id)
            .order_by(Payment.value_date, Payment.received_at)
        )
        return result.scalars().all()

    async def promises(self, case_id: uuid.UUID) -> Sequence[Promise]:
        result = await self._session.execute(
            select(Promise).where(Promise.case_id == case_id).order_by(Promise.created_at)
        )
        return result.scalars().all()

    async def arrangements(
        self, case_id: uuid.UUID
    ) -> list[tuple[Arrangement, list[ArrangementInstalment]]]:
        """Each arrangement of the case with its instalments, oldest first (two queries)."""
        arrangements = (
            (
                await self._session.execute(
                    select(Arrangement)
                    .where(Arrangement.case_id == case_id)
                    .order_by(Arrangement.created_at, Arrangement.id)
                )
            )
            .scalars()
            .all()
        )
        if not arrangements:
            return []
        instalments = (
            (
                await self._session.execute(
                    select(ArrangementInstalment)
                    .where(ArrangementInstalment.arrangement_id.in_([a.id for a in arrangements]))
                    .order_by(ArrangementInstalment.arrangement_id, ArrangementInstalment.number)
                )
            )
            .scalars()
            .all()
        )
        by_arrangement: dict[uuid.UUID, list[ArrangementInstalment]] = {}
        for instalment in instalments:
            by_arrangement.setdefault(instalment.arrangement_id, []).append(instalment)
        return [(a, by_arrangement.get(a.id, [])) for a in arrangements]

    async def holds(self, case_id: uuid.UUID) -> Sequence[Hold]:
        result = await self._session.execute(
            select(Hold).where(Hold.case_id == case_id).order_by(Hold.placed_at, Hold.id)
        )
        return result.scalars().all()
