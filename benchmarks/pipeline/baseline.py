"""The broker's own speed as the services' client sees it: aiokafka producing and then
consuming the same number of messages as the pipeline, of a case event's size, on the same
broker, with the services' producer settings (acks=all, linger 5 ms) and consumer settings
(manual commits, up to 500 records a poll)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

PARTITIONS = 6  # as the services' topics (kafka_topic_partitions)
IN_FLIGHT = 5_000  # sends awaited together, as the outbox relay awaits a batch's futures


@dataclass(frozen=True)
class BaselineResult:
    messages: int
    value_bytes: int
    header_bytes: int
    produce_seconds: float
    consume_seconds: float

    def summary(self) -> dict[str, object]:
        both = self.produce_seconds + self.consume_seconds
        return {
            "messages": self.messages,
            "value_bytes": self.value_bytes,
            "header_bytes": self.header_bytes,
            "produce_seconds": round(self.produce_seconds, 3),
            "produce_per_second": round(self.messages / self.produce_seconds, 1),
            "consume_seconds": round(self.consume_seconds, 3),
            "consume_per_second": round(self.messages / self.consume_seconds, 1),
            "produce_then_consume_per_second": round(self.messages / both, 1),
        }


async def measure(
    bootstrap: str, messages: int, value_bytes: int, header_bytes: int
) -> BaselineResult:
    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()
    # Random bytes as text, so the message is no more compressible than JSON would be.
    value = os.urandom(value_bytes // 2).hex().encode()
    headers = [(f"ce_h{i}", b"x" * 40) for i in range(max(1, header_bytes // 50))]

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}-reader",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=500,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await consumer.start()
    try:
        # Join the group while the topic is empty: the services join once at start, so the
        # join is not part of the rate.
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        await producer.start()
        started = time.perf_counter()
        for first in range(0, messages, IN_FLIGHT):
            futures = [
                await producer.send(topic, value=value, key=str(i).encode(), headers=headers)
                for i in range(first, min(first + IN_FLIGHT, messages))
            ]
            await asyncio.gather(*futures)
        produce_seconds = time.perf_counter() - started

        started = time.perf_counter()
        received = 0
        while received < messages:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                received += len(records)
            if batches:
                await consumer.commit()
        consume_seconds = time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
    return BaselineResult(messages, value_bytes, header_bytes, produce_seconds, consume_seconds)
