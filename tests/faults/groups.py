"""Consumer groups seen from outside: reset to the earliest offset, and lag."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.support.kafka import read_all


async def reset_to_earliest(bootstrap: str, group: str, topic: str) -> None:
    """What ``kafka-consumer-groups --reset-offsets --to-earliest`` does, while the group's
    members are stopped: join the group, commit every partition's first offset, leave."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        partitions = consumer.partitions_for_topic(topic) or set()
        # The stopped members may still hold partitions until the group rebalances.
        while not partitions or len(consumer.assignment()) < len(partitions):
            assert loop.time() < deadline, f"{group} was not given every partition"
            await consumer.getmany(timeout_ms=200)
            partitions = consumer.partitions_for_topic(topic) or set()
        first = await consumer.beginning_offsets(list(consumer.assignment()))
        await consumer.commit(dict(first))
    finally:
        await consumer.stop()


async def lag(bootstrap: str, group: str, topic: str) -> int:
    """Messages on ``topic`` past the group's committed offsets.

    The end of each partition is read off the messages themselves: the local broker answers
    an end-offset request with the last batch's base offset, not the log's end."""
    ends: dict[int, int] = {}
    for message in await read_all(bootstrap, topic, idle_ms=500):
        ends[message.partition] = max(ends.get(message.partition, 0), message.offset + 1)
    # A member that never subscribes reads the group's commits without joining it.
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        total = 0
        for partition, end in ends.items():
            committed = await probe.committed(TopicPartition(topic, partition))
            total += end - (committed or 0)
        return total
    finally:
        await probe.stop()
