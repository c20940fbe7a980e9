"""At-least-once Kafka consumer loop with explicit outcomes: handled, skipped, dead-lettered.

Offsets are committed only after the handler's DB transaction committed. A handler error that
is not a permanent one is retried in place (blocking that partition, capped backoff), so a
failed message is re-processed, never skipped. Poison messages go to ``<topic>.dlq`` with their
origin in headers and the partition keeps moving.

``progress(now)`` tells liveness whether the loop is moving (see ``messaging.progress``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import EventData, parse_data
from doorstep_shared.events.envelope import EnvelopeError, EventEnvelope
from doorstep_shared.events.topics import dead_letter_topic
from doorstep_shared.messaging.backoff import Backoff, sleep_unless_stopped
from doorstep_shared.messaging.inbox import claim_event
from doorstep_shared.messaging.kafka import build_producer
from doorstep_shared.messaging.progress import ConsumerProgress, ConsumerStats, ProgressClock
from doorstep_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)

# A handler returns True when it applied the event, False when it was a duplicate.
Handler = Callable[[EventEnvelope, EventData], Awaitable[bool]]
ApplyInTransaction = Callable[[AsyncSession, EventEnvelope, EventData], Awaitable[None]]


class PermanentEventError(Exception):
    """Raised by a handler for an event that can never succeed: it is dead-lettered."""


def transactional_handler(
    sessionmaker: async_sessionmaker[AsyncSession],
    inbox: Table,
    consumer_name: str,
    apply: ApplyInTransaction,
    after_commit: Callable[[], None] | None = None,
) -> Handler:
    """Wrap ``apply`` so it runs once per event id, in one transaction with the inbox row."""

    async def handle(envelope: EventEnvelope, data: EventData) -> bool:
        async with sessionmaker() as session, session.begin():
            if not await claim_event(session, inbox, consumer_name, envelope.id):
                return False
            await apply(session, envelope, data)
        if after_commit is not None:
            after_commit()
        return True

    return handle


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: EventConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._owner.commit_processed(revoked)
        self._owner.forget(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        logger.info("partitions assigned", extra={"partitions": len(assigned)})


class EventConsumer:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        topics: tuple[str, ...],
        group_id: str,
        handler: Handler,
        client_id: str,
        handled_types: frozenset[str] | None = None,
    ) -> None:
        self._settings = settings
        self._topics = topics
        self._group_id = group_id
        self._handler = handler
        self._client_id = client_id
        self._handled_types = handled_types
        self._consumer: AIOKafkaConsumer | None = None
        self._processed: dict[TopicPartition, int] = {}
        # Offset of the next record to process per partition: fetched records not yet
        # processed still count as lag.
        self._next_offset: dict[TopicPartition, int] = {}
        self.stats = ConsumerStats()
        self._clock = ProgressClock(settings.consumer_stall_seconds, time.monotonic())
        self._stop_requested = asyncio.Event()

    def request_stop(self) -> None:
        """Finish the record in hand, commit what was processed, leave the group, return.

        A shutdown that cancelled the loop instead would drop the offsets of records already
        processed (they would come back as duplicates after the restart) and roll back the
        record in hand."""
        self._stop_requested.set()

    @property
    def group_id(self) -> str:
        return self._group_id

    def progress(self, now: float) -> ConsumerProgress:
        """Counters, lag and whether the consumer is stalled, as of ``now`` (monotonic)."""
        return self._clock.snapshot(self.stats, self._lag(), now)

    def forget(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self._next_offset.pop(tp, None)

    def _lag(self) -> int | None:
        consumer = self._consumer
        if consumer is None:
            return None
        # The end offset is the one the last fetch saw: it only grows, so an old one
        # understates the lag and never invents any.
        lag: int | None = None
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            position = self._next_offset.get(tp)
            if highwater is not None and position is not None:
                lag = (lag or 0) + max(highwater - position, 0)
        return lag

    async def _note_positions(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        fetched_from = []
        for tp in consumer.assignment():
            if tp in batches:
                self._next_offset[tp] = batches[tp][0].offset
            elif consumer.highwater(tp) is not None:
                fetched_from.append(tp)
        for tp in fetched_from:
            # Fetched from, so its position is known and this returns at once; bounded all the
            # same, since position() waits out a reset. A rebalance may have taken it since.
            with contextlib.suppress(TimeoutError, IllegalStateError):
                async with asyncio.timeout(1):
                    self._next_offset[tp] = await consumer.position(tp)

    async def run(self) -> None:
        backoff = Backoff(maximum=5.0)
        while not self._stop_requested.is_set():
            self._clock.connecting(time.monotonic())
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._settings.kafka_bootstrap_servers,
                group_id=self._group_id,
                client_id=self._client_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=500,
            )
            dlq = build_producer(self._settings, f"{self._client_id}-dlq")
            try:
                await consumer.start()
                await dlq.start()
                consumer.subscribe(list(self._topics), listener=_CommitOnRevoke(self))
                self._consumer = consumer
                backoff.reset()
                await self._consume(consumer, dlq)
                return  # only a requested stop ends the loop
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                delay = backoff.next_delay()
                logger.warning(
                    "consumer restarting",
                    extra={"error": type(exc).__name__, "retry_in_s": round(delay, 2)},
                )
                await asyncio.sleep(delay)
            finally:
                self._consumer = None
                self._next_offset.clear()
                self._clock.interrupted()
                for client in (consumer, dlq):
                    try:
                        await asyncio.wait_for(client.stop(), 10)
                    except Exception:
                        logger.debug("client stop failed", exc_info=True)

    async def _consume(self, consumer: AIOKafkaConsumer, dlq: AIOKafkaProducer) -> None:
        stopping = self._stop_requested
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            await self._note_positions(consumer, batches)
            self._clock.polled(time.monotonic(), got_records=bool(batches), lag=self._lag())
            for tp, records in batches.items():
                for record in records:
                    if stopping.is_set():
                        break
                    self._clock.processing(time.monotonic())
                    if not await self._process(record, dlq):
                        break  # the stop came while it was being retried: not processed
                    self._processed[tp] = self._next_offset[tp] = record.offset + 1
                    self._clock.finished(time.monotonic())
                await self.commit_processed([tp])
        await self.commit_processed(list(self._processed))
        logger.info("consumer stopped", extra={"consumer_group": self._group_id})

    async def commit_processed(self, partitions: list[TopicPartition]) -> None:
        consumer = self._consumer
        offsets = {tp: self._processed.pop(tp) for tp in partitions if tp in self._processed}
        if consumer is None or not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The partition moved to another member; it will redeliver from the last commit and
            # the inbox makes that harmless.
            logger.warning("offset commit failed", extra={"error": type(exc).__name__})

    async def _process(self, record: ConsumerRecord, dlq: AIOKafkaProducer) -> bool:
        """Handle, skip or dead-letter ``record``; False only when a requested stop ended its
        retries (nothing of it was committed, so it is redelivered after the restart)."""
        try:
            envelope = EventEnvelope.from_kafka(record.headers, record.value)
            data = parse_data(envelope)
        except EnvelopeError as exc:
            await self._dead_letter(record, dlq, str(exc))
            return True
        if data is None or (
            self._handled_types is not None and envelope.type not in self._handled_types
        ):
            self.stats.skipped_unknown += data is None
            if data is None:
                logger.info("skipped unknown event type", extra={"ce_type": envelope.type})
            return True
        backoff = Backoff(initial=0.2, maximum=30.0)
        while True:
            try:
                if await self._handler(envelope, data):
                    self.stats.handled += 1
                else:
                    self.stats.duplicates += 1
                return True
            except PermanentEventError as exc:
                await self._dead_letter(record, dlq, str(exc))
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.retries += 1
                delay = backoff.next_delay()
                logger.warning(
                    "event handler failed; retrying the same event",
                    extra={
                        "event_id": envelope.id,
                        "case_id": envelope.subject,
                        "error": type(exc).__name__,
                        "retry_in_s": round(delay, 2),
                    },
                    exc_info=backoff.attempt == 1,
                )
                await sleep_unless_stopped(self._stop_requested, delay)
                if self._stop_requested.is_set():
                    return False

    async def _dead_letter(self, record: ConsumerRecord, dlq: AIOKafkaProducer, error: str) -> None:
        headers = [
            *record.headers,
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_consumer_group", self._group_id.encode()),
            ("dlq_error", error[:500].encode()),
            ("dlq_failed_at", utc_now().isoformat().encode()),
        ]
        backoff = Backoff(initial=0.2, maximum=10.0)
        while True:
            try:
                future = await dlq.send(
                    dead_letter_topic(record.topic),
                    value=record.value,
                    key=record.key,
                    headers=headers,
                )
                await asyncio.wait_for(future, self._settings.kafka_send_timeout_seconds)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.next_delay()
                logger.warning("dead-letter publish failed", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
        self.stats.dead_lettered += 1
        logger.warning(
            "message dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": error[:200],
            },
        )
