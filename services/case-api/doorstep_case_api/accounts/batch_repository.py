"""Queries of batch intake: many accounts and customers per statement, and applied chunks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.models import Account, Customer, IntakeBatchChunk
from doorstep_case_api.cases.models import Case
from doorstep_shared.db.dialect import upsert_insert


class BatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def applied_chunk(self, batch_id: str, chunk_index: int) -> IntakeBatchChunk | None:
        return await self._session.get(IntakeBatchChunk, (batch_id, chunk_index))

    def add_applied_chunk(self, chunk: IntakeBatchChunk) -> None:
        self._session.add(chunk)

    async def lock_accounts(self, account_ids: Iterable[str]) -> dict[str, Account]:
        """The accounts that exist, locked in key order so two batches cannot deadlock."""
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        result = await self._session.execute(
            select(Account)
            .where(Account.account_id.in_(ids))
            .order_by(Account.account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {account.account_id: account for account in result.scalars()}

    async def customer_digests(
        self, external_ids: Sequence[str]
    ) -> dict[str, tuple[uuid.UUID, str | None]]:
        """Each known customer's id and the digest of its last reported data."""
        if not external_ids:
            return {}
        result = await self._session.execute(
            select(Customer.external_id, Customer.id, Customer.snapshot_digest).where(
                Customer.external_id.in_(external_ids)
            )
        )
        return {external_id: (customer_id, digest) for external_id, customer_id, digest in result}

    async def upsert_customers(self, rows: Sequence[dict[str, Any]]) -> dict[str, uuid.UUID]:
        """One multi-row upsert by the bank's customer id; returns each one's Doorstep id.
        ``rows`` hold one row per external id (PostgreSQL refuses to update a row twice)."""
        if not rows:
            return {}
        table = Customer.__table__
        statement = upsert_insert(self._session, table)
        changing = [name for name in rows[0] if name != "external_id"]
        statement = statement.on_conflict_do_update(
            index_elements=["external_id"],
            set_={name: statement.excluded[name] for name in changing},
        ).returning(table.c.external_id, table.c.id)
        # Parameter lists, not .values([...]): one cached statement that the driver batches
        # ("insertmanyvalues"), instead of compiling a new many-row statement per chunk.
        result = await self._session.execute(
            statement, [{"id": uuid.uuid4(), **row} for row in rows]
        )
        return {external_id: customer_id for external_id, customer_id in result.all()}

    async def create_accounts(
        self, rows: Sequence[dict[str, Any]]
    ) -> tuple[dict[str, Account], set[str]]:
        """Insert the accounts not there yet; every one of them locked, and the ids this call
        created (another request may have created some first: those come back as they are)."""
        if not rows:
            return {}, set()
        table = Account.__table__
        result = await self._session.execute(
            upsert_insert(self._session, table)
            .on_conflict_do_nothing(index_elements=["account_id"])
            .returning(table.c.account_id),
            list(rows),
        )
        created = set(result.scalars())
        return await self.lock_accounts(row["account_id"] for row in rows), created

    async def open_cases(self, account_ids: Iterable[str]) -> dict[str, Case]:
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        result = await self._session.execute(
            select(Case)
            .where(Case.account_id.in_(ids), Case.status == "open")
            .order_by(Case.account_id)
            .with_for_update()
        )
        return {case.account_id: case for case in result.scalars()}


def account_row(
    account_id: str, customer_id: uuid.UUID, product: str, currency: str, as_of: Any, now: datetime
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "customer_id": customer_id,
        "product": product,
        "currency": currency,
        "last_as_of_date": as_of,
        "updated_at": now,
    }
