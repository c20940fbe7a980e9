"""Consumer groups seen from outside: reset to the earliest offset, and lag."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition


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
    """Messages on ``topic`` past the group's committed offsets (all of them if none)."""
    # A group member that never subscribes reads the group's commits without joining it
    # (the admin client's offset fetch is a request version the local broker cannot answer).
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        partitions = [TopicPartition(topic, p) for p in probe.partitions_for_topic(topic) or ()]
        if not partitions:
            await probe.topics()
            partitions = [TopicPartition(topic, p) for p in probe.partitions_for_topic(topic) or ()]
        ends = await probe.end_offsets(partitions)
        starts = await probe.beginning_offsets(partitions)
        total = 0
        for tp in partitions:
            committed = await probe.committed(tp)
            total += ends[tp] - (committed if committed is not None else starts[tp])
        return total
    finally:
        await probe.stop()
