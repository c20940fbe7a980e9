"""Parked events: case events that arrived ahead of a missing predecessor, kept until it comes.

A row is written in the same transaction as the event's inbox claim, so a parked event is
never lost and never parked twice. It is stored as the outbox stores it (CloudEvents headers
and the JSON value), so taking it back rebuilds the very envelope the consumer received.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_shared.db.dialect import upsert_insert
from doorstep_shared.db.types import UtcDateTime
from doorstep_shared.events.contracts import EventData, parse_data
from doorstep_shared.events.envelope import EnvelopeError, EventEnvelope

logger = logging.getLogger(__name__)


def define_parking_table(metadata: MetaData) -> Table:
    table = Table(
        "parked_event",
        metadata,
        Column("consumer", String(64), nullable=False),
        Column("subject", String(255), nullable=False),  # the case id (the envelope subject)
        Column("sequence", Integer, nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("headers", JSON, nullable=False),
        Column("payload", Text, nullable=False),
        Column("parked_at", UtcDateTime, nullable=False),
        PrimaryKeyConstraint("consumer", "subject", "sequence"),
    )
    # The gap worker's question: which events have waited too long?
    Index("ix_parked_event_parked_at", table.c.consumer, table.c.parked_at)
    return table


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    envelope: EventEnvelope
    data: EventData
    sequence: int


@dataclass(frozen=True, slots=True)
class ParkedKey:
    subject: str
    sequence: int
    event_id: str
    parked_at: datetime


async def park(
    session: AsyncSession,
    table: Table,
    consumer: str,
    envelope: EventEnvelope,
    sequence: int,
    now: datetime,
) -> bool:
    """Keep ``envelope`` (sequence ``sequence`` of its subject) for ``consumer``; False when
    that sequence was already parked (the same state, re-published under another id)."""
    statement = (
        upsert_insert(session, table)
        .values(
            consumer=consumer,
            subject=envelope.subject,
            sequence=sequence,
            event_id=envelope.id,
            headers=[[key, value.decode()] for key, value in envelope.kafka_headers()],
            payload=envelope.kafka_value().decode(),
            parked_at=now,
        )
        .on_conflict_do_nothing(index_elements=["consumer", "subject", "sequence"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def take_parked(
    session: AsyncSession, table: Table, consumer: str, subject: str, sequence: int
) -> ParkedEvent | None:
    """Delete and return the event parked at (``consumer``, ``subject``, ``sequence``)."""
    row = (
        await session.execute(
            delete(table)
            .where(
                table.c.consumer == consumer,
                table.c.subject == subject,
                table.c.sequence == sequence,
            )
            .returning(table.c.sequence, table.c.event_id, table.c.headers, table.c.payload)
        )
    ).one_or_none()
    if row is None:
        return None
    return _rebuild(subject, row.sequence, row.event_id, row.headers, row.payload)


async def take_first_parked(
    session: AsyncSession, table: Table, consumer: str, subject: str
) -> ParkedEvent | None:
    """Delete and return the lowest sequence parked for ``subject``, if any."""
    first = await session.scalar(
        select(func.min(table.c.sequence)).where(
            table.c.consumer == consumer, table.c.subject == subject
        )
    )
    if first is None:
        return None
    return await take_parked(session, table, consumer, subject, int(first))


async def parked_before(
    session: AsyncSession,
    table: Table,
    consumer: str,
    cutoff: datetime,
    *,
    subject: str | None = None,
    limit: int = 100,
) -> list[ParkedKey]:
    """Events ``consumer`` parked before ``cutoff`` (of ``subject`` only, if given), oldest
    first."""
    statement = select(
        table.c.subject, table.c.sequence, table.c.event_id, table.c.parked_at
    ).where(table.c.consumer == consumer, table.c.parked_at < cutoff)
    if subject is not None:
        statement = statement.where(table.c.subject == subject)
    rows = await session.execute(
        statement.order_by(table.c.parked_at, table.c.subject, table.c.sequence).limit(limit)
    )
    return [ParkedKey(row.subject, row.sequence, row.event_id, row.parked_at) for row in rows]


def _rebuild(
    subject: str, sequence: int, event_id: str, headers: list[list[str]], payload: str
) -> ParkedEvent | None:
    try:
        envelope = EventEnvelope.from_kafka(
            [(key, value.encode()) for key, value in headers], payload.encode()
        )
        data = parse_data(envelope)
    except EnvelopeError:
        data = None
    if data is None:
        # It was parsed when it was parked, so only a downgrade gets here: it counts as missing.
        logger.warning(
            "parked event unreadable; dropped",
            extra={"event_id": event_id, "case_id": subject, "sequence": sequence},
        )
        return None
    return ParkedEvent(envelope, data, sequence)
