"""The local stack: broker + case-api + notifier + scheduler as separate processes.

Each service runs its own migrations at start (SQLite files under ./var/) and logs JSON to
./var/log/<service>.log. Ctrl-C (or SIGTERM) stops the services, then the broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

import httpx

from doorstep_local.broker import LocalBroker, free_port, port_open
from doorstep_local.identity import LocalIdentity
from doorstep_shared.security.principal import ALL_SCOPES, Scope

OPERATOR_TOKEN_FILE = "local-operator.token"  # noqa: S105  (a file name)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    env_prefix: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on_port(self, port: int) -> ServiceSpec:
        return replace(self, port=port)


SERVICES = (
    ServiceSpec("case-api", "doorstep_case_api.cli", "CASE_API_", 8000),
    ServiceSpec("notifier", "doorstep_notifier.cli", "NOTIFIER_", 8001),
    ServiceSpec("scheduler", "doorstep_scheduler.cli", "SCHEDULER_", 8002),
)


class Stack:
    """The broker and the three services. Tests pass free ports and their own database URLs."""

    def __init__(
        self,
        var_dir: Path,
        broker_port: int = 9092,
        ports: tuple[int, int, int] | None = None,
        env: dict[str, str] | None = None,
        announce: bool = True,
    ) -> None:
        self.var_dir = var_dir
        self.log_dir = var_dir / "log"
        self.announce = announce
        if port_open(broker_port):
            self.say(f"port {broker_port} is taken; the local broker uses a free port instead")
            broker_port = free_port()
        self.broker = LocalBroker(port=broker_port, log_path=self.log_dir / "broker.log")
        self.services = {
            spec.name: spec.on_port(port)
            for spec, port in zip(SERVICES, ports or [s.port for s in SERVICES], strict=True)
        }
        self.extra_env = env or {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.identity = LocalIdentity(var_dir / "identity")
        # Every scope, for the person running the stack; kept in a file for curl and the demo.
        self.operator_token = self.identity.mint("local-operator", ALL_SCOPES)
        (var_dir / OPERATOR_TOKEN_FILE).write_text(self.operator_token + "\n")

    @property
    def operator_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.operator_token}"}

    def say(self, text: str) -> None:
        if self.announce:
            print(text, flush=True)

    def url(self, name: str) -> str:
        return self.services[name].url

    def environment(self) -> dict[str, str]:
        env = {**os.environ, **self.extra_env}
        for spec in self.services.values():
            database = self.var_dir / f"{spec.name.replace('-', '_')}.db"
            env.setdefault(f"{spec.env_prefix}DATABASE_URL", f"sqlite+aiosqlite:///{database}")
            env[f"{spec.env_prefix}KAFKA_BOOTSTRAP_SERVERS"] = self.broker.bootstrap_servers
        env.setdefault("NOTIFIER_CASE_API_URL", self.url("case-api"))
        env.setdefault("SCHEDULER_CASE_API_URL", self.url("case-api"))
        env.update(self.identity.service_environment(s.env_prefix for s in SERVICES))
        env.setdefault(
            "NOTIFIER_CASE_API_TOKEN", self.identity.mint("notifier", [Scope.CONTACT_NOTIFY])
        )
        # The planner reads visit addresses and terms: contact:visit, nothing more.
        env.setdefault(
            "SCHEDULER_CASE_API_TOKEN", self.identity.mint("scheduler", [Scope.CONTACT_VISIT])
        )
        return env

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for spec in self.services.values():
            if port_open(spec.port):
                raise SystemExit(f"port {spec.port} for {spec.name} is already in use")
        self.broker.start()
        self.say(f"broker     kafka://{self.broker.bootstrap_servers} (memory only)")
        for name in self.services:
            self.start_service(name)
        self.wait_ready()

    def start_service(self, name: str) -> None:
        spec = self.services[name]
        log = open(self.log_dir / f"{spec.name}.log", "ab")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", spec.module, "serve", "--port", str(spec.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.environment(),
            # Own session: Ctrl-C reaches only the stack, which stops services before the broker.
            start_new_session=True,
        )

    def kill_service(self, name: str) -> None:
        """kill -9: no shutdown hooks, no final commits."""
        process = self.processes.pop(name)
        process.kill()
        process.wait(10)

    def wait_ready(self, names: list[str] | None = None, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = [self.services[name] for name in names or list(self.services)]
        while pending:
            self.check_alive()
            spec = pending[0]
            try:
                if httpx.get(f"{spec.url}/readyz", timeout=2).status_code == 200:
                    self.say(f"{spec.name:<10} {spec.url}   docs: {spec.url}/docs")
                    pending.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{spec.name} did not become ready; see {self.log_dir}")
            time.sleep(0.2)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise SystemExit(f"{name} exited with {process.returncode}:\n{tail}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        self.broker.stop()


def run_forever(stack: Stack) -> None:
    def _stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # also when started where SIGINT was ignored
    try:
        stack.start()
        print(f"logs       {stack.log_dir}/   (Ctrl-C stops everything)")
        print(
            f"credential {stack.var_dir / OPERATOR_TOKEN_FILE}  (a local JWT with every scope;"
            " send it as 'Authorization: Bearer ...')"
        )
        while True:
            stack.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping...")
    finally:
        stack.stop()
        print("stopped")
