"""Memory and CPU of the processes under test, from /proc (Linux).

A thread samples every second: VmRSS and the CPU time used so far of each watched process,
and the CPU time of the PostgreSQL backends serving the scratch databases (found through
``pg_stat_activity``; their RSS is mostly shared buffers, so it is not reported). VmHWM (the
kernel's own peak RSS) is read at the end. Phases are marked by name so peaks and CPU shares
can be told apart per phase, and the steady run's RSS slope is a least-squares fit over its
samples after a warm-up.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from benchmarks.common import asyncpg_dsn

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    at: float  # time.time()
    rss_kib: dict[str, int]
    cpu_seconds: dict[str, float]


def read_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in KiB; empty when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass
class Phase:
    name: str
    started: float
    ended: float | None = None
    machine_busy_start: tuple[float, float] = (0.0, 0.0)
    machine_busy_end: tuple[float, float] = (0.0, 0.0)


POSTGRES = "postgres"


class PostgresBackends:
    """CPU used by the backends serving ``databases``, summed over backends that come and go
    (a pool's overflow connections): each backend counts from when it was first seen."""

    def __init__(self, databases: list[str]) -> None:
        self._databases = databases
        self._loop = asyncio.new_event_loop()
        self._connection: asyncpg.Connection | None = None
        self._last: dict[int, float] = {}
        self._started = False
        self.total = 0.0

    def pids(self) -> list[int]:
        if self._connection is None:
            self._connection = self._loop.run_until_complete(
                asyncpg.connect(asyncpg_dsn("postgres"))
            )
        rows = self._loop.run_until_complete(
            self._connection.fetch(
                "select pid from pg_stat_activity where datname = any($1::text[])",
                self._databases,
            )
        )
        return [int(row["pid"]) for row in rows]

    def cpu_seconds(self) -> float:
        first_round = self._started is False
        self._started = True
        for pid in self.pids():
            used = cpu_seconds(pid)
            if used is None:
                continue
            if not first_round:
                # A backend first seen now started since the last round: all its time counts.
                self.total += used - self._last.get(pid, 0.0)
            self._last[pid] = used
        return self.total

    def close(self) -> None:
        if self._connection is not None:
            self._loop.run_until_complete(self._connection.close())
        self._loop.close()


@dataclass
class ProcessWatch:
    pids: dict[str, int]
    postgres_databases: list[str] = field(default_factory=list)
    interval: float = 1.0
    samples: list[Sample] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _waiting: list[threading.Event] = field(default_factory=list)
    _postgres: PostgresBackends | None = None

    @property
    def names(self) -> list[str]:
        return [*self.pids, *([POSTGRES] if self.postgres_databases else [])]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="process-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        if self.postgres_databases:
            self._postgres = PostgresBackends(self.postgres_databases)
        try:
            while not self._stop.is_set():
                with self._lock:
                    waiting, self._waiting = self._waiting, []
                self._sample()
                for request in waiting:
                    request.set()
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            if self._postgres is not None:
                self._postgres.close()

    def sample_now(self) -> None:
        """Have the watch thread take a sample now (at a phase's edge) and wait for it."""
        taken = threading.Event()
        with self._lock:
            self._waiting.append(taken)
        self._wake.set()
        taken.wait(10)

    def _sample(self) -> None:
        rss: dict[str, int] = {}
        cpu: dict[str, float] = {}
        for name, pid in self.pids.items():
            status = read_status(pid)
            used = cpu_seconds(pid)
            if "VmRSS" in status:
                rss[name] = status["VmRSS"]
            if used is not None:
                cpu[name] = used
        if self._postgres is not None:
            cpu[POSTGRES] = self._postgres.cpu_seconds()
        self.samples.append(Sample(time.time(), rss, cpu))

    def peaks_hwm_kib(self) -> dict[str, int]:
        """The kernel's peak RSS of each process since it started (VmHWM)."""
        return {name: read_status(pid).get("VmHWM", 0) for name, pid in self.pids.items()}

    def begin(self, name: str) -> Phase:
        phase = Phase(name, time.time(), machine_busy_start=machine_busy_seconds())
        self.phases.append(phase)
        self.sample_now()
        return phase

    def end(self, phase: Phase) -> None:
        self.sample_now()
        phase.ended = time.time()
        phase.machine_busy_end = machine_busy_seconds()

    def in_phase(self, phase: Phase, skip_seconds: float = 0.0) -> list[Sample]:
        end = phase.ended or time.time()
        return [s for s in self.samples if phase.started + skip_seconds <= s.at <= end]

    def phase_report(self, phase: Phase) -> dict[str, object]:
        """Peak sampled RSS and CPU use per process during ``phase``."""
        samples = self.in_phase(phase)
        if not samples:
            return {}
        seconds = max(1e-9, samples[-1].at - samples[0].at)
        peak = {
            name: round(max(s.rss_kib.get(name, 0) for s in samples) / 1024, 1)
            for name in self.pids
        }
        cores = {
            name: (samples[-1].cpu_seconds.get(name, 0.0) - samples[0].cpu_seconds.get(name, 0.0))
            / seconds
            for name in self.names
        }
        busy = phase.machine_busy_end[0] - phase.machine_busy_start[0]
        total = phase.machine_busy_end[1] - phase.machine_busy_start[1]
        machine_cores = (os.cpu_count() or 1) * busy / total if total else 0.0
        return {
            "seconds": round(seconds, 1),
            "peak_rss_mib_sampled": peak,
            "cpu_cores_used": {name: round(value, 3) for name, value in cores.items()},
            "machine_cpu_busy_percent": round(100 * busy / total, 1) if total else None,
            # Everything else the machine did meanwhile: other users' work, the kernel.
            "cpu_cores_used_by_others": round(max(0.0, machine_cores - sum(cores.values())), 3),
        }


def slope_mib_per_minute(samples: list[Sample], name: str) -> float | None:
    """Least-squares slope of ``name``'s RSS over time, MiB per minute."""
    points = [(s.at / 60, s.rss_kib[name] / 1024) for s in samples if name in s.rss_kib]
    if len(points) < 3:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return sum((t - mean_t) * (m - mean_m) for t, m in points) / spread
