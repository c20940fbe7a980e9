"""The consumer loop on the real broker: inbox dedupe, retry in place, dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.events.contracts import EventData, to_envelope
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.events.topics import dead_letter_topic
from doorstep_shared.messaging.consumer import EventConsumer, transactional_handler
from doorstep_shared.messaging.inbox import define_inbox_table
from doorstep_shared.messaging.kafka import ensure_topics
from doorstep_shared.settings import ServiceSettings
from tests.support.events import case_opened
from tests.support.infra import wait_until
from tests.support.kafka import produce_raw, read_all

pytestmark = pytest.mark.kafka

metadata = MetaData()
inbox = define_inbox_table(metadata)
effect = Table(
    "effect",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False),
)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def topic(kafka_bootstrap: str) -> str:
    name = f"test.consume.{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(database_url="unused", kafka_bootstrap_servers=kafka_bootstrap)
    await ensure_topics(settings, (name, dead_letter_topic(name)))
    return name


def opened(case_id: uuid.UUID) -> EventEnvelope:
    return to_envelope(case_opened(case_id), "urn:test", sequence=1)


async def publish(bootstrap: str, topic: str, envelope: EventEnvelope) -> None:
    await produce_raw(
        bootstrap,
        topic,
        envelope.kafka_value(),
        key=envelope.subject.encode(),
        headers=envelope.kafka_headers(),
    )


async def effects(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(effect.c.case_id).order_by(effect.c.id))).scalars())


def consumer_for(
    engine: AsyncEngine, bootstrap: str, topic: str, failures_before_success: int = 0
) -> EventConsumer:
    remaining = {"failures": failures_before_success}

    async def apply(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
        await session.execute(insert(effect).values(case_id=str(data.case_id)))
        if remaining["failures"] > 0:
            remaining["failures"] -= 1
            raise ConnectionError("database went away")  # after the write: it must roll back

    settings = ServiceSettings(database_url="unused", kafka_bootstrap_servers=bootstrap)
    return EventConsumer(
        settings,
        topics=(topic,),
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        client_id="test",
        handler=transactional_handler(create_sessionmaker(engine), inbox, "test", apply),
    )


async def running(consumer: EventConsumer) -> asyncio.Task[None]:
    return asyncio.create_task(consumer.run())


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_redelivered_event_has_no_second_effect(
    engine: AsyncEngine, kafka_bootstrap: str, topic: str
) -> None:
    envelope = opened(uuid.uuid4())
    await publish(kafka_bootstrap, topic, envelope)
    await publish(kafka_bootstrap, topic, envelope)  # at-least-once: the same event again
    consumer = consumer_for(engine, kafka_bootstrap, topic)
    task = await running(consumer)
    try:
        await wait_until(lambda: _handled_plus_duplicates(consumer, 2), message="both delivered")
    finally:
        await stop(task)
    assert await effects(engine) == [envelope.subject]
    assert consumer.stats.duplicates == 1


async def _handled_plus_duplicates(consumer: EventConsumer, expected: int) -> bool:
    return consumer.stats.handled + consumer.stats.duplicates >= expected


@pytest.mark.faults  # issue 8's scenario 7
async def test_a_failing_handler_is_retried_in_place_never_skipped(
    engine: AsyncEngine, kafka_bootstrap: str, topic: str
) -> None:
    first, second = opened(uuid.uuid4()), opened(uuid.uuid4())
    await publish(kafka_bootstrap, topic, first)
    await publish(kafka_bootstrap, topic, second)
    consumer = consumer_for(engine, kafka_bootstrap, topic, failures_before_success=2)
    task = await running(consumer)
    try:
        await wait_until(lambda: _count(engine, 2), message="both applied")
    finally:
        await stop(task)
    applied = await effects(engine)
    assert sorted(applied) == sorted([first.subject, second.subject])
    assert consumer.stats.retries == 2


async def _count(engine: AsyncEngine, expected: int) -> bool:
    return len(await effects(engine)) >= expected


async def test_offsets_are_committed_so_a_restart_does_not_reapply(
    engine: AsyncEngine, kafka_bootstrap: str, topic: str
) -> None:
    await publish(kafka_bootstrap, topic, opened(uuid.uuid4()))
    consumer = consumer_for(engine, kafka_bootstrap, topic)
    task = await running(consumer)
    await wait_until(lambda: _count(engine, 1), message="applied")
    await stop(task)
    # Same group again: nothing is delivered a second time.
    again = EventConsumer(
        consumer._settings,
        topics=(topic,),
        group_id=consumer._group_id,
        client_id="test",
        handler=consumer._handler,
    )
    task = await running(again)
    await publish(kafka_bootstrap, topic, opened(uuid.uuid4()))
    try:
        await wait_until(lambda: _count(engine, 2), message="the new event applied")
        await asyncio.sleep(1)
    finally:
        await stop(task)
    assert again.stats.duplicates == 0
    assert again.stats.handled == 1


async def test_poison_messages_are_dead_lettered_and_the_partition_moves_on(
    engine: AsyncEngine, kafka_bootstrap: str, topic: str
) -> None:
    key = str(uuid.uuid4()).encode()
    await produce_raw(kafka_bootstrap, topic, b"not json at all", key=key, headers=[])
    bad_data = opened(uuid.uuid4())
    await produce_raw(
        kafka_bootstrap,
        topic,
        b'{"case_id": "not-a-uuid"}',
        key=key,
        headers=bad_data.kafka_headers(),
    )
    good = opened(uuid.uuid4())
    await publish(kafka_bootstrap, topic, good)
    consumer = consumer_for(engine, kafka_bootstrap, topic)
    task = await running(consumer)
    try:
        await wait_until(lambda: _count(engine, 1), message="good event applied")
        await wait_until(
            lambda: _dead_lettered(consumer, 2), message="two poison messages dead-lettered"
        )
    finally:
        await stop(task)
    assert await effects(engine) == [good.subject]
    dead = await read_all(kafka_bootstrap, dead_letter_topic(topic))
    assert len(dead) == 2
    assert {m.value for m in dead} == {b"not json at all", b'{"case_id": "not-a-uuid"}'}
    for message in dead:
        assert message.headers["dlq_original_topic"] == topic
        assert message.headers["dlq_original_offset"].isdigit()
        assert message.headers["dlq_error"]
        assert message.key == key


async def _dead_lettered(consumer: EventConsumer, expected: int) -> bool:
    return consumer.stats.dead_lettered >= expected


async def test_unknown_event_types_are_skipped_not_dead_lettered(
    engine: AsyncEngine, kafka_bootstrap: str, topic: str
) -> None:
    unknown = EventEnvelope(
        type="doorstep.case.teleported.v9", source="urn:test", subject="x", data={}
    )
    await publish(kafka_bootstrap, topic, unknown)
    good = opened(uuid.uuid4())
    await publish(kafka_bootstrap, topic, good)
    consumer = consumer_for(engine, kafka_bootstrap, topic)
    task = await running(consumer)
    try:
        await wait_until(lambda: _count(engine, 1), message="good event applied")
    finally:
        await stop(task)
    assert consumer.stats.skipped_unknown == 1
    assert consumer.stats.dead_lettered == 0
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(inbox)) == 1
