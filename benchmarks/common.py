"""What every benchmark shares: the machine description, scratch PostgreSQL databases and the
results file. Benchmarks are run by ``make bench``, never by the tests."""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from doorstep_local.broker import LocalBroker, free_port
from doorstep_local.identity import LocalIdentity
from doorstep_shared.security.principal import Scope

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


# --- Services under load: case-api (and any other uvicorn process) on a scratch database. ---

BENCH_DATE = date(2026, 12, 1)  # the first as-of date of every synthetic snapshot


def account_id(prefix: str, index: int) -> str:
    return f"{prefix}-{index:08d}"


def delinquency_snapshot(
    index: int, revision: int = 0, customer_prefix: str = "BENCH-C"
) -> dict[str, Any]:
    """The body of ``PUT /v1/accounts/{id}/delinquency`` for synthetic account ``index``
    (customer ``<customer_prefix>-<index>``).

    ``revision`` 0 is the first report; each later revision is one day newer, one day more
    past due, with more interest and penalties, as the nightly feed reports an account that
    stays unpaid. Names, phones and addresses are made up (fictional phone range).
    """
    days_past_due = 1 + index % 120 + revision
    as_of = BENCH_DATE + timedelta(days=revision)
    return {
        "as_of_date": as_of.isoformat(),
        "customer": {
            "customer_id": f"{customer_prefix}-{index:08d}",
            "name": f"Bench Customer {index}",
            "phone": f"+447700{index % 1_000_000:06d}",
            "email": f"customer{index}@example.test",
            "address": {
                "line1": f"{index % 500 + 1} Bench Street",
                "city": "London",
                "postal_code": "EC1A 1BB",
                "country": "GB",
                "latitude": 51.5 + (index % 100) / 1000,
                "longitude": -0.12 + (index % 100) / 1000,
            },
            "timezone": "Europe/London",
            "preferred_language": "en",
        },
        "loan": {
            "product": "personal-loan",
            "currency": "GBP",
            "days_past_due": days_past_due,
            "oldest_unpaid_due_date": (as_of - timedelta(days=days_past_due)).isoformat(),
            "arrears": {
                "principal": _pounds(10_000 + index * 3_700 % 500_000),
                "interest": _pounds(150 + index % 9_000 + revision * 125),
                "fees": _pounds(2_000),
                "penalties": _pounds(revision * 40),
            },
        },
    }


def _pounds(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def start_process(
    command: list[str], env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    """A server process in its own session (stopped by ``stop_process``), logging to a file."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def wait_ready(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 90.0
) -> None:
    """Poll ``url`` until it answers 200; fail with the log's tail if the process dies."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{log_path.stem} exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not ready after {timeout:.0f} s; see {log_path}")
        time.sleep(0.2)


def stop_process(
    process: subprocess.Popen[bytes],
    timeout: float = 60.0,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> None:
    """``stop_signal`` (uvicorn shuts down gracefully), then SIGKILL after ``timeout``.

    uvicorn raises the signal again once it has shut down: under a profiler send SIGINT,
    which ends in a KeyboardInterrupt the profiler catches before writing its report.
    """
    if process.poll() is None:
        process.send_signal(stop_signal)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU a process has used (Linux ``/proc``); None where there is none.

    CPU per request holds better than requests/s on a machine others share: it does not
    count the time the process waited for a core.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def source_revision() -> dict[str, Any]:
    """The commit measured, and whether services/ or shared/ had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "uncommitted_changes": bool(git("status", "--porcelain", "services", "shared")),
    }


def load_average() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages: how busy the others kept it."""
    return [round(value, 2) for value in os.getloadavg()]


@dataclass(frozen=True)
class RunningCaseApi:
    url: str
    token: str  # a bearer JWT with accounts:write only, as core banking holds
    database: str
    log_path: Path
    pid: int


@contextmanager
def running_case_api(
    work_dir: Path,
    database: str,
    *,
    interpreter_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> Iterator[RunningCaseApi]:
    """case-api as an operator runs it (``serve``: migrations, then uvicorn with one worker)
    on ``database``, with a local broker for its outbox relay and a local identity provider.

    ``interpreter_args`` go between the interpreter and ``-m doorstep_case_api.cli``, e.g. a
    profiler's ``-m pyinstrument ...``. The daily evaluation job is off: it would only run at
    its hour, and must not start in the middle of a measurement. See ``stop_process`` for
    ``stop_signal``.
    """
    broker = LocalBroker(log_path=work_dir / "broker.log")
    identity = LocalIdentity(work_dir / "identity")
    port = free_port()
    env = {
        **os.environ,
        "CASE_API_DATABASE_URL": sqlalchemy_url(database),
        "CASE_API_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "CASE_API_DAILY_EVALUATION_ENABLED": "false",
        "CASE_API_LOG_LEVEL": "WARNING",
        **identity.service_environment(["CASE_API_"]),
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        *interpreter_args,
        "-m",
        "doorstep_case_api.cli",
        "serve",
        "--port",
        str(port),
    ]
    log_path = work_dir / "case-api.log"
    broker.start()
    try:
        process = start_process(command, env, log_path)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(f"{url}/readyz", process, log_path)
            token = identity.mint("bench-core-banking", [Scope.ACCOUNTS_WRITE])
            yield RunningCaseApi(url, token, database, log_path, process.pid)
        finally:
            stop_process(process, stop_signal=stop_signal)
    finally:
        broker.stop()


async def outbox_backlog(database: str, table: str = "outbox_message") -> int:
    """Outbox rows not yet published (case-api's relay marks them ``published_at``)."""
    connection = await asyncpg.connect(asyncpg_dsn(database))
    try:
        query = f"select count(*) from {table} where published_at is null"
        return int(await connection.fetchval(query))
    finally:
        await connection.close()


async def wait_outbox_drained(database: str, limit_seconds: float) -> tuple[float, int]:
    """Seconds until the relay has published every outbox row, and the rows still left if
    that took more than ``limit_seconds``."""
    started = time.perf_counter()
    while True:
        left = await outbox_backlog(database)
        elapsed = time.perf_counter() - started
        if left == 0 or elapsed > limit_seconds:
            return elapsed, left
        await asyncio.sleep(0.25)
