"""Transactional outbox: events are rows written with the business change, then relayed.

The relay selects rows by a "not yet published" flag, never by ``id > last_seen``: ids are taken
before commit, so a slower transaction can commit a lower id after a higher one was sent.
One relay is active per database (a PostgreSQL advisory lock; SQLite has one process per file),
so rows leave in id order, which is per-case commit order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    JSON,
    Column,
    Index,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from doorstep_shared.clock import utc_now
from doorstep_shared.db.types import BigIntPk, UtcDateTime
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.backoff import Backoff, sleep_unless_stopped
from doorstep_shared.messaging.kafka import build_producer, ensure_topics
from doorstep_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


def define_outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox_message",
        metadata,
        Column("id", BigIntPk, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(128), nullable=False),
        Column("topic", String(255), nullable=False),
        Column("message_key", String(255), nullable=False),
        Column("headers", JSON, nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True),
    )
    Index(
        "ix_outbox_message_unpublished",
        table.c.id,
        postgresql_where=table.c.published_at.is_(None),
        sqlite_where=table.c.published_at.is_(None),
    )
    return table


async def add_to_outbox(
    session: AsyncSession, table: Table, envelope: EventEnvelope, topic: str
) -> None:
    """Stage ``envelope`` for publication in the caller's transaction (key = its subject)."""
    await session.execute(insert(table).values(**_outbox_row(envelope, topic)))


def _outbox_row(envelope: EventEnvelope, topic: str) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "event_type": envelope.type,
        "topic": topic,
        "message_key": envelope.subject,
        "headers": [[key, value.decode()] for key, value in envelope.kafka_headers()],
        "payload": envelope.kafka_value().decode(),
        "created_at": utc_now(),
    }


class OutboxBuffer:
    """Envelopes staged in memory, then written with one multi-row insert in the caller's
    transaction (``flush``): many events, one statement. Their order is kept."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._rows: list[dict[str, Any]] = []

    def add(self, envelope: EventEnvelope, topic: str) -> None:
        self._rows.append(_outbox_row(envelope, topic))

    async def flush(self, session: AsyncSession) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            await session.execute(insert(self._table), rows)


async def outbox_backlog(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(table).where(table.c.published_at.is_(None))
        )
    return int(count or 0)


class PublishError(RuntimeError):
    pass


class OutboxRelay:
    """Publishes unpublished outbox rows in id order, marks them published, never loses one."""

    PURGE_EVERY = timedelta(minutes=10)
    KEEP_PUBLISHED = timedelta(days=1)

    def __init__(
        self, engine: AsyncEngine, table: Table, settings: ServiceSettings, client_id: str
    ) -> None:
        self._engine = engine
        self._table = table
        self._settings = settings
        self._client_id = client_id
        self._wakeup = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self.published_total = 0
        self._last_purge = utc_now()

    def notify(self) -> None:
        """Tell the relay new rows were committed, so it need not wait for the next poll."""
        self._wakeup.set()

    def request_stop(self) -> None:
        """Finish the batch in flight (sent and marked published), then return: a cancelled
        relay would send that batch again after the restart."""
        self._stop_requested.set()
        self._wakeup.set()

    async def run(self) -> None:
        backoff = Backoff(maximum=5.0)
        try:
            while not self._stop_requested.is_set():
                try:
                    async with self._leadership() as leading:
                        if leading:
                            await self._publish_forever(backoff)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    delay = backoff.next_delay()
                    logger.warning(
                        "outbox relay paused",
                        extra={"error": type(exc).__name__, "retry_in_s": round(delay, 2)},
                    )
                    await self._drop_producer()
                    await sleep_unless_stopped(self._stop_requested, delay)
        finally:
            await self._drop_producer()

    async def _publish_forever(self, backoff: Backoff) -> None:
        while not self._stop_requested.is_set():
            sent = await self.publish_batch()
            backoff.reset()
            if sent < self._settings.outbox_batch_size:
                await self._purge_old()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wakeup.wait(), self._settings.outbox_poll_interval_seconds
                    )
                self._wakeup.clear()

    @asynccontextmanager
    async def _leadership(self) -> AsyncIterator[bool]:
        """True while this relay holds the database's relay lock; False when a stop came
        while it waited for it."""
        if self._engine.dialect.name != "postgresql":
            yield True
            return
        lock_key = zlib.crc32(f"doorstep-outbox-relay:{self._client_id}".encode())
        async with self._engine.connect() as conn:
            # Another process holds the lock; PostgreSQL gives no wake-up, so poll it.
            while not await self._try_lock(conn, lock_key):
                if self._stop_requested.is_set():
                    yield False
                    return
                await sleep_unless_stopped(self._stop_requested, 1.0)
            logger.info("outbox relay is the active relay")
            try:
                yield True
            finally:
                await conn.execute(select(func.pg_advisory_unlock(lock_key)))
                await conn.commit()

    @staticmethod
    async def _try_lock(conn: AsyncConnection, key: int) -> bool:
        acquired = bool(await conn.scalar(select(func.pg_try_advisory_lock(key))))
        await conn.commit()  # the session-level lock outlives the transaction
        return acquired

    async def publish_batch(self) -> int:
        """Publish one batch; returns rows published. Raises when the broker refused any."""
        table = self._table
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(
                        table.c.id,
                        table.c.topic,
                        table.c.message_key,
                        table.c.headers,
                        table.c.payload,
                    )
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.id)
                    .limit(self._settings.outbox_batch_size)
                )
            ).all()
        if not rows:
            return 0
        producer = await self._get_producer()
        timeout = self._settings.kafka_send_timeout_seconds
        futures = []
        for row in rows:
            futures.append(
                await asyncio.wait_for(
                    producer.send(
                        row.topic,
                        value=row.payload.encode(),
                        key=row.message_key.encode(),
                        headers=[(key, value.encode()) for key, value in row.headers],
                    ),
                    timeout,
                )
            )
        results = await asyncio.wait_for(
            asyncio.gather(*futures, return_exceptions=True), timeout * 2
        )
        delivered = [
            row.id
            for row, result in zip(rows, results, strict=True)
            if not isinstance(result, BaseException)
        ]
        if delivered:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(table).where(table.c.id.in_(delivered)).values(published_at=utc_now())
                )
            self.published_total += len(delivered)
        failed = len(rows) - len(delivered)
        if failed:
            raise PublishError(f"{failed} of {len(rows)} outbox rows were not acknowledged")
        return len(rows)

    async def _get_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            if self._settings.kafka_create_topics:
                # Topics first: a broker that lost its topics (the memory-only local one) must
                # not take a send into a topic that does not exist yet.
                await ensure_topics(self._settings)
            producer = build_producer(self._settings, f"{self._client_id}-relay")
            try:
                await asyncio.wait_for(producer.start(), self._settings.kafka_send_timeout_seconds)
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 5)
            except Exception:
                logger.debug("producer stop failed", exc_info=True)

    async def _purge_old(self) -> None:
        now = utc_now()
        if now - self._last_purge < self.PURGE_EVERY:
            return
        self._last_purge = now
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(self._table).where(
                    self._table.c.published_at.is_not(None),
                    self._table.c.published_at < now - self.KEEP_PUBLISHED,
                )
            )
