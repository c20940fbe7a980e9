"""The scheduler app on the real broker: case events in, visit events out."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from doorstep_scheduler.cli import MIGRATIONS
from doorstep_scheduler.main import create_app
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_shared.events.contracts import VisitNoticeSent, to_envelope
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS
from tests.scheduler.case_events import opened, resolved
from tests.scheduler.planning_support import VisitDataBook
from tests.support.apps import app_client, migrate
from tests.support.infra import sqlite_url, wait_until
from tests.support.kafka import produce_raw, read_all

pytestmark = pytest.mark.kafka


@pytest.fixture
def book() -> VisitDataBook:
    return VisitDataBook()


@pytest.fixture
async def scheduler(
    kafka_bootstrap: str, tmp_path: Path, book: VisitDataBook
) -> AsyncIterator[httpx.AsyncClient]:
    database_url = sqlite_url(tmp_path / "scheduler.db")
    await migrate(MIGRATIONS, database_url)
    settings = SchedulerSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"scheduler-test-{uuid.uuid4().hex[:8]}",
        notice_consumer_group=f"scheduler-notices-{uuid.uuid4().hex[:8]}",
        outbox_poll_interval_seconds=0.05,
        planning_time_budget_seconds=1.0,
    )
    async with app_client(create_app(settings, visit_data=book)) as client:
        yield client


async def publish(bootstrap: str, envelope: EventEnvelope, topic: str = CASE_EVENTS) -> None:
    await produce_raw(
        bootstrap,
        topic,
        envelope.kafka_value(),
        key=envelope.subject.encode(),
        headers=envelope.kafka_headers(),
    )


async def visit_events(bootstrap: str, case_id: uuid.UUID, event_type: str) -> list[Any]:
    return [
        json.loads(message.value or b"")
        for message in await read_all(bootstrap, CASE_STATUS, idle_ms=500)
        if message.headers.get("ce_type") == event_type
        and message.headers.get("ce_subject") == str(case_id)
    ]


async def test_case_events_on_the_broker_plan_announce_and_cancel_a_visit(
    scheduler: httpx.AsyncClient, kafka_bootstrap: str, book: VisitDataBook
) -> None:
    case_id = uuid.uuid4()
    book.add(case_id)
    await publish(kafka_bootstrap, opened(case_id, days_past_due=35))

    async def visit_is(status: str) -> bool:
        response = await scheduler.get("/v1/visits", params={"case_id": str(case_id)})
        return [v["status"] for v in response.json()["items"]] == [status]

    # The request wakes the planner: no one has to ask for a plan.
    await wait_until(lambda: visit_is("scheduled"), timeout=60, message="a planned visit")
    [visit] = (await scheduler.get("/v1/visits", params={"case_id": str(case_id)})).json()["items"]
    teams = (await scheduler.get("/v1/teams")).json()["items"]
    assert [t["name"] for t in teams] == ["Team 1", "Team 2", "Team 3"]  # demo teams seeded
    assert visit["team_id"] in {t["id"] for t in teams}

    scheduled_type = "doorstep.visit.scheduled.v1"

    async def scheduled_published() -> bool:
        return bool(await visit_events(kafka_bootstrap, case_id, scheduled_type))

    await wait_until(scheduled_published, timeout=30, message="VisitScheduled on the broker")
    [announced] = await visit_events(kafka_bootstrap, case_id, scheduled_type)
    assert announced["visit_id"] == visit["id"]
    assert announced["collector_id"] == visit["team_id"]

    # The notifier's word comes back on the status topic: the visit may go ahead.
    messages = await read_all(kafka_bootstrap, CASE_STATUS, idle_ms=500)
    [announcement_id] = [
        m.headers["ce_id"]
        for m in messages
        if m.headers.get("ce_type") == scheduled_type
        and m.headers.get("ce_subject") == str(case_id)
    ]
    sent = VisitNoticeSent(
        case_id=case_id,
        visit_id=uuid.UUID(visit["id"]),
        notification_id=uuid.uuid4(),
        channel="sms",
        trigger_event_id=announcement_id,
        sent_at=datetime.now(UTC),
    )
    await publish(kafka_bootstrap, to_envelope(sent, "urn:doorstep:notifier"), CASE_STATUS)

    async def notice_recorded() -> bool:
        found = (await scheduler.get(f"/v1/visits/{visit['id']}")).json()
        return bool(found["notice_status"] == "sent")

    await wait_until(notice_recorded, timeout=30, message="the notice recorded on the visit")

    await publish(kafka_bootstrap, resolved(case_id, sequence=2))
    await wait_until(lambda: visit_is("cancelled"), timeout=30, message="a cancelled visit")
    cancelled_type = "doorstep.visit.cancelled.v1"

    async def cancelled_published() -> bool:
        return bool(await visit_events(kafka_bootstrap, case_id, cancelled_type))

    await wait_until(cancelled_published, timeout=30, message="VisitCancelled on the broker")
    [retracted] = await visit_events(kafka_bootstrap, case_id, cancelled_type)
    assert retracted["visit_id"] == visit["id"]
    assert retracted["reason"] == "case resolved: cured"
    # Still exactly one announcement: nothing was published twice.
    assert len(await visit_events(kafka_bootstrap, case_id, scheduled_type)) == 1


async def test_a_redelivered_case_event_on_the_broker_requests_once(
    scheduler: httpx.AsyncClient, kafka_bootstrap: str, book: VisitDataBook
) -> None:
    case_id = uuid.uuid4()
    book.add(case_id)
    event = opened(case_id, days_past_due=40)
    await publish(kafka_bootstrap, event)
    await publish(kafka_bootstrap, event)  # the producer retried: same ce_id twice

    async def one_visit() -> bool:
        found = (await scheduler.get("/v1/visits", params={"case_id": str(case_id)})).json()
        return [v["status"] for v in found["items"]] == ["scheduled"]

    await wait_until(one_visit, timeout=60, message="one planned visit")
    # Same key, so same partition, after the duplicate: once it shows, the duplicate was read.
    await publish(kafka_bootstrap, resolved(case_id, sequence=2))

    async def cancelled_published() -> bool:
        return bool(await visit_events(kafka_bootstrap, case_id, "doorstep.visit.cancelled.v1"))

    await wait_until(cancelled_published, timeout=30, message="VisitCancelled on the broker")
    visits = (await scheduler.get("/v1/visits", params={"case_id": str(case_id)})).json()
    assert [v["status"] for v in visits["items"]] == ["cancelled"]
    assert len(await visit_events(kafka_bootstrap, case_id, "doorstep.visit.scheduled.v1")) == 1
