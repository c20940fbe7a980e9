"""Producer and topic set-up with at-least-once settings made explicit."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from doorstep_shared.events.topics import ALL_TOPICS
from doorstep_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


def build_producer(settings: ServiceSettings, client_id: str) -> AIOKafkaProducer:
    # acks=all: an event counts as published only once every in-sync replica has it.
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=5,
        request_timeout_ms=int(settings.kafka_send_timeout_seconds * 1000),
    )


async def ensure_topics(settings: ServiceSettings, topics: tuple[str, ...] = ALL_TOPICS) -> None:
    """Create missing topics. Local runs only; production topics come from deploy/."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        request_timeout_ms=int(settings.kafka_send_timeout_seconds * 1000),
    )
    await asyncio.wait_for(admin.start(), settings.kafka_send_timeout_seconds)
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in topics if name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another service won the race
                await admin.create_topics(
                    [
                        NewTopic(name, settings.kafka_topic_partitions, replication_factor=1)
                        for name in missing
                    ]
                )
            logger.info("created topics", extra={"topics": ",".join(missing)})
    finally:
        await admin.close()


async def broker_reachable(settings: ServiceSettings) -> bool:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=2000
    )
    try:
        await asyncio.wait_for(admin.start(), 3)
        await asyncio.wait_for(admin.list_topics(), 3)
        return True
    except Exception:
        return False
    finally:
        try:
            await admin.close()
        except Exception:
            logger.debug("admin close failed", exc_info=True)
