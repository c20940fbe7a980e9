"""Consumer lag: per group and partition, how many records the group has yet to commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from doorstep_shared.operations.broker import Broker
from doorstep_shared.operations.consumer_groups import ConsumerGroup


@dataclass(frozen=True)
class PartitionLag:
    group_id: str
    topic: str
    partition: int
    committed: int | None  # None: the group never committed on this partition
    beginning: int
    end: int

    @property
    def lag(self) -> int:
        # Without a commit the group starts at the beginning (auto_offset_reset=earliest); a
        # commit older than the beginning points at records retention deleted: the group
        # resumes at the beginning as well.
        start = self.beginning if self.committed is None else max(self.committed, self.beginning)
        return max(0, self.end - start)

    def describe(self) -> dict[str, Any]:
        return {
            "group": self.group_id,
            "topic": self.topic,
            "partition": self.partition,
            "committed": self.committed,
            "beginning": self.beginning,
            "end": self.end,
            "lag": self.lag,
        }


async def consumer_lag(broker: Broker, groups: Sequence[ConsumerGroup]) -> list[PartitionLag]:
    """Every partition of every topic each group reads; TopicMissingError for a lost topic."""
    partitions = {topic: broker.partitions(topic) for group in groups for topic in group.topics}
    beginning, end = await broker.offsets([tp for tps in partitions.values() for tp in tps])
    lags: list[PartitionLag] = []
    async with broker.admin() as admin:
        for group in groups:
            tps = [tp for topic in group.topics for tp in partitions[topic]]
            # Explicit partitions: a partition without a commit then answers -1.
            committed = await broker.bounded(
                admin.list_consumer_group_offsets(group.group_id, partitions=tps)
            )
            lags.extend(
                PartitionLag(
                    group_id=group.group_id,
                    topic=tp.topic,
                    partition=tp.partition,
                    committed=_committed(committed.get(tp)),
                    beginning=beginning[tp],
                    end=end[tp],
                )
                for tp in tps
            )
    return lags


def _committed(offset: Any) -> int | None:
    if offset is None or offset.offset < 0:
        return None
    return int(offset.offset)


def largest_lag(lags: Sequence[PartitionLag]) -> int:
    return max((lag.lag for lag in lags), default=0)


def group_totals(lags: Sequence[PartitionLag]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for lag in lags:
        totals[lag.group_id] = totals.get(lag.group_id, 0) + lag.lag
    return totals
