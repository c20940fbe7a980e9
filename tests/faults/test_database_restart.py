"""Scenario 9: PostgreSQL stopped and started again under load. Readiness reports the outage
meanwhile; intake is refused (and retried by the bank), never half-done; the services recover
by themselves, with nothing lost or done twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import SERVICES, eventually, run_async, unique_account
from tests.faults.checker import Expectations
from tests.faults.conftest import FaultStack, size, stack_on
from tests.faults.load import Background, Intake
from tests.faults.postgres_server import PostgresServer, available

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


async def _create(server: PostgresServer, name: str) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[tuple[FaultStack, PostgresServer]]:
    if not available():
        pytest.fail("PostgreSQL server binaries (Debian postgresql-15) are required")
    server = PostgresServer()
    server.start()
    databases = {}
    for service in SERVICES:
        name = service.replace("-", "_")
        run_async(_create(server, name))
        databases[service] = server.url(name)
    stack = stack_on(tmp_path, databases)
    try:
        stack.start()
        yield FaultStack(stack, databases), server
    finally:
        stack.stop()
        server.destroy()


def _ready(url: str) -> dict[str, str]:
    try:
        response = httpx.get(f"{url}/readyz", timeout=5)
    except httpx.HTTPError:
        return {"database": "no answer"}
    return dict(response.json()["checks"])


def test_services_ride_out_a_database_restart(
    restartable: tuple[FaultStack, PostgresServer],
) -> None:
    fault_stack, server = restartable
    stack = fault_stack.stack
    intake = Intake(stack.url("case-api"), stack.operator_headers, concurrency=8)
    accounts = [unique_account() for _ in range(int(size(150, 1500)))]
    load = Background(lambda: intake.open_accounts(accounts, 95_000))
    eventually(lambda: intake.answered > 30, timeout=60, what="intake under way")

    server.stop()
    try:
        for name in SERVICES:
            eventually(
                lambda name=name: _ready(stack.url(name))["database"] != "ok",  # type: ignore[misc]
                timeout=30,
                what=f"{name} readiness to report the database outage",
            )
            # Alive all the same: a restart would not bring the database back.
            assert httpx.get(f"{stack.url(name)}/healthz", timeout=5).status_code == 200
        answered_during = intake.answered
        time.sleep(size(5, 30))
        assert intake.answered == answered_during, "intake was accepted with the database down"
    finally:
        server.start()

    for name in SERVICES:
        eventually(
            lambda name=name: _ready(stack.url(name))["database"] == "ok",  # type: ignore[misc]
            timeout=60,
            what=f"{name} to see the database again",
        )
    load.join()
    assert intake.retried > 0, "the outage came too late to refuse any intake"
    report = fault_stack.settled(
        Expectations(accepted=intake.accepted, notices_per_case=1), timeout=size(180, 600)
    )
    report.assert_clean()
    stack.check_alive()
