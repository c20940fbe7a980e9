"""The scheduler's HTTP API over the real ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from doorstep_scheduler.cli import MIGRATIONS
from doorstep_scheduler.db import inbox_table
from doorstep_scheduler.main import create_app
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.handlers import CONSUMER_NAME, build_case_event_handler
from doorstep_shared.messaging.consumer import transactional_handler
from tests.scheduler.case_events import deliver, opened, resolved
from tests.support.apps import app_client, migrate

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
async def app(database_url: str) -> FastAPI:
    await migrate(MIGRATIONS, database_url)
    settings = SchedulerSettings(database_url=database_url, background_workers_enabled=False)
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as http:
        yield http


async def apply_case_events(app: FastAPI, *envelopes: object) -> None:
    """Run events through the app's own sessionmaker, as its consumer would."""
    handle = transactional_handler(
        app.state.sessionmaker,
        inbox_table,
        CONSUMER_NAME,
        build_case_event_handler(app.state.settings, clock=lambda: NOW),
    )
    for envelope in envelopes:
        await deliver(handle, envelope)  # type: ignore[arg-type]


async def test_collectors_are_created_and_listed_by_name(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/collectors", json={"name": "Team B", "max_visits_per_day": 5})
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "Team B"
    assert body["max_visits_per_day"] == 5
    assert body["active"] is True
    uuid.UUID(body["id"])
    await client.post("/v1/collectors", json={"name": "Team A", "max_visits_per_day": 2})

    listed = (await client.get("/v1/collectors")).json()["items"]
    assert [c["name"] for c in listed] == ["Team A", "Team B"]
    assert listed[1]["id"] == body["id"]


async def test_a_collector_name_is_unique(client: httpx.AsyncClient) -> None:
    payload = {"name": "Team A", "max_visits_per_day": 5}
    assert (await client.post("/v1/collectors", json=payload)).status_code == 201
    again = await client.post("/v1/collectors", json=payload)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["type"].endswith("/collector-name-taken")
    assert len((await client.get("/v1/collectors")).json()["items"]) == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "Team A", "max_visits_per_day": 5, "region": "north"},  # unknown field
        {"name": "Team A", "max_visits_per_day": 0},
        {"name": "", "max_visits_per_day": 5},
        {"name": "Team A"},
    ],
)
async def test_invalid_collectors_are_refused_with_a_problem(
    client: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    response = await client.post("/v1/collectors", json=payload)
    assert response.status_code == 422
    assert response.json()["type"].endswith("/validation-error")
    assert (await client.get("/v1/collectors")).json()["items"] == []


async def test_visits_are_listed_filtered_and_read(app: FastAPI, client: httpx.AsyncClient) -> None:
    await client.post("/v1/collectors", json={"name": "Team A", "max_visits_per_day": 5})
    kept, cured = uuid.uuid4(), uuid.uuid4()
    await apply_case_events(
        app, opened(kept, days_past_due=35), opened(cured, days_past_due=50), resolved(cured, 2)
    )

    everything = (await client.get("/v1/visits")).json()["items"]
    assert {v["case_id"] for v in everything} == {str(kept), str(cured)}

    [scheduled] = (await client.get("/v1/visits", params={"case_id": str(kept)})).json()["items"]
    assert scheduled["status"] == "scheduled"
    assert datetime.fromisoformat(scheduled["window_start"]) == datetime(
        2026, 12, 7, 9, 0, tzinfo=UTC
    )
    [cancelled] = (await client.get("/v1/visits", params={"status": "cancelled"})).json()["items"]
    assert cancelled["case_id"] == str(cured)
    assert cancelled["cancel_reason"] == "case resolved: cured"
    assert len((await client.get("/v1/visits", params={"limit": 1})).json()["items"]) == 1

    one = await client.get(f"/v1/visits/{scheduled['id']}")
    assert one.status_code == 200
    assert one.json() == scheduled


async def test_unassigned_visits_show_why(app: FastAPI, client: httpx.AsyncClient) -> None:
    case_id = uuid.uuid4()
    await apply_case_events(app, opened(case_id, days_past_due=35))
    [visit] = (await client.get("/v1/visits", params={"status": "unassigned"})).json()["items"]
    assert visit["case_id"] == str(case_id)
    assert visit["unassigned_reason"] == "no active collector"
    assert visit["collector_id"] is None


async def test_unknown_visit_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/visits/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/visit-not-found")


async def test_invalid_visit_filters_are_422_problems(client: httpx.AsyncClient) -> None:
    for params in ({"status": "done"}, {"case_id": "nope"}, {"limit": 0}):
        response = await client.get("/v1/visits", params=params)
        assert response.status_code == 422
        assert response.json()["type"].endswith("/validation-error")


async def test_health_and_documented_routes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    spec = (await client.get("/openapi.json")).json()
    for path, methods in (("/v1/visits", ["get"]), ("/v1/visits/{visit_id}", ["get"]),
                          ("/v1/collectors", ["get", "post"])):  # fmt: skip
        for method in methods:
            operation = spec["paths"][path][method]
            assert operation["summary"]
            assert operation["description"]
