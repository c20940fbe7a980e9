"""``rotate-keys``: bring every customer row under the active key id and the present index key.

Run it after adding a new active key id (then retire the old id), after changing the blind
index key, and once after upgrading a database to migration 0003 (it encrypts the plaintext
values written before). Idempotent: a second run rewrites nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.accounts.repository import AccountRepository

BATCH = 500


@dataclass(frozen=True)
class RotationResult:
    scanned: int
    rewritten: int


class KeyRotation:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], personal_data: PersonalDataCodec
    ) -> None:
        self._sessionmaker = sessionmaker
        self._personal_data = personal_data

    async def run(self, batch_size: int = BATCH) -> RotationResult:
        scanned = rewritten = 0
        after: uuid.UUID | None = None
        while True:
            # One transaction per batch: row locks are held briefly, a failure keeps the
            # batches already done, and a rerun skips rows that are current.
            async with self._sessionmaker() as session, session.begin():
                accounts = AccountRepository(session)
                customers = await accounts.lock_customer_batch(after, batch_size)
                for customer in customers:
                    changes = self._personal_data.rotated(customer)
                    if changes:
                        await accounts.rewrite_customer(customer.id, changes)
                        rewritten += 1
            if not customers:
                return RotationResult(scanned, rewritten)
            scanned += len(customers)
            after = customers[-1].id
