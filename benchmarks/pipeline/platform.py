"""The platform under test: broker and the three services as processes, each service on its
own scratch PostgreSQL database, started the way ``make run`` starts them (``Stack``).

One service may run under pyinstrument (``profile``): the same command behind
``python -m pyinstrument``, writing its session when the service exits on SIGTERM.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from benchmarks.common import create_database, drop_database, sqlalchemy_url
from doorstep_local.broker import free_port
from doorstep_local.stack import Stack
from doorstep_shared.security.principal import Scope

SERVICE_NAMES = ("case-api", "notifier", "scheduler")
ENV_PREFIXES = {"case-api": "CASE_API_", "notifier": "NOTIFIER_", "scheduler": "SCHEDULER_"}
PROFILE_WRITE_SECONDS = 180


class ProfiledStack(Stack):
    """``Stack`` with one service optionally started under pyinstrument."""

    def __init__(self, *args: object, profile: dict[str, Path], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.profile = profile

    def start_service(self, name: str) -> None:
        if name not in self.profile:
            super().start_service(name)
            return
        spec = self.services[name]
        log = open(self.log_dir / f"{spec.name}.log", "ab")  # noqa: SIM115
        command = [sys.executable, "-m", "pyinstrument", "-r", "pyisession"]
        command += ["-o", str(self.profile[name]), "-m", spec.module]
        self.processes[name] = subprocess.Popen(
            [*command, "serve", "--port", str(spec.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.environment(),
            start_new_session=True,
        )

    def stop(self) -> None:
        # uvicorn re-raises the stop signal once it has shut down: SIGINT becomes a
        # KeyboardInterrupt, after which pyinstrument still writes its profile (SIGTERM would
        # end the process first). Writing takes longer than the stack's own grace period.
        for name in self.profile:
            process = self.processes.get(name)
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(PROFILE_WRITE_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
        super().stop()


@dataclass
class Platform:
    """Scratch databases + the stack; a context manager that always cleans up after itself."""

    service_env: dict[str, str] = field(default_factory=dict)
    # Service name -> where its pyinstrument session goes (outside the stack's scratch folder).
    profile: dict[str, Path] = field(default_factory=dict)
    keep_var: Path | None = None
    databases: dict[str, str] = field(default_factory=dict)
    stack: ProfiledStack | None = None
    var_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="doorstep-bench-")))

    def __enter__(self) -> Platform:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        for name in SERVICE_NAMES:
            self.databases[name] = asyncio.run(create_database("doorstep_bench_pipe"))
        env = dict(self.service_env)
        for name, database in self.databases.items():
            env[f"{ENV_PREFIXES[name]}DATABASE_URL"] = sqlalchemy_url(database)
        env.setdefault("NOTIFIER_PROVIDER", "local")
        # The daily evaluation runs at 01:00 bank time over every open case: off, so it cannot
        # start in the middle of a measurement.
        env.setdefault("CASE_API_DAILY_EVALUATION_ENABLED", "false")
        self.stack = ProfiledStack(
            self.var_dir,
            broker_port=free_port(),
            ports=(free_port(), free_port(), free_port()),
            env=env,
            announce=False,
            profile=self.profile,
        )
        self.stack.start()

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
        for database in self.databases.values():
            asyncio.run(drop_database(database))
        self.databases.clear()
        if self.keep_var is not None and self.var_dir.exists():
            shutil.copytree(self.var_dir / "log", self.keep_var, dirs_exist_ok=True)
        shutil.rmtree(self.var_dir, ignore_errors=True)

    @property
    def running(self) -> ProfiledStack:
        assert self.stack is not None, "the platform is not started"
        return self.stack

    def url(self, name: str) -> str:
        return self.running.url(name)

    def intake_token(self) -> str:
        """Core banking's credential: accounts:write and nothing else."""
        return self.running.identity.mint("bench-core-banking", [Scope.ACCOUNTS_WRITE])

    def pids(self) -> dict[str, int]:
        """Process ids to watch: each service and the broker."""
        stack = self.running
        pids = {name: process.pid for name, process in stack.processes.items()}
        broker = stack.broker._process  # the broker keeps its process private; we only read it
        if broker is not None:
            pids["broker"] = broker.pid
        return pids
