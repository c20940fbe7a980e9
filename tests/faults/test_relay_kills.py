"""Scenario 2: kill -9 the outbox relay at random points under load. Nothing is lost, each
case's events stay in order on the topic, and a kill duplicates at most the batch in flight."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.outbox import add_to_outbox, define_outbox_table
from tests.faults.conftest import size
from tests.support.infra import wait_until
from tests.support.kafka import read_all

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]

TOPIC = "doorstep.fault-relay.v1"
BATCH_SIZE = 50
CASES = 30

metadata = MetaData()
outbox = define_outbox_table(metadata)


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


class Writer:
    """Commits events for its cases in small transactions, each case's in sequence."""

    def __init__(self, engine: AsyncEngine, cases: list[str]) -> None:
        self._sessionmaker = create_sessionmaker(engine)
        self._cases = cases
        self.written: list[str] = []
        self.stopping = False

    async def run(self) -> None:
        sequence = 0
        while not self.stopping:
            sequence += 1
            async with self._sessionmaker() as session, session.begin():
                for case in self._cases:
                    envelope = EventEnvelope(
                        type="test.happened.v1",
                        source="urn:test",
                        subject=case,
                        data={"case": case, "sequence": sequence},
                        sequence=sequence,
                    )
                    await add_to_outbox(session, outbox, envelope, TOPIC)
                    self.written.append(envelope.id)
            await asyncio.sleep(0.01)


async def _published(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_not(None))
        )
    return int(count or 0)


async def _start_relay(database_url: str, bootstrap: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.faults.relay_process",
        database_url,
        bootstrap,
        str(BATCH_SIZE),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_relay_killed_at_random_points_loses_nothing(
    engine: AsyncEngine, postgres_url: str, kafka_bootstrap: str
) -> None:
    kills = int(size(20, 200))
    randomness = random.Random(8)
    cases = [f"case-{n:02d}" for n in range(CASES)]
    writers = [Writer(engine, cases[i::3]) for i in range(3)]
    writing = [asyncio.create_task(w.run()) for w in writers]
    try:
        for kill in range(kills):
            relay = await _start_relay(postgres_url, kafka_bootstrap)
            if kill % 2:
                # Half the kills wait for the relay to publish, so they land mid-stream.
                before = await _published(engine)
                await wait_until(
                    lambda before=before: _published_above(engine, before),  # type: ignore[misc]
                    timeout=30,
                    interval=0.02,
                    message="the relay to publish",
                )
            await asyncio.sleep(randomness.uniform(0.0, 0.4))
            relay.send_signal(signal.SIGKILL)
            await relay.wait()
    finally:
        for writer in writers:
            writer.stopping = True
        await asyncio.gather(*writing)

    last = await _start_relay(postgres_url, kafka_bootstrap)
    written = [event_id for writer in writers for event_id in writer.written]
    try:
        await wait_until(
            lambda: _published_above(engine, len(written) - 1),
            timeout=120,
            message="the outbox to drain",
        )
    finally:
        last.terminate()
        await last.wait()

    messages = await read_all(kafka_bootstrap, TOPIC)
    on_topic = Counter(m.headers["ce_id"] for m in messages)
    assert set(written) <= set(on_topic), f"{len(set(written) - set(on_topic))} events lost"
    assert set(on_topic) <= set(written), "the topic holds events nobody wrote"
    duplicates = sum(n - 1 for n in on_topic.values())
    assert duplicates <= kills * BATCH_SIZE, f"{duplicates} duplicates after {kills} kills"

    first_seen: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for message in sorted(messages, key=lambda m: (m.partition, m.offset)):
        if message.headers["ce_id"] not in seen:
            seen.add(message.headers["ce_id"])
            first_seen[message.headers["ce_subject"]].append(int(message.headers["ce_sequence"]))
    for case, sequences in first_seen.items():
        assert sequences == sorted(sequences), f"{case} out of order on the topic"
        assert sequences == list(range(1, len(sequences) + 1)), f"{case} has a gap"
    assert len(written) > kills * 10, "too little load to prove anything"


async def _published_above(engine: AsyncEngine, count: int) -> bool:
    return await _published(engine) > count
