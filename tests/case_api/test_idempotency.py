"""Idempotency-Key on POST requests, over the real app and database (SQLite and PostgreSQL).

The app gets a few test-only POST routes that count how often they really run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, cast

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.main import create_app
from doorstep_case_api.operations.idempotency import (
    IdempotencyMiddleware,
    document_idempotency,
)
from doorstep_case_api.operations.models import IdempotencyRecord
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.clock import utc_now
from doorstep_shared.errors import ProblemError
from tests.support.apps import bearer, issue_key, migrate


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


class Conflict(ProblemError):
    status = 409
    type_slug = "test-conflict"
    title = "Test conflict"


class Runs:
    """How often each test route really ran, and a gate to hold a request in flight."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}
        self.fail_next = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    def ran(self, route: str) -> int:
        self.count[route] = self.count.get(route, 0) + 1
        return self.count[route]


def counting_routes(runs: Runs) -> APIRouter:
    router = APIRouter(prefix="/v1/test")

    @router.post("/notes", status_code=201)
    async def create_note(note: Note, response: Response) -> dict[str, Any]:
        number = runs.ran("notes")
        response.headers["ETag"] = f'"note.{number}"'
        return {"number": number, "text": note.text}

    @router.post("/flaky", status_code=201)
    async def flaky() -> dict[str, Any]:
        number = runs.ran("flaky")
        if runs.fail_next:
            runs.fail_next -= 1
            return Response(status_code=503, content=b"busy")  # type: ignore[return-value]
        return {"number": number}

    @router.post("/explode")
    async def explode() -> dict[str, Any]:
        runs.ran("explode")
        raise RuntimeError("boom")

    @router.post("/conflict")
    async def conflict() -> dict[str, Any]:
        runs.ran("conflict")
        raise Conflict("always in conflict")

    @router.post("/unauthorised")
    async def unauthorised() -> dict[str, Any]:
        runs.ran("unauthorised")
        return Response(status_code=401)  # type: ignore[return-value]

    @router.post("/slow", status_code=201)
    async def slow() -> dict[str, Any]:
        runs.ran("slow")
        runs.started.set()
        await runs.release.wait()
        return {"done": True}

    @router.put("/notes")
    async def put_note(note: Note) -> dict[str, Any]:
        return {"number": runs.ran("put")}

    return router


def idempotent_test_app(settings: CaseApiSettings, runs: Runs) -> FastAPI:
    app = create_app(settings)
    app.include_router(counting_routes(runs))
    if not any(cast(object, m.cls) is IdempotencyMiddleware for m in app.user_middleware):
        app.add_middleware(IdempotencyMiddleware)
        document_idempotency(app)
    return app


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
async def client(database_url: str, runs: Runs) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    settings = CaseApiSettings(database_url=database_url, background_workers_enabled=False)
    app = idempotent_test_app(settings, runs)
    async with app.router.lifespan_context(app):
        # Unhandled errors become 500 answers here, as they do for a real client.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        token = await issue_key(app, ["cases:write"], name="first-caller")
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=bearer(token)
        ) as http:
            http.app = app  # type: ignore[attr-defined]
            http.caller = "key:" + token[4:12]  # type: ignore[attr-defined]
            yield http


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def records(client: httpx.AsyncClient) -> int:
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        return int(await session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


async def test_a_retry_replays_the_first_answer_without_running_again(
    client: httpx.AsyncClient, runs: Runs
) -> None:
    first = await client.post("/v1/test/notes", json={"text": "hi"}, headers=key("k-1"))
    again = await client.post("/v1/test/notes", json={"text": "hi"}, headers=key("k-1"))

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.json() == {"number": 1, "text": "hi"}
    assert again.headers["ETag"] == first.headers["ETag"] == '"note.1"'
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert runs.count["notes"] == 1


async def test_without_a_key_or_with_a_new_key_the_request_runs(
    client: httpx.AsyncClient, runs: Runs
) -> None:
    await client.post("/v1/test/notes", json={"text": "hi"})
    await client.post("/v1/test/notes", json={"text": "hi"})
    await client.post("/v1/test/notes", json={"text": "hi"}, headers=key("k-1"))
    await client.post("/v1/test/notes", json={"text": "hi"}, headers=key("k-2"))
    # The same key on another path is another request.
    await client.post("/v1/test/flaky", headers=key("k-1"))
    assert runs.count == {"notes": 4, "flaky": 1}


async def test_a_key_reused_with_another_body_is_refused(
    client: httpx.AsyncClient, runs: Runs
) -> None:
    await client.post("/v1/test/notes", json={"text": "hi"}, headers=key("k-1"))
    reused = await client.post("/v1/test/notes", json={"text": "bye"}, headers=key("k-1"))
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert "bye" not in reused.text
    assert runs.count["notes"] == 1


async def test_client_errors_are_replayed_too(client: httpx.AsyncClient, runs: Runs) -> None:
    invalid = await client.post("/v1/test/notes", json={"txt": "hi"}, headers=key("k-1"))
    replayed = await client.post("/v1/test/notes", json={"txt": "hi"}, headers=key("k-1"))
    assert invalid.status_code == replayed.status_code == 422
    assert replayed.json() == invalid.json()
    assert replayed.headers["content-type"] == "application/problem+json"
    assert replayed.headers["Idempotent-Replayed"] == "true"

    conflict = await client.post("/v1/test/conflict", headers=key("k-2"))
    again = await client.post("/v1/test/conflict", headers=key("k-2"))
    assert conflict.status_code == again.status_code == 409
    assert again.json()["type"].endswith("/test-conflict")
    assert runs.count["conflict"] == 1


async def test_server_errors_are_not_stored_so_a_retry_runs(
    client: httpx.AsyncClient, runs: Runs
) -> None:
    runs.fail_next = 1
    failed = await client.post("/v1/test/flaky", headers=key("k-1"))
    assert failed.status_code == 503
    assert await records(client) == 0
    retried = await client.post("/v1/test/flaky", headers=key("k-1"))
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    replayed = await client.post("/v1/test/flaky", headers=key("k-1"))
    assert replayed.json() == retried.json() == {"number": 2}
    assert runs.count["flaky"] == 2


async def test_an_exception_is_not_stored_so_a_retry_runs(
    client: httpx.AsyncClient, runs: Runs
) -> None:
    for _ in range(2):
        response = await client.post("/v1/test/explode", headers=key("k-1"))
        assert response.status_code == 500
    assert runs.count["explode"] == 2
    assert await records(client) == 0


async def test_credential_failures_are_not_stored(client: httpx.AsyncClient, runs: Runs) -> None:
    for _ in range(2):
        assert (await client.post("/v1/test/unauthorised", headers=key("k-1"))).status_code == 401
    assert runs.count["unauthorised"] == 2


async def test_a_duplicate_while_the_first_is_in_flight_is_a_409(
    client: httpx.AsyncClient, runs: Runs
) -> None:
    first = asyncio.create_task(client.post("/v1/test/slow", headers=key("k-1")))
    await asyncio.wait_for(runs.started.wait(), 10)
    duplicate = await client.post("/v1/test/slow", headers=key("k-1"))
    assert duplicate.status_code == 409
    assert duplicate.json()["type"].endswith("/idempotency-key-in-use")
    runs.release.set()
    assert (await first).status_code == 201
    replayed = await client.post("/v1/test/slow", headers=key("k-1"))
    assert replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert runs.count["slow"] == 1


async def test_an_abandoned_claim_is_taken_over(client: httpx.AsyncClient, runs: Runs) -> None:
    # A process died after claiming the key: the placeholder is old and has no answer.
    first = await client.post("/v1/test/notes", json={"text": "hi"}, headers=key("k-1"))
    async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
        route = f"{client.caller} POST /v1/test/notes"  # type: ignore[attr-defined]
        record = await session.get(IdempotencyRecord, ("k-1", route))
        assert record is not None
        record.status_code = 0
        record.created_at = utc_now() - timedelta(hours=1)
    retried = await client.post("/v1/test/notes", json={"text": "hi"}, headers=key("k-1"))
    assert retried.status_code == 201
    assert retried.json()["number"] == first.json()["number"] + 1
    assert "Idempotent-Replayed" not in retried.headers


async def test_invalid_keys_are_refused_and_other_methods_ignore_the_key(
    client: httpx.AsyncClient, runs: Runs
) -> None:
    for bad in (b"x" * 129, b"", "naïve".encode("latin-1")):
        response = await client.post(
            "/v1/test/notes", json={"text": "hi"}, headers=[(b"Idempotency-Key", bad)]
        )
        assert response.status_code == 400
        assert response.json()["type"].endswith("/invalid-idempotency-key")
    for _ in range(2):
        await client.put("/v1/test/notes", json={"text": "hi"}, headers=key("k-1"))
    assert runs.count == {"put": 2}
    assert await records(client) == 0


async def test_the_openapi_document_shows_the_header_on_posts(client: httpx.AsyncClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    post = paths["/v1/test/notes"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
    assert {"400", "409", "422"} <= set(post["responses"])
    assert "Idempotency-Key" not in [
        p["name"] for p in paths["/v1/test/notes"]["put"].get("parameters", [])
    ]


async def test_keys_belong_to_their_caller(client: httpx.AsyncClient, runs: Runs) -> None:
    first = await client.post("/v1/test/notes", json={"text": "hi"}, headers=key("k-1"))
    other = await issue_key(client.app, ["cases:write"], name="second-caller")  # type: ignore[attr-defined]
    # Another caller with the same key and body runs its own request: no one replays an
    # answer meant for somebody else.
    second = await client.post(
        "/v1/test/notes", json={"text": "hi"}, headers={**key("k-1"), **bearer(other)}
    )
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["number"] == first.json()["number"] + 1
    # Without a valid credential nothing is claimed or replayed.
    for headers in ({"Authorization": "Bearer dsk_00000000_" + "x" * 40}, {"Authorization": ""}):
        anonymous = await client.post(
            "/v1/test/notes", json={"text": "hi"}, headers={**key("k-1"), **headers}
        )
        assert "Idempotent-Replayed" not in anonymous.headers
    assert runs.count["notes"] == 4
    assert await records(client) == 2
