"""Entry point: ``python -m benchmarks.single_put.run [--concurrency 16] [--duration 20]``.

``PUT /v1/accounts/{id}/delinquency`` on the real case-api (``serve``: uvicorn, one worker,
a scratch PostgreSQL database, a local broker for its outbox relay, a JWT with accounts:write)
against the minimal endpoint in ``baseline`` (its own uvicorn process and scratch database on
the same PostgreSQL). Both servers run side by side; in each phase they take ``--rounds``
turns in ABBA order (so load that comes and goes on the machine falls on both), each turn
driven by the load generator in ``load`` (its own process):

* ``open``: new accounts only, at ``--concurrency``;
* ``update``: the same accounts re-reported one day later with changed amounts;
* ``open`` at concurrency 1 (latency without queueing), unless ``--no-serial``.

After each case-api turn the benchmark waits until the relay has published the outbox, so the
backlog does not slow the baseline's turn. Besides requests/s and latencies it reports each
server's CPU time per request (``/proc``, relay included) and their ratio: the requests/s
ratio the two would have with the same share of a core, which holds better than requests/s
when others load the machine. Writes ``benchmarks/results/single-put.json``; the
target is case-api at 70 % or more of the baseline's requests/s. ``--profile`` instead runs
case-api under pyinstrument for the two loaded phases and writes
``benchmarks/results/profile-single-put.txt`` (no figures: the profiler slows the server).
Exit status 1 (and no result file) if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.common import (
    RESULTS,
    asyncpg_dsn,
    create_database,
    drop_database,
    load_average,
    outbox_backlog,
    percentile,
    process_cpu_seconds,
    running_case_api,
    source_revision,
    sqlalchemy_url,
    start_process,
    stop_process,
    wait_outbox_drained,
    wait_ready,
    write_result,
)
from benchmarks.single_put.baseline import SCHEMA
from benchmarks.single_put.load import TOKEN_VARIABLE
from benchmarks.single_put.profile import summarize_profile
from doorstep_local.broker import free_port

TARGET = 0.70  # case-api's requests/s as a share of the baseline's, from the issue
RESULT_NAME = "single-put"
PROFILE_SUMMARY = RESULTS / "profile-single-put.txt"


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    token: str
    database: str | None  # set when an outbox relay must drain after each phase
    pid: int  # the server process, for its CPU time


@dataclass(frozen=True)
class Phase:
    mode: str
    concurrency: int
    duration: float

    @property
    def name(self) -> str:
        return f"{self.mode}-c{self.concurrency}"


@contextmanager
def running_baseline(work_dir: Path, database: str) -> Iterator[Server]:
    asyncio.run(_create_baseline_schema(database))
    port = free_port()
    log_path = work_dir / "baseline.log"
    env = {**os.environ, "BENCH_BASELINE_DATABASE_URL": sqlalchemy_url(database)}
    command = [sys.executable, "-m", "benchmarks.single_put.baseline", "--port", str(port)]
    process = start_process(command, env, log_path)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(f"{url}/readyz", process, log_path)
        yield Server("baseline", url, "", None, process.pid)
    finally:
        stop_process(process)


async def _create_baseline_schema(database: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database))
    try:
        for statement in SCHEMA:
            await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class Sequences:
    """Per server and phase kind, how many requests the slices so far have sent."""

    sent: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def start(self, server: Server, phase: Phase) -> int:
        return self.sent.get((server.name, phase.mode, phase.concurrency), 0)

    def accounts(self, server: Server, phase: Phase) -> int:
        """The accounts the open slices at this concurrency made (update re-reports them)."""
        return self.sent.get((server.name, "open", phase.concurrency), 0)

    def add(self, server: Server, phase: Phase, issued: int) -> None:
        key = (server.name, phase.mode, phase.concurrency)
        self.sent[key] = self.sent.get(key, 0) + issued


def run_slice(
    server: Server, phase: Phase, warmup: float, seconds: float, sequences: Sequences
) -> dict[str, Any]:
    """One load-generator process against one server; then the relay's drain time."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.single_put.load",
        "--url",
        server.url,
        "--mode",
        phase.mode,
        "--prefix",
        f"B{phase.concurrency}",
        "--accounts",
        str(sequences.accounts(server, phase)),
        "--start",
        str(sequences.start(server, phase)),
        "--concurrency",
        str(phase.concurrency),
        "--warmup",
        str(warmup),
        "--duration",
        str(seconds),
    ]
    env = {**os.environ, TOKEN_VARIABLE: server.token}
    cpu_before = process_cpu_seconds(server.pid)
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout)
    sequences.add(server, phase, figures["issued"])
    if server.database is not None:
        backlog, drained = asyncio.run(_drain(server.database))
        figures["outbox_backlog_at_end"] = backlog
        figures["outbox_drain_seconds"] = round(drained, 2)
    cpu_after = process_cpu_seconds(server.pid)
    # Warm-up and tail included, and the relay's publishing of what the slice wrote.
    figures["server_cpu_seconds"] = (
        None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    )
    print(f"  {server.name:<9} {phase.name:<10} {_brief(figures)}", flush=True)
    return figures


async def _drain(database: str) -> tuple[int, float]:
    backlog = await outbox_backlog(database)
    drained, left = await wait_outbox_drained(database, limit_seconds=120)
    if left:
        raise RuntimeError(f"case-api's relay left {left} outbox rows unpublished after 120 s")
    return backlog, drained


def _brief(figures: dict[str, Any]) -> str:
    text = (
        f"{figures['requests_per_second']:8.1f} req/s  p50 {figures['p50_ms']} ms  "
        f"p99 {figures['p99_ms']} ms  outcomes {figures['outcomes']}"
    )
    if figures.get("server_cpu_ms_per_request"):
        text += f"  server CPU {figures['server_cpu_ms_per_request']} ms/request"
    if figures["failures"]:
        text += f"  FAILURES {figures['failures']}: {figures['first_failure']}"
    if "outbox_drain_seconds" in figures:
        text += (
            f"  outbox backlog {figures['outbox_backlog_at_end']},"
            f" drained in {figures['outbox_drain_seconds']} s"
        )
    return text


def merge(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """One phase's figures for one server from its slices: totals over the measured time,
    percentiles over every measured request."""
    latencies = [ms for part in slices for ms in part["latencies_ms"]]
    seconds = sum(part["measured_seconds"] for part in slices)
    statuses: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for part in slices:
        statuses.update(part["statuses"])
        outcomes.update(part["outcomes"])
    merged: dict[str, Any] = {
        "requests": len(latencies),
        "measured_seconds": seconds,
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": percentile(latencies, 0.50) if latencies else None,
        "p90_ms": percentile(latencies, 0.90) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
        "max_ms": max(latencies) if latencies else None,
        "slices_requests_per_second": [part["requests_per_second"] for part in slices],
        "statuses": dict(sorted(statuses.items())),
        "outcomes": dict(sorted(outcomes.items())),
        "failures": sum(part["failures"] for part in slices),
        "first_failure": next((p["first_failure"] for p in slices if p["first_failure"]), None),
    }
    cpu = [part["server_cpu_seconds"] for part in slices]
    if None not in cpu and merged["failures"] == 0:
        issued = sum(part["issued"] for part in slices)
        merged["server_cpu_ms_per_request"] = round(1000 * sum(cpu) / issued, 2)
    if "outbox_drain_seconds" in slices[0]:
        merged["outbox_backlog_at_end"] = [part["outbox_backlog_at_end"] for part in slices]
        merged["outbox_drain_seconds"] = [part["outbox_drain_seconds"] for part in slices]
    return merged


def measure(args: argparse.Namespace, work_dir: Path, case_db: str, base_db: str) -> int:
    phases = _phases(args)
    rows: list[dict[str, Any]] = []
    sequences = Sequences()
    load_before = load_average()
    with (
        running_case_api(work_dir, case_db) as case_api,
        running_baseline(work_dir, base_db) as baseline,
    ):
        servers = (
            Server("case-api", case_api.url, case_api.token, case_db, case_api.pid),
            baseline,
        )
        for phase in phases:
            slices: dict[str, list[dict[str, Any]]] = {server.name: [] for server in servers}
            seconds = phase.duration / args.rounds
            # ABBA...: the two servers take turns, so a load that comes and goes on the
            # machine falls on both.
            for round_number in range(args.rounds):
                order = servers if round_number % 2 == 0 else servers[::-1]
                warmup = args.warmup if round_number == 0 else args.rewarmup
                for server in order:
                    figures = run_slice(server, phase, warmup, seconds, sequences)
                    slices[server.name].append(figures)
            row: dict[str, Any] = {"phase": phase.name}
            row["case_api"] = merge(slices["case-api"])
            row["baseline"] = merge(slices["baseline"])
            ratio = _ratio(row["case_api"], row["baseline"])
            row["ratio"] = ratio
            row["target_met"] = ratio is not None and ratio >= TARGET
            row["cpu_ratio"] = _cpu_ratio(row["case_api"], row["baseline"])
            rows.append(row)
            print(
                f"{phase.name}: case-api {_brief(row['case_api'])}\n"
                f"{'':{len(phase.name)}}  baseline {_brief(row['baseline'])}\n"
                f"{'':{len(phase.name)}}  ratio {_percent(ratio)}, CPU per request ratio "
                f"{_percent(row['cpu_ratio'])}",
                flush=True,
            )
    failures = sum(row[side]["failures"] for row in rows for side in ("case_api", "baseline"))
    figures = {
        "endpoint": "PUT /v1/accounts/{account_id}/delinquency",
        "target": f"case-api >= {TARGET:.0%} of the baseline's requests/s at concurrency "
        f"{args.concurrency}, open and update (concurrency 1 is reported, not judged)",
        "settings": {
            "concurrency": args.concurrency,
            "warmup_seconds": args.warmup,
            "duration_seconds": args.duration,
            "serial_duration_seconds": args.serial_duration,
            "rounds": args.rounds,
            "servers": "uvicorn, one worker, asyncio loop, h11; access log off",
            "case_api": "doorstep_case_api.cli serve on a scratch PostgreSQL database, local "
            "broker, bearer JWT (ES256) with accounts:write, daily evaluation job off",
            "baseline": "benchmarks/single_put/baseline.py: pydantic body, one upsert into a "
            "bare table + one outbox insert, commit; SQLAlchemy 2 async Core over asyncpg",
            "load": "benchmarks/single_put/load.py in its own process: httpx.AsyncClient, one "
            "connection per worker; a new account per request (open) or the same accounts "
            "one day later with changed amounts (update)",
        },
        "machine_load_average_before_after": [load_before, load_average()],
        "source": source_revision(),
        "phases": rows,
        "target_met": all(
            row["target_met"] for row in rows if row["phase"].endswith(f"-c{args.concurrency}")
        ),
        "failed_requests": failures,
    }
    if failures:
        # A run with failed requests measures the failures: keep the last good result file.
        print(json.dumps(figures, indent=2), flush=True)
        print(f"single-put: {failures} requests failed; no result written", flush=True)
        return 1
    path = write_result(RESULT_NAME, figures)
    summary = " | ".join(
        f"{row['phase']}: case-api {row['case_api']['requests_per_second']} req/s "
        f"(p50 {row['case_api']['p50_ms']} ms, p99 {row['case_api']['p99_ms']} ms) vs baseline "
        f"{row['baseline']['requests_per_second']} req/s (p50 {row['baseline']['p50_ms']} ms, "
        f"p99 {row['baseline']['p99_ms']} ms) = {_percent(row['ratio'])} "
        f"(CPU per request {_percent(row['cpu_ratio'])})"
        for row in rows
    )
    met = "met" if figures["target_met"] else "NOT met"
    print(f"single-put: {summary} | target {TARGET:.0%}: {met} -> {path}", flush=True)
    return 0


def _phases(args: argparse.Namespace) -> list[Phase]:
    phases = [Phase("open", args.concurrency, args.duration)]
    if not args.no_update:
        phases.append(Phase("update", args.concurrency, args.duration))
    if not args.no_serial and args.concurrency != 1:
        phases.append(Phase("open", 1, args.serial_duration))
    return phases


def _ratio(case_api: dict[str, Any], baseline: dict[str, Any]) -> float | None:
    theirs = float(baseline["requests_per_second"])
    if not theirs:
        return None
    return round(float(case_api["requests_per_second"]) / theirs, 3)


def _cpu_ratio(case_api: dict[str, Any], baseline: dict[str, Any]) -> float | None:
    """The baseline's server CPU per request over case-api's: the requests/s ratio the two
    would have with the same share of a core, whatever else the machine was doing."""
    ours = case_api.get("server_cpu_ms_per_request")
    theirs = baseline.get("server_cpu_ms_per_request")
    if not ours or not theirs:
        return None
    return round(float(theirs) / float(ours), 3)


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


def profile(args: argparse.Namespace, work_dir: Path, case_db: str) -> int:
    session = args.profile_session or work_dir / "case-api.pyisession"
    profiler = ("-m", "pyinstrument", "-r", "pyisession", "-o", str(session))
    phases = [phase for phase in _phases(args) if phase.concurrency == args.concurrency]
    failures = 0
    sequences = Sequences()
    with running_case_api(
        work_dir, case_db, interpreter_args=profiler, stop_signal=signal.SIGINT
    ) as case_api:
        server = Server("case-api", case_api.url, case_api.token, case_db, case_api.pid)
        for phase in phases:
            figures = run_slice(server, phase, args.warmup, phase.duration, sequences)
            failures += figures["failures"]
    described = ", ".join(f"{p.name} {args.warmup:g} + {p.duration:g} s" for p in phases)
    PROFILE_SUMMARY.write_text(summarize_profile(session, described, args.profile_lines))
    print(f"single-put profile: {described} under pyinstrument -> {PROFILE_SUMMARY}", flush=True)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds, per phase")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--serial-duration", type=float, default=10.0, help="at concurrency 1")
    parser.add_argument("--rounds", type=int, default=4, help="turns per server and phase")
    parser.add_argument("--rewarmup", type=float, default=2.0, help="warm-up of later turns")
    parser.add_argument("--no-update", action="store_true", help="skip the update phase")
    parser.add_argument("--no-serial", action="store_true", help="skip concurrency 1")
    parser.add_argument("--profile", action="store_true", help="profile case-api instead")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--profile-session", type=Path, help="keep the pyinstrument session")
    args = parser.parse_args(argv)

    work_dir = Path(tempfile.mkdtemp(prefix="bench-single-put-"))
    case_db = asyncio.run(create_database("bench_single_put_case_api"))
    base_db = asyncio.run(create_database("bench_single_put_baseline"))
    keep_logs = True
    try:
        if args.profile:
            status = profile(args, work_dir, case_db)
        else:
            status = measure(args, work_dir, case_db, base_db)
        keep_logs = status != 0
        return status
    finally:
        asyncio.run(drop_database(case_db))
        asyncio.run(drop_database(base_db))
        if keep_logs:
            print(f"server logs kept in {work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
