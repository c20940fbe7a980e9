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
