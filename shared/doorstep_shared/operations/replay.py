"""Put dead letters back on their original topic, in DLQ order, and mark each one replayed.

A copy carries the original key, value and headers (the ``dlq_*`` ones dropped) plus
``dlq_replayed_from``. It is keyed as the original, so it lands on the partition of its
case and behind that case's earlier events. The replay stops at the first failure: the
letters after it stay pending, in order, for the next ``replay --all``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from doorstep_shared.clock import utc_now
from doorstep_shared.operations.broker import BROKER_ERRORS, Broker
from doorstep_shared.operations.dead_letters import (
    DeadLetter,
    replay_marker_headers,
    replay_marker_key,
)


@dataclass
class ReplayResult:
    replayed: list[tuple[DeadLetter, str]] = field(default_factory=list)  # (letter, copy address)
    failed: DeadLetter | None = None
    failure: str = ""
    unmarked: bool = False  # the failed one's copy went out, its marker did not

    @property
    def complete(self) -> bool:
        return self.failed is None


async def replay(broker: Broker, letters: Sequence[DeadLetter]) -> ReplayResult:
    result = ReplayResult()
    if not letters:
        return result
    async with broker.producer() as producer:
        for letter in letters:
            try:
                copy = await _publish(
                    broker,
                    producer,
                    letter.original_topic,
                    key=letter.key,
                    value=letter.value,
                    headers=letter.replay_headers(),
                )
            except BROKER_ERRORS as exc:
                result.failed, result.failure = letter, type(exc).__name__
                return result
            try:
                await _publish(
                    broker,
                    producer,
                    letter.dlq_topic,
                    key=replay_marker_key(letter),
                    value=b"",
                    headers=replay_marker_headers(letter, copy, utc_now().isoformat()),
                    partition=letter.partition,
                )
            except BROKER_ERRORS as exc:
                result.failed, result.failure = letter, type(exc).__name__
                result.unmarked = True
                return result
            result.replayed.append((letter, copy))
    return result


async def _publish(
    broker: Broker,
    producer: AIOKafkaProducer,
    topic: str,
    *,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes]],
    partition: int | None = None,
) -> str:
    """Send and wait for the acknowledgement (acks=all), each step bounded; the copy's address."""
    sent = await broker.bounded(
        producer.send(topic, value=value, key=key, headers=headers, partition=partition)
    )
    metadata = await broker.bounded(sent)
    return f"{metadata.topic}:{metadata.partition}:{metadata.offset}"
