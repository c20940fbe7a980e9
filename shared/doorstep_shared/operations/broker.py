"""Broker clients for the operator commands, every call bounded by the send timeout setting.

A command talks to the broker for a few seconds and exits: a broker that does not answer
within the bound is reported as unreachable (exit 2), never waited for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from doorstep_shared.messaging.kafka import build_producer
from doorstep_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")
CLIENT_ID = "doorstep-operations"

# What a broker that is down, unknown or too slow raises from a client call.
BROKER_ERRORS = (KafkaError, OSError, TimeoutError)


class BrokerUnreachableError(RuntimeError):
    pass


class TopicMissingError(LookupError):
    pass


class Broker:
    """A consumer without a group (for offsets and reads) and, on demand, an admin client."""

    def __init__(self, settings: ServiceSettings, consumer: AIOKafkaConsumer) -> None:
        self.settings = settings
        self.consumer = consumer
        self.timeout = settings.kafka_send_timeout_seconds

    async def bounded(self, call: Awaitable[T]) -> T:
        return await asyncio.wait_for(call, self.timeout)

    def partitions(self, topic: str) -> list[TopicPartition]:
        """The partitions of ``topic`` (metadata was fetched at start); TopicMissingError."""
        numbers = self.consumer.partitions_for_topic(topic)
        if numbers is None:
            raise TopicMissingError(topic)
        return [TopicPartition(topic, number) for number in sorted(numbers)]

    async def offsets(
        self, partitions: list[TopicPartition]
    ) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
        """The beginning and end offsets of ``partitions``."""
        if not partitions:
            return {}, {}
        beginning = await self.bounded(self.consumer.beginning_offsets(partitions))
        end = await self.bounded(self.consumer.end_offsets(partitions))
        return beginning, end

    async def read_topic(self, topic: str) -> list[ConsumerRecord]:
        """Every record of ``topic`` up to its end offsets as they were when the read began."""
        partitions = self.partitions(topic)
        beginning, end = await self.offsets(partitions)
        remaining = {tp for tp in partitions if end[tp] > beginning[tp]}
        if not remaining:
            return []
        self.consumer.assign(sorted(remaining))
        for tp in remaining:
            self.consumer.seek(tp, beginning[tp])
        records: list[ConsumerRecord] = []
        while True:
            # The position, not the last record seen: offsets may have gaps (compaction).
            for tp in list(remaining):
                if await self.consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
                    self.consumer.pause(tp)
            if not remaining:
                break
            batches = await self.consumer.getmany(
                *remaining, timeout_ms=int(self.timeout * 1000), max_records=1000
            )
            if not batches:
                raise TimeoutError(f"no records from {topic} within {self.timeout}s")
            for tp, batch in batches.items():
                records.extend(record for record in batch if record.offset < end[tp])
        self.consumer.unsubscribe()
        return records

    @asynccontextmanager
    async def admin(self) -> AsyncIterator[AIOKafkaAdminClient]:
        client = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            client_id=CLIENT_ID,
            request_timeout_ms=int(self.timeout * 1000),
        )
        await _start(client.start(), self.timeout)
        try:
            yield client
        finally:
            await _quietly(client.close())

    @asynccontextmanager
    async def producer(self) -> AsyncIterator[AIOKafkaProducer]:
        # The services' producer settings: acks=all, idempotence as configured.
        producer = build_producer(self.settings, f"{CLIENT_ID}-replay")
        try:
            await _start(producer.start(), self.timeout)
        except BrokerUnreachableError:
            await _quietly(producer.stop())
            raise
        try:
            yield producer
        finally:
            await _quietly(producer.stop())


@asynccontextmanager
async def connect(settings: ServiceSettings) -> AsyncIterator[Broker]:
    """A started :class:`Broker`; BrokerUnreachableError when the broker does not answer."""
    timeout = settings.kafka_send_timeout_seconds
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=CLIENT_ID,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await _start(consumer.start(), timeout)
        await _start(consumer.topics(), timeout)  # metadata for every topic, once
    except BrokerUnreachableError:
        await _quietly(consumer.stop())
        raise
    try:
        yield Broker(settings, consumer)
    finally:
        await _quietly(consumer.stop())


async def _start(call: Awaitable[object], seconds: float) -> None:
    try:
        await asyncio.wait_for(call, seconds)
    except BROKER_ERRORS as exc:
        raise BrokerUnreachableError(type(exc).__name__) from exc


async def _quietly(call: Awaitable[object]) -> None:
    try:
        await asyncio.wait_for(call, 5)
    except Exception:
        logger.debug("broker client stop failed", exc_info=True)
