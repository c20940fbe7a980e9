"""Liveness follows consumer progress, on the real broker: stalled with lag is not alive."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from doorstep_case_api.cli import MIGRATIONS as CASE_API_MIGRATIONS
from doorstep_case_api.main import create_app as create_case_api
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.events.contracts import EventData, to_envelope
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.events.topics import dead_letter_topic
from doorstep_shared.health import router as health_router
from doorstep_shared.messaging.consumer import EventConsumer, Handler, transactional_handler
from doorstep_shared.messaging.inbox import define_inbox_table
from doorstep_shared.messaging.kafka import ensure_topics
from doorstep_shared.runtime import Workers
from doorstep_shared.settings import ServiceSettings
from tests.support.apps import app_client, migrate
from tests.support.events import case_opened
from tests.support.infra import sqlite_url, wait_until
from tests.support.kafka import produce_raw

pytestmark = pytest.mark.kafka

STALL_SECONDS = 2.0

metadata = MetaData()
inbox = define_inbox_table(metadata)


class Blocking:
    """A handler that holds its first record until released."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, envelope: EventEnvelope, data: EventData) -> bool:
        self.entered.set()
        await self.release.wait()
        return True


async def applied(envelope: EventEnvelope, data: EventData) -> bool:
    return True


@pytest.fixture
async def topic(kafka_bootstrap: str) -> str:
    name = f"test.liveness.{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(database_url="unused", kafka_bootstrap_servers=kafka_bootstrap)
    await ensure_topics(settings, (name, dead_letter_topic(name)))
    return name


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def service(tmp_path: Path, kafka_bootstrap: str) -> AsyncIterator[FastAPI]:
    """The health routes with the state a service's lifespan gives them."""
    app = FastAPI()
    app.include_router(health_router)
    app.state.settings = settings(kafka_bootstrap)
    app.state.engine = create_engine(sqlite_url(tmp_path / "health.db"))
    app.state.workers = Workers()
    yield app
    await app.state.workers.stop()
    await app.state.engine.dispose()


@pytest.fixture
async def client(service: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def settings(bootstrap: str) -> ServiceSettings:
    return ServiceSettings(
        database_url="unused",
        kafka_bootstrap_servers=bootstrap,
        consumer_stall_seconds=STALL_SECONDS,
    )


def consumer_on(bootstrap: str, topic: str, handler: Handler) -> EventConsumer:
    return EventConsumer(
        settings(bootstrap),
        topics=(topic,),
        group_id=f"test-liveness-{uuid.uuid4().hex[:8]}",
        client_id="test",
        handler=handler,
    )


async def publish(bootstrap: str, topic: str, envelope: EventEnvelope) -> None:
    await produce_raw(
        bootstrap,
        topic,
        envelope.kafka_value(),
        key=envelope.subject.encode(),
        headers=envelope.kafka_headers(),
    )


def opened() -> EventEnvelope:
    return to_envelope(case_opened(uuid.uuid4()), "urn:test", sequence=1)


async def health(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/healthz")
    return response.status_code, response.json()


async def wait_for_health(
    client: httpx.AsyncClient, status: int, group: str, **expected: object
) -> dict[str, Any]:
    """Poll /healthz until it answers ``status`` and the group's entry has ``expected``."""
    seen: dict[str, Any] = {}

    async def reached() -> bool:
        nonlocal seen
        code, seen = await health(client)
        entry = seen.get("consumers", {}).get(group, {})
        return code == status and all(entry.get(k) == v for k, v in expected.items())

    try:
        await wait_until(reached, timeout=30, message=f"/healthz {status} with {expected}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last body: {seen}") from None
    return seen


async def test_a_consumer_stuck_on_a_record_fails_liveness_until_it_moves_again(
    service: FastAPI, client: httpx.AsyncClient, kafka_bootstrap: str, topic: str
) -> None:
    handler = Blocking()
    consumer = consumer_on(kafka_bootstrap, topic, handler)
    group = consumer.group_id
    service.state.workers.start_consumer("blocked-consumer", consumer)
    case = opened()
    await publish(kafka_bootstrap, topic, case)
    await publish(kafka_bootstrap, topic, opened())
    await asyncio.wait_for(handler.entered.wait(), 30)

    failing = await wait_for_health(client, 503, group, stalled=True, lag=2)
    assert failing["status"] == "failing"
    assert failing["stalled_consumers"] == [group]
    assert failing["dead_workers"] == []
    stuck = failing["consumers"][group]
    assert stuck["handled"] == 0
    # The record in hand and the one behind it (one key: one partition) are both still lag.
    assert stuck["lag"] == 2
    assert stuck["seconds_since_progress"] > STALL_SECONDS

    handler.release.set()
    alive = await wait_for_health(client, 200, group, lag=0, handled=2)
    assert alive["status"] == "ok"
    assert alive["consumers"][group]["stalled"] is False
    assert "stalled_consumers" not in alive


async def test_an_idle_consumer_without_lag_stays_alive_past_the_stall_limit(
    service: FastAPI, client: httpx.AsyncClient, kafka_bootstrap: str, topic: str
) -> None:
    consumer = consumer_on(kafka_bootstrap, topic, applied)
    service.state.workers.start_consumer("idle-consumer", consumer)
    await wait_for_health(client, 200, consumer.group_id, lag=0)

    caught_up_at = time.monotonic()
    answers = 0
    while time.monotonic() - caught_up_at < 2 * STALL_SECONDS:
        code, body = await health(client)
        entry = body["consumers"][consumer.group_id]
        assert (code, body["status"], entry["stalled"]) == (200, "ok", False), body
        assert entry["lag"] == 0
        assert entry["seconds_since_progress"] < STALL_SECONDS
        answers += 1
        await asyncio.sleep(0.2)
    assert answers > 5


async def test_health_counts_handled_and_duplicate_records(
    service: FastAPI,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    kafka_bootstrap: str,
    topic: str,
) -> None:
    async def apply(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
        return None

    handler = transactional_handler(create_sessionmaker(engine), inbox, "test", apply)
    consumer = consumer_on(kafka_bootstrap, topic, handler)
    service.state.workers.start_consumer("counting-consumer", consumer)
    twice, once = opened(), opened()
    for envelope in (twice, twice, once):  # at-least-once: the first event arrives again
        await publish(kafka_bootstrap, topic, envelope)

    body = await wait_for_health(client, 200, consumer.group_id, handled=2, duplicates=1, lag=0)
    assert body["consumers"][consumer.group_id] == {
        "handled": 2,
        "duplicates": 1,
        "skipped_unknown": 0,
        "dead_lettered": 0,
        "retries": 0,
        "lag": 0,
        "seconds_since_progress": body["consumers"][consumer.group_id]["seconds_since_progress"],
        "stalled": False,
    }


async def test_a_service_reports_its_consumer_by_group_id(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    database_url = sqlite_url(tmp_path / "case-api.db")
    await migrate(CASE_API_MIGRATIONS, database_url)
    group = f"case-api-liveness-{uuid.uuid4().hex[:8]}"
    app = create_case_api(
        CaseApiSettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka_bootstrap,
            consumer_group=group,
            daily_evaluation_enabled=False,
        )
    )
    async with app_client(app, scopes=None) as client:
        body = await wait_for_health(client, 200, group, stalled=False)
    assert body["status"] == "ok"
    assert set(body["consumers"]) == {group}
