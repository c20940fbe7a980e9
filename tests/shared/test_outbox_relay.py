"""The outbox relay against the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from doorstep_local.broker import LocalBroker
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.kafka import ensure_topics
from doorstep_shared.messaging.outbox import OutboxRelay, add_to_outbox, define_outbox_table
from doorstep_shared.settings import ServiceSettings
from tests.support.infra import wait_until
from tests.support.kafka import read_all

pytestmark = pytest.mark.kafka

metadata = MetaData()
outbox = define_outbox_table(metadata)
# A business table, to show the event and the change commit together.
business = Table("business_row", metadata, Column("id", String(64), primary_key=True))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def settings_for(bootstrap: str, **overrides: object) -> ServiceSettings:
    values: dict[str, object] = {
        "database_url": "unused",
        "kafka_bootstrap_servers": bootstrap,
        "kafka_send_timeout_seconds": 3,
        "outbox_poll_interval_seconds": 0.05,
        **overrides,
    }
    return ServiceSettings.model_validate(values)


async def write_events(engine: AsyncEngine, topic: str, cases: list[str], per_case: int) -> None:
    sessionmaker = create_sessionmaker(engine)
    for sequence in range(1, per_case + 1):
        for case in cases:
            async with sessionmaker() as session, session.begin():
                envelope = EventEnvelope(
                    type="test.happened.v1",
                    source="urn:test",
                    subject=case,
                    data={"case": case, "sequence": sequence},
                    sequence=sequence,
                )
                await add_to_outbox(session, outbox, envelope, topic)


async def unpublished(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    return int(count or 0)


async def run_relay(relay: OutboxRelay) -> asyncio.Task[None]:
    return asyncio.create_task(relay.run())


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_relay_publishes_every_row_in_per_case_order(
    engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    topic = f"test.relay.{uuid.uuid4().hex[:8]}"
    cases = [str(uuid.uuid4()) for _ in range(5)]
    await write_events(engine, topic, cases, per_case=20)
    relay = OutboxRelay(engine, outbox, settings_for(kafka_bootstrap, outbox_batch_size=30), "t")
    task = await run_relay(relay)
    try:
        await wait_until(lambda: _zero(engine), message="outbox drained")
    finally:
        await stop(task)
    messages = await read_all(kafka_bootstrap, topic)
    assert len(messages) == 100
    for case in cases:
        mine = [m for m in messages if m.key == case.encode()]
        assert [json.loads(m.value or b"")["sequence"] for m in mine] == list(range(1, 21))
        assert len({m.partition for m in mine}) == 1
        assert mine[0].headers["ce_type"] == "test.happened.v1"
        assert mine[0].headers["ce_subject"] == case


async def _zero(engine: AsyncEngine) -> bool:
    return await unpublished(engine) == 0


async def test_relay_waits_out_a_broker_outage_and_loses_nothing(
    engine: AsyncEngine, tmp_path: object
) -> None:
    broker = LocalBroker()
    broker.start()
    topic = "test.outage"
    settings = settings_for(broker.bootstrap_servers, kafka_send_timeout_seconds=1)
    cases = [str(uuid.uuid4()) for _ in range(3)]
    relay = OutboxRelay(engine, outbox, settings, "outage")
    task = await run_relay(relay)
    try:
        await write_events(engine, topic, cases, per_case=2)
        await wait_until(lambda: _zero(engine), message="first rows published")
        broker.stop()
        await write_events(engine, topic, cases, per_case=5)
        # The relay keeps failing while the broker is down. Outlast its in-flight send (2 x 1 s
        # plus the producer's close): the local broker would take a retried send into a topic
        # it no longer has.
        await asyncio.sleep(5)
        assert await unpublished(engine) == 15
        broker.start()  # same port
        # The local broker keeps topics in memory only: re-create them as a topic-init step
        # would, or a producer with cached metadata writes into a topic nobody can read.
        await ensure_topics(settings, (topic,))
        await wait_until(lambda: _zero(engine), timeout=60, message="backlog drained")
        messages = await read_all(broker.bootstrap_servers, topic)
    finally:
        await stop(task)
        broker.stop()
    received = {(m.key, json.loads(m.value or b"")["sequence"]) for m in messages}
    # Every row written during the outage reached the restarted broker.
    assert {(c.encode(), s) for c in cases for s in range(1, 6)} <= received


@pytest.mark.postgres
@pytest.mark.faults  # issue 8's scenario 3
async def test_a_lower_id_committed_late_is_still_published(
    postgres_url: str, kafka_bootstrap: str
) -> None:
    engine = create_engine(postgres_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    topic = f"test.gap.{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(engine, outbox, settings_for(kafka_bootstrap), "gap")
    task = await run_relay(relay)
    sessionmaker = create_sessionmaker(engine)
    try:
        slow = sessionmaker()
        await slow.begin()
        await add_to_outbox(slow, outbox, _envelope("slow"), topic)  # takes the lower id
        await slow.flush()
        await write_events(engine, topic, ["fast"], per_case=1)  # higher id, committed first
        await wait_until(
            lambda: _published_count(engine, 1), message="the higher id published first"
        )
        await slow.commit()
        await slow.close()
        await wait_until(lambda: _zero(engine), message="the late lower id published")
    finally:
        await stop(task)
        await engine.dispose()
    subjects = [m.headers["ce_subject"] for m in await read_all(kafka_bootstrap, topic)]
    assert sorted(subjects) == ["fast", "slow"]


def _envelope(subject: str) -> EventEnvelope:
    return EventEnvelope(type="test.happened.v1", source="urn:test", subject=subject, data={})


async def _published_count(engine: AsyncEngine, expected: int) -> bool:
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_not(None))
        )
    return count == expected


async def test_event_and_business_change_commit_or_roll_back_together(engine: AsyncEngine) -> None:
    sessionmaker = create_sessionmaker(engine)

    async def failing_request() -> None:
        async with sessionmaker() as session, session.begin():
            await session.execute(insert(business).values(id="x"))
            await add_to_outbox(session, outbox, _envelope("x"), "t")
            raise RuntimeError("the request failed before commit")

    with pytest.raises(RuntimeError):
        await failing_request()
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(business)) == 0
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 0
