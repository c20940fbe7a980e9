"""The three services started as the user starts them, on a broker of their own."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from doorstep_local.broker import free_port
from doorstep_local.stack import Stack
from tests.support.infra import create_pg_database, drop_pg_database, pg_url

SERVICES = ("case-api", "notifier", "scheduler")


def make_stack(tmp_path: Path, database_urls: dict[str, str] | None = None) -> Stack:
    prefixes = {"case-api": "CASE_API_", "notifier": "NOTIFIER_", "scheduler": "SCHEDULER_"}
    # Short publish timeouts, so a broker outage fails in-flight sends within seconds.
    env = {f"{prefix}KAFKA_SEND_TIMEOUT_SECONDS": "2" for prefix in prefixes.values()}
    for name, url in (database_urls or {}).items():
        env[f"{prefixes[name]}DATABASE_URL"] = url
    return Stack(
        tmp_path,
        broker_port=free_port(),
        ports=(free_port(), free_port(), free_port()),
        env=env,
        announce=False,
    )


def _run(coroutine: Any) -> Any:
    # e2e tests are synchronous; run helpers in a private loop on a worker thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    databases: dict[str, str] = {}
    if request.param == "postgresql":
        request.getfixturevalue("postgres_ready")
        databases = {name: pg_url(_run(create_pg_database("doorstep_e2e"))) for name in SERVICES}
    running = make_stack(tmp_path, databases)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for url in databases.values():
            _run(drop_pg_database(url.rsplit("/", 1)[1]))


@pytest.fixture
def sqlite_stack(tmp_path: Path) -> Iterator[Stack]:
    running = make_stack(tmp_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def postgres_stack(tmp_path: Path, postgres_ready: bool) -> Iterator[Stack]:
    databases = {name: pg_url(_run(create_pg_database("doorstep_e2e"))) for name in SERVICES}
    running = make_stack(tmp_path, databases)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for url in databases.values():
            _run(drop_pg_database(url.rsplit("/", 1)[1]))


run_async = _run


def eventually(
    check: Callable[[], bool], timeout: float, what: str, interval: float = 0.25
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def unique_account() -> str:
    return f"ACC-{uuid.uuid4().hex[:10]}"


def timeline_types(client: httpx.Client, case_id: str) -> list[str]:
    return [e["event_type"] for e in client.get(f"/v1/cases/{case_id}").json()["timeline"]]


def add_team_near(stack: Stack, latitude: float, longitude: float, timezone: str) -> str:
    """A two-collector team based by the customer, working every day in the customer's zone
    (the demo teams work London hours, which need not meet a far zone's daytime)."""
    with httpx.Client(
        base_url=stack.url("scheduler"), timeout=10, headers=stack.operator_headers
    ) as scheduler:
        team = scheduler.post(
            "/v1/teams",
            json={
                "name": f"Near {uuid.uuid4().hex[:8]}",
                "timezone": timezone,
                "base": {"latitude": latitude, "longitude": longitude},
                "max_visits_per_day": 8,
            },
        )
        assert team.status_code == 201, team.text
        team_id = str(team.json()["id"])
        for member in range(2):
            created = scheduler.post(
                "/v1/collectors",
                json={
                    "employee_ref": f"E2E-{uuid.uuid4().hex[:8]}-{member}",
                    "name": f"Field collector {member}",
                    "team_id": team_id,
                    "working_hours": {"start": "08:00", "end": "20:00"},
                    "working_weekdays": [0, 1, 2, 3, 4, 5, 6],
                    "languages": ["en"],
                    "skills": [],
                    "max_visits_per_day": 8,
                },
            )
            assert created.status_code == 201, created.text
    return team_id
