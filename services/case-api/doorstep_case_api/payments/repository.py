"""Queries for payments (and the account lock that serialises them)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.models import Account
from doorstep_case_api.payments.models import Payment


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, payment: Payment) -> None:
        self._session.add(payment)

    async def lock_account(self, account_id: str) -> Account | None:
        """The account row, locked for this transaction.

        Locking the account (before its case, in the same order as intake) serialises payments
        of one account, so a retried payment waits for the first and then finds it.
        """
        result = await self._session.execute(
            select(Account)
            .where(Account.account_id == account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def by_reference(self, account_id: str, reference: str) -> Payment | None:
        result = await self._session.execute(
            select(Payment).where(Payment.account_id == account_id, Payment.reference == reference)
        )
        return result.scalar_one_or_none()

    async def latest_for_case(self, case_id: uuid.UUID) -> uuid.UUID | None:
        """Id of the case's most recent payment (the one that cured it, if one did)."""
        result = await self._session.execute(
            select(Payment.id)
            .where(Payment.case_id == case_id)
            .order_by(Payment.received_at.desc(), Payment.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()
