"""The consumer groups a service runs, with the topics each reads: the scope of its commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsumerGroup:
    group_id: str
    topics: tuple[str, ...]


def topics_read(groups: Sequence[ConsumerGroup]) -> tuple[str, ...]:
    """Every topic the groups read, once each, in the order they name them."""
    return tuple(dict.fromkeys(topic for group in groups for topic in group.topics))


def groups_reading(groups: Sequence[ConsumerGroup], topic: str) -> frozenset[str]:
    return frozenset(group.group_id for group in groups if topic in group.topics)
