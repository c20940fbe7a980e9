"""Queries for customers and accounts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.models import Account, Customer
from doorstep_shared.db.dialect import upsert_insert


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert_customer(self, external_id: str, fields: dict[str, Any]) -> uuid.UUID:
        table = Customer.__table__
        statement = (
            upsert_insert(self._session, table)
            .values(id=uuid.uuid4(), external_id=external_id, **fields)
            .on_conflict_do_update(index_elements=["external_id"], set_=fields)
            .returning(table.c.id)
        )
        return (await self._session.execute(statement)).scalar_one()  # type: ignore[no-any-return]

    async def customer_ids_by_phone_index(self, index: str) -> Sequence[uuid.UUID]:
        result = await self._session.execute(
            select(Customer.id).where(Customer.phone_index == index).order_by(Customer.id)
        )
        return result.scalars().all()

    async def customer_ids_by_national_id_index(self, index: str) -> Sequence[uuid.UUID]:
        result = await self._session.execute(
            select(Customer.id).where(Customer.national_id_index == index).order_by(Customer.id)
        )
        return result.scalars().all()

    async def lock_customer_batch(self, after: uuid.UUID | None, limit: int) -> Sequence[Customer]:
        """The next ``limit`` customers by id, locked so an intake cannot interleave a write
        between reading a row and rewriting it."""
        statement = select(Customer).order_by(Customer.id).limit(limit).with_for_update()
        if after is not None:
            statement = statement.where(Customer.id > after)
        return (await self._session.execute(statement)).scalars().all()

    async def rewrite_customer(self, customer_id: uuid.UUID, columns: dict[str, Any]) -> None:
        await self._session.execute(
            update(Customer).where(Customer.id == customer_id).values(**columns)
        )

    async def lock_or_create_account(
        self,
        account_id: str,
        *,
        customer_id: uuid.UUID,
        product: str,
        currency: str,
        as_of_date: date,
        now: datetime,
    ) -> tuple[Account, bool]:
        """The account row, locked for this transaction; True when it was just created.

        Insert-if-absent first, so two first snapshots of one account cannot both create it.
        """
        table = Account.__table__
        created = await self._session.execute(
            upsert_insert(self._session, table)
            .values(
                account_id=account_id,
                customer_id=customer_id,
                product=product,
                currency=currency,
                last_as_of_date=as_of_date,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["account_id"])
        )
        account = (
            await self._session.execute(
                select(Account)
                .where(Account.account_id == account_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        return account, bool(created.rowcount)  # type: ignore[attr-defined]
