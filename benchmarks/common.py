"""What every benchmark shares: the machine description, scratch PostgreSQL databases and the
results file. Benchmarks are run by ``make bench``, never by the tests."""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

RESULTS = Path(__file__).resolve().parent / "results"
PG_HOST = os.environ.get("DOORSTEP_BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("DOORSTEP_BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("DOORSTEP_BENCH_PG_USER", "postgres")


def machine() -> dict[str, Any]:
    """Enough to compare two result files: CPU, memory, Python and PostgreSQL versions."""
    memory_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0]
        memory_kib = int(first.split()[1])
    return {
        "platform": platform.platform(),
        "processor": _cpu_model() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "postgresql": _postgres_version(),
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return ""
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return ""


def _postgres_version() -> str:
    try:
        return asyncio.run(_server_version())
    except (OSError, asyncpg.PostgresError):
        return "unreachable"


async def _server_version() -> str:
    connection = await asyncpg.connect(asyncpg_dsn("postgres"))
    try:
        return str(await connection.fetchval("show server_version"))
    finally:
        await connection.close()


def asyncpg_dsn(database: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def sqlalchemy_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


async def create_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_dsn("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(asyncpg_dsn("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def migrate(cli_module: str, database_url: str, env_prefix: str) -> None:
    """Run a service's Alembic migrations the way an operator does: its ``migrate`` command."""
    env = {**os.environ, f"{env_prefix}DATABASE_URL": database_url}
    subprocess.run([sys.executable, "-m", cli_module, "migrate"], check=True, env=env)


def write_result(name: str, figures: dict[str, Any]) -> Path:
    """``benchmarks/results/<name>.json``: the figures with the machine and the time taken."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **figures,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]
