"""Fault scenarios: the three services as processes on PostgreSQL and the local broker.

CI runs each scenario reduced; ``make faults`` runs them at the sizes issue 8 names
(DOORSTEP_FAULTS=full).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from doorstep_local.stack import Stack
from tests.e2e.conftest import SERVICES, make_stack, run_async
from tests.faults.checker import Expectations, Report, settled
from tests.support.infra import create_pg_database, drop_pg_database, pg_url

FULL = os.environ.get("DOORSTEP_FAULTS", "").lower() == "full"


def size(reduced: float, full: float) -> float:
    """A scenario's size: reduced in CI, the issue's figure under ``make faults``."""
    return full if FULL else reduced


@dataclass
class FaultStack:
    stack: Stack
    databases: dict[str, str]  # SQLAlchemy URLs by service name

    @property
    def bootstrap(self) -> str:
        return self.stack.broker.bootstrap_servers

    def settled(self, expected: Expectations, timeout: float) -> Report:
        """The checker's report once the services caught up (or ``timeout`` passed)."""
        report: Report = run_async(settled(self.databases, self.bootstrap, expected, timeout))
        return report

    def value(self, service: str, sql: str, *arguments: Any) -> Any:
        """One value from a service's database, read directly (not through the service)."""
        return run_async(fetch_value(self.databases[service], sql, *arguments))


async def fetch_value(database_url: str, sql: str, *arguments: Any) -> Any:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return await conn.fetchval(sql, *arguments)
    finally:
        await conn.close()


def stack_on(tmp_path: Path, databases: dict[str, str], env: dict[str, str] | None = None) -> Stack:
    stack = make_stack(tmp_path, databases)
    stack.extra_env.update(env or {})
    return stack


def stop_gracefully(stack: Stack, name: str) -> None:
    """SIGTERM, as an orchestrator stops a pod; the service must run its shutdown to the end
    (uvicorn re-raises the signal afterwards, so the exit status says -15 either way)."""
    log = stack.log_dir / f"{name}.log"
    written = log.stat().st_size
    process = stack.processes.pop(name)
    process.send_signal(signal.SIGTERM)
    process.wait(30)
    with log.open("rb") as tail:
        tail.seek(written)
        assert b'"service stopped"' in tail.read(), f"{name} did not finish its shutdown"


def _new_database() -> str:
    return pg_url(run_async(create_pg_database("doorstep_faults")))


@pytest.fixture
def fault_stack(tmp_path: Path, postgres_ready: bool) -> Iterator[FaultStack]:
    databases = {name: _new_database() for name in SERVICES}
    stack = stack_on(tmp_path, databases)
    try:
        stack.start()
        yield FaultStack(stack, databases)
    finally:
        stack.stop()
        for url in databases.values():
            run_async(drop_pg_database(url.rsplit("/", 1)[1]))
