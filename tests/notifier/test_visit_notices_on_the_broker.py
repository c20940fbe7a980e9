"""The whole notifier app on the real broker: a visit planned on the status topic, the customer
notified, ``VisitNoticeSent`` published on the status topic."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from doorstep_shared.events.topics import CASE_STATUS
from tests.notifier.contact_stub import ContactStub
from tests.notifier.factories import envelope, opened
from tests.notifier.test_on_the_broker import (  # noqa: F401  (fixture used by name)
    PERSONAL_DATA,
    notifier,
    publish,
)
from tests.notifier.test_visit_notices import PURPOSE, scheduled
from tests.support.infra import wait_until
from tests.support.kafka import produce_raw, read_all

pytestmark = pytest.mark.kafka


async def test_a_visit_planned_on_the_status_topic_is_announced_once(
    notifier: httpx.AsyncClient,  # noqa: F811
    kafka_bootstrap: str,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, preferred_language="en")
    await publish(kafka_bootstrap, envelope(opened(case_id)))  # the case view first
    event, _ = scheduled(case_id, uuid.uuid4(), datetime.now(UTC) + timedelta(days=3))
    for _delivery in range(2):  # delivered twice: one notice
        await produce_raw(
            kafka_bootstrap,
            CASE_STATUS,
            event.kafka_value(),
            key=event.subject.encode(),
            headers=event.kafka_headers(),
        )

    async def visit_notices() -> list[dict[str, object]]:
        response = await notifier.get(
            "/v1/notifications", params={"case_id": str(case_id), "kind": "visit_appointment"}
        )
        items: list[dict[str, object]] = response.json()["items"]
        return items

    async def sent() -> bool:
        return [n["status"] for n in await visit_notices()] == ["sent"]

    await wait_until(sent, timeout=30, message="the appointment notice to be sent")
    [notice] = await visit_notices()
    detail = (await notifier.get(f"/v1/notifications/{notice['id']}")).json()
    assert PURPOSE in detail["message"]["body"]

    async def announcements() -> list[bytes]:
        return [
            message.value or b""
            for message in await read_all(kafka_bootstrap, CASE_STATUS, idle_ms=500)
            if message.key == str(case_id).encode()
            and message.headers["ce_type"] == "doorstep.visit.notice_sent.v1"
        ]

    async def announced() -> bool:
        return len(await announcements()) >= 1

    await wait_until(announced, timeout=30, message="VisitNoticeSent on the status topic")
    [payload] = await announcements()
    data = json.loads(payload)
    assert data["trigger_event_id"] == event.id
    assert data["notification_id"] == notice["id"]
    assert not any(personal in payload.decode() for personal in PERSONAL_DATA)
