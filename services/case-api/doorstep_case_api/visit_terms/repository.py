"""Queries for visit terms."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.models import Account
from doorstep_case_api.cases.models import Case
from doorstep_case_api.visit_terms.models import VisitTerms
from doorstep_shared.db.dialect import upsert_insert


class VisitTermsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def customer_id_of_case(self, case_id: uuid.UUID) -> uuid.UUID | None:
        result = await self._session.execute(
            select(Account.customer_id)
            .join(Case, Case.account_id == Account.account_id)
            .where(Case.id == case_id)
        )
        return result.scalar_one_or_none()

    async def get(self, customer_id: uuid.UUID, *, for_update: bool = False) -> VisitTerms | None:
        statement = (
            select(VisitTerms)
            .where(VisitTerms.customer_id == customer_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def replace(self, customer_id: uuid.UUID, columns: dict[str, Any]) -> None:
        """Insert the customer's terms, or overwrite every column of the ones stored."""
        await self._session.execute(
            upsert_insert(self._session, VisitTerms.__table__)
            .values(customer_id=customer_id, **columns)
            .on_conflict_do_update(index_elements=["customer_id"], set_=columns)
        )
