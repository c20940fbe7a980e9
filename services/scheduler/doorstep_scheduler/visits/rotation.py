"""Re-encrypting the visits' customer data under the active key (``rotate-keys``).

Batches of rows in id order, one transaction each: a run stopped half-way keeps what it did, and
a second run rewrites nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_scheduler.encryption import Encrypted, current_cipher
from doorstep_scheduler.visits.models import Visit

BATCH = 500
_COLUMNS = (Visit.__table__.c.latitude, Visit.__table__.c.longitude, Visit.__table__.c.terms)


@dataclass(frozen=True)
class RotationResult:
    scanned: int
    rewritten: int


class VisitKeyRotation:
    """Uses the process's cipher (``use_cipher``): its active key for every value written."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def run(self, batch: int = BATCH) -> RotationResult:
        scanned = rewritten = 0
        after: uuid.UUID | None = None
        while True:
            async with self._sessionmaker() as session, session.begin():
                rows = await _raw_tokens(session, after, batch)
                for visit_id, tokens in rows:
                    if await _rewrite_if_stale(session, visit_id, tokens):
                        rewritten += 1
            scanned += len(rows)
            if len(rows) < batch:
                return RotationResult(scanned, rewritten)
            after = rows[-1][0]


async def _raw_tokens(
    session: AsyncSession, after: uuid.UUID | None, batch: int
) -> list[tuple[uuid.UUID, tuple[str | None, ...]]]:
    # type_coerce to Text: the stored tokens, not the decrypted values.
    query = select(Visit.id, *(type_coerce(c, Text) for c in _COLUMNS)).order_by(Visit.id)
    if after is not None:
        query = query.where(Visit.id > after)
    result = await session.execute(query.limit(batch))
    return [(row[0], tuple(row[1:])) for row in result]


async def _rewrite_if_stale(
    session: AsyncSession, visit_id: uuid.UUID, tokens: tuple[str | None, ...]
) -> bool:
    cipher = current_cipher()
    if all(token is None or cipher.is_current(token) for token in tokens):
        return False
    dialect = session.get_bind().dialect
    plain: dict[str, Any] = {}
    for column, token in zip(_COLUMNS, tokens, strict=True):
        assert isinstance(column.type, Encrypted)
        plain[column.name] = column.type.process_result_value(token, dialect)
    # Written back through the column types: encrypted under the active key.
    await session.execute(update(Visit).where(Visit.id == visit_id).values(**plain))
    return True
