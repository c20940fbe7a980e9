"""Queries for Doorstep's charge entries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.charges.models import ChargeEntry
from doorstep_case_api.holds.models import Hold
from doorstep_shared.db.dialect import upsert_insert


class ChargeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_once(
        self,
        *,
        case_id: uuid.UUID,
        kind: str,
        amount: Decimal,
        currency: str,
        accrual_date: date,
        basis: str,
        now: datetime,
        case_unwritten: bool = False,
    ) -> bool:
        """Insert the entry unless this case already has one of this kind for this date.

        ``case_unwritten``: the case was opened in this transaction and not flushed yet
        (intake), so it has no entry: the row is staged and goes with the case at the flush.
        """
        if case_unwritten:
            self._session.add(
                ChargeEntry(
                    case_id=case_id,
                    kind=kind,
                    amount=amount,
                    currency=currency,
                    accrual_date=accrual_date,
                    basis=basis,
                    created_at=now,
                )
            )
            return True
        result = await self._session.execute(
            upsert_insert(self._session, ChargeEntry.__table__)
            .values(
                case_id=case_id,
                kind=kind,
                amount=amount,
                currency=currency,
                accrual_date=accrual_date,
                basis=basis,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["case_id", "kind", "accrual_date"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def history(self, case_id: uuid.UUID) -> Sequence[ChargeEntry]:
        result = await self._session.execute(
            select(ChargeEntry).where(ChargeEntry.case_id == case_id).order_by(ChargeEntry.id)
        )
        return result.scalars().all()

    async def fees_frozen(self, case_id: uuid.UUID) -> bool:
        result = await self._session.execute(
            select(Hold.id)
            .where(Hold.case_id == case_id, Hold.lifted_on.is_(None), Hold.freezes_fees)
            .limit(1)
        )
        return result.first() is not None
