"""The whole notifier app on the real broker: case events in, notice sent, status event out."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from doorstep_notifier.main import create_app
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS
from tests.notifier.conftest import migrated_notifier_db
from tests.notifier.contact_stub import TOKEN, ContactStub, Slow
from tests.notifier.factories import envelope, opened, resolved
from tests.support.apps import app_client
from tests.support.infra import wait_until
from tests.support.kafka import read_all

pytestmark = pytest.mark.kafka

PERSONAL_DATA = ("Li Wei", "8613800138000", "li.wei@example.com", "Century Avenue", "200120")


@pytest.fixture
async def notifier(
    database_url: str, kafka_bootstrap: str, contact_stub: ContactStub
) -> AsyncIterator[httpx.AsyncClient]:
    async with migrated_notifier_db(database_url):
        pass
    settings = NotifierSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"notifier-test-{uuid.uuid4().hex[:8]}",
        case_api_url=contact_stub.url,
        case_api_token=TOKEN,
        dispatch_poll_interval_seconds=0.05,
        outbox_poll_interval_seconds=0.05,
    )
    async with app_client(create_app(settings)) as client:
        yield client


async def publish(bootstrap: str, *envelopes: EventEnvelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in envelopes:
            await producer.send_and_wait(
                CASE_EVENTS,
                event.kafka_value(),
                key=event.subject.encode(),
                headers=event.kafka_headers(),
            )
    finally:
        await producer.stop()


async def notices_of(client: httpx.AsyncClient, case_id: uuid.UUID) -> list[dict[str, Any]]:
    response = await client.get("/v1/notifications", params={"case_id": str(case_id)})
    return response.json()["items"]


async def status_events(bootstrap: str, case_id: uuid.UUID) -> list[tuple[str, bytes]]:
    return [
        (message.headers["ce_type"], message.value or b"")
        for message in await read_all(bootstrap, CASE_STATUS, idle_ms=500)
        if message.key == str(case_id).encode()
    ]


async def test_opened_case_is_notified_once_and_announced_without_personal_data(
    notifier: httpx.AsyncClient, kafka_bootstrap: str, contact_stub: ContactStub
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    event = envelope(opened(case_id))
    await publish(kafka_bootstrap, event, event)  # delivered twice: one notice

    async def sent() -> bool:
        return [n["status"] for n in await notices_of(notifier, case_id)] == ["sent"]

    await wait_until(sent, timeout=30, message="the notice to be sent")

    async def announced() -> bool:
        return len(await status_events(kafka_bootstrap, case_id)) >= 1

    await wait_until(announced, timeout=30, message="NotificationSent on the status topic")
    [(event_type, payload)] = await status_events(kafka_bootstrap, case_id)
    assert event_type == "doorstep.notification.sent.v1"
    data = json.loads(payload)
    assert data["trigger_event_id"] == event.id
    assert data["channel"] == "sms"
    text = payload.decode()
    assert not any(personal in text for personal in PERSONAL_DATA)
    assert contact_stub.calls_for(case_id) == 1


# The race is the same on both databases (the dispatcher tests run it on each); once is enough.
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_case_cured_while_its_notice_is_prepared_gets_no_notice(
    notifier: httpx.AsyncClient, kafka_bootstrap: str, contact_stub: ContactStub
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    contact_stub.script(case_id, Slow(2.0))
    await publish(kafka_bootstrap, envelope(opened(case_id)))
    await contact_stub.first_call(case_id, timeout=30)
    # The dispatcher now waits for contact data; the cure arrives meanwhile.
    await publish(kafka_bootstrap, envelope(resolved(case_id, 2)))

    async def cancelled() -> bool:
        return [n["status"] for n in await notices_of(notifier, case_id)] == ["cancelled"]

    await wait_until(cancelled, timeout=30, message="the notice to be cancelled")
    await asyncio.sleep(2.0)  # the attempt in flight has ended, and found the notice cancelled
    [notice] = await notices_of(notifier, case_id)
    assert notice["status"] == "cancelled"
    detail = (await notifier.get(f"/v1/notifications/{notice['id']}")).json()
    assert detail["message"] is None
    assert await status_events(kafka_bootstrap, case_id) == []
