"""Fixtures for real parts: PostgreSQL on 127.0.0.1:5432, the local broker on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from doorstep_local.broker import BrokerUnavailableError, LocalBroker
from doorstep_shared.events.topics import ALL_TOPICS
from doorstep_shared.messaging.kafka import ensure_topics
from doorstep_shared.settings import ServiceSettings
from tests.support.infra import (
    create_pg_database,
    drop_pg_database,
    pg_url,
    postgres_available,
    sqlite_url,
    unavailable,
)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    broker = LocalBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log")
    try:
        broker.start()
    except BrokerUnavailableError as exc:
        unavailable(f"Kafka-compatible broker ({exc})")
    asyncio.run(
        ensure_topics(
            ServiceSettings(
                database_url="unused", kafka_bootstrap_servers=broker.bootstrap_servers
            ),
            ALL_TOPICS,
        )
    )
    yield broker
    broker.stop()


@pytest.fixture
def kafka_bootstrap(kafka_broker: LocalBroker) -> str:
    return kafka_broker.bootstrap_servers


@pytest.fixture(scope="session")
def postgres_ready() -> bool:
    # Runs in a thread: this fixture may be requested from inside the running test loop.
    with ThreadPoolExecutor(1) as pool:
        reachable = pool.submit(asyncio.run, postgres_available()).result()
    if not reachable:
        unavailable("PostgreSQL at 127.0.0.1:5432")
    return True


@pytest.fixture
async def postgres_url(postgres_ready: bool) -> AsyncIterator[str]:
    name = await create_pg_database()
    yield pg_url(name)
    await drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind, dropped afterwards."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "test.db")
        return
    request.getfixturevalue("postgres_ready")
    name = await create_pg_database()
    yield pg_url(name)
    await drop_pg_database(name)
