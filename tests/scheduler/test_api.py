"""The scheduler's visit and plan API over the real ASGI app, on SQLite and PostgreSQL."""

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
from doorstep_scheduler.planning.solver import PyVrpPlanner
from doorstep_scheduler.planning.travel import HaversineTravel
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.handlers import CONSUMER_NAME, build_case_event_handler
from doorstep_shared.messaging.consumer import transactional_handler
from tests.scheduler.case_events import deliver, opened, resolved
from tests.scheduler.conftest import SchedulerDb
from tests.scheduler.planning_support import VisitDataBook, add_team
from tests.support.apps import app_client, migrate

# Before the scheduler's clock (the real one, in tests of the API): a plan always lies ahead.
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def book() -> VisitDataBook:
    return VisitDataBook()


@pytest.fixture
async def app(database_url: str, book: VisitDataBook) -> FastAPI:
    await migrate(MIGRATIONS, database_url)
    settings = SchedulerSettings(database_url=database_url, background_workers_enabled=False)
    planner = PyVrpPlanner(HaversineTravel(25.0), time_budget_seconds=1.0)
    return create_app(settings, visit_data=book, route_planner=planner)


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


async def test_visits_are_requested_planned_listed_and_read(
    app: FastAPI, client: httpx.AsyncClient, book: VisitDataBook
) -> None:
    kept, cured = uuid.uuid4(), uuid.uuid4()
    book.add(kept)
    await apply_case_events(
        app, opened(kept, days_past_due=35), opened(cured, days_past_due=50), resolved(cured, 2)
    )
    [waiting] = (await client.get("/v1/visits", params={"status": "unassigned"})).json()["items"]
    assert (waiting["case_id"], waiting["unassigned_code"]) == (str(kept), "awaiting_plan")

    db = SchedulerDb(app.state.settings.database_url, app.state.engine, app.state.sessionmaker)
    team_id, _ = await add_team(db, "North")
    ran = await client.post("/v1/plans")
    assert ran.status_code == 200, ran.text
    plan = ran.json()["plan"]
    assert (plan["planned"], plan["unplanned"]) == (1, 0)
    assert plan["solver"].startswith("pyvrp")

    [scheduled] = (await client.get("/v1/visits", params={"case_id": str(kept)})).json()["items"]
    assert scheduled["status"] == "scheduled"
    assert scheduled["team_id"] == str(team_id)
    assert datetime.fromisoformat(scheduled["window_start"]).tzinfo is not None
    assert "terms" not in scheduled
    assert "outcome_notes" not in scheduled
    [cancelled] = (await client.get("/v1/visits", params={"status": "cancelled"})).json()["items"]
    assert cancelled["case_id"] == str(cured)
    assert cancelled["cancel_reason"] == "case resolved: cured"
    one = await client.get(f"/v1/visits/{scheduled['id']}")
    assert one.status_code == 200
    assert one.json()["id"] == scheduled["id"]

    [logged] = (await client.get("/v1/plans")).json()["items"]
    assert logged == plan


async def test_planning_with_nothing_to_do_answers_no_plan(client: httpx.AsyncClient) -> None:
    ran = await client.post("/v1/plans")
    assert ran.status_code == 200
    assert ran.json() == {"plan": None}
    assert (await client.get("/v1/plans")).json() == {"items": []}


async def test_unknown_visit_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/visits/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/visit-not-found")


async def test_invalid_filters_are_422_problems(client: httpx.AsyncClient) -> None:
    for path, params in (
        ("/v1/visits", {"status": "done"}),
        ("/v1/visits", {"case_id": "nope"}),
        ("/v1/visits", {"limit": 0}),
        ("/v1/plans", {"limit": 1000}),
    ):
        response = await client.get(path, params=params)
        assert response.status_code == 422
        assert response.json()["type"].endswith("/validation-error")


async def test_health_and_documented_routes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "consumers": {}}
    spec = (await client.get("/openapi.json")).json()
    for path, methods in (
        ("/v1/visits", ["get"]),
        ("/v1/visits/{visit_id}", ["get"]),
        ("/v1/plans", ["get", "post"]),
    ):
        for method in methods:
            operation = spec["paths"][path][method]
            assert operation["summary"]
            assert operation["description"]


async def test_replanning_answers_with_the_waiting_visit_or_a_problem(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    case_id = uuid.uuid4()
    await apply_case_events(app, opened(case_id, days_past_due=35))
    [waiting] = (await client.get("/v1/visits", params={"case_id": str(case_id)})).json()["items"]
    again = await client.post(f"/v1/visits/{waiting['id']}/replan")
    assert again.status_code == 200, again.text
    assert again.json()["unassigned_reason"] == "re-planning requested by operations"
    missing = await client.post(f"/v1/visits/{uuid.uuid4()}/replan")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    await apply_case_events(app, resolved(case_id, 2))
    cancelled = await client.post(f"/v1/visits/{waiting['id']}/replan")
    assert cancelled.status_code == 409
    assert cancelled.json()["type"].endswith("/visit-state-conflict")
