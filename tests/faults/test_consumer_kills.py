"""Scenario 6: two instances each of the notifier and the scheduler in their consumer groups;
one is killed -9 at a steady pace under load and started again. Nothing is lost, nothing is
done twice, no instance crash-loops, the lag recovers and the partitions move between them."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from doorstep_local.broker import free_port
from doorstep_local.stack import Stack
from tests.e2e.conftest import eventually, unique_account
from tests.faults.checker import Expectations
from tests.faults.conftest import FaultStack, size
from tests.faults.load import Background, Intake

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


@dataclass
class Replica:
    """A second process of a service, on its own port, with the stack's settings."""

    stack: Stack
    name: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.stack.log_dir / f"{self.name}-replica.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        spec = self.stack.services[self.name]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", spec.module, "serve", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.stack.environment(),
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def _instances(replicas: list[Replica]) -> list[tuple[str, Replica | None]]:
    """Every consumer process: the stack's own (None) and the replicas."""
    return [("notifier", None), ("scheduler", None), *((r.name, r) for r in replicas)]


def test_consumers_killed_in_a_loop_lose_and_repeat_nothing(fault_stack: FaultStack) -> None:
    stack = fault_stack.stack
    replicas = [Replica(stack, name, free_port()) for name in ("notifier", "scheduler")]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        eventually(replica.ready, timeout=60, what=f"the second {replica.name}")

    accounts = [unique_account() for _ in range(int(size(300, 3000)))]
    intake = Intake(stack.url("case-api"), stack.operator_headers, concurrency=8)
    load = Background(lambda: intake.open_accounts(accounts, 70_000))
    randomness = random.Random(6)
    duration, every = size(45, 300), size(10, 20)
    ends_at = time.monotonic() + duration
    kills = 0
    try:
        while time.monotonic() < ends_at:
            time.sleep(every)
            name, chosen = randomness.choice(_instances(replicas))
            if chosen is not None:
                chosen.kill()
                chosen.start()
                eventually(chosen.ready, timeout=60, what=f"the restarted {name} replica")
            else:
                stack.kill_service(name)
                stack.start_service(name)
                stack.wait_ready([name])
            kills += 1
        load.join()
        assert kills >= int(duration // every) - 1

        report = fault_stack.settled(
            Expectations(accepted=intake.accepted, notices_per_case=1), timeout=size(180, 600)
        )
        report.assert_clean()
        assert report.notices_sent == len(accounts)
        # No crash loop: every instance is up and ready, and none was restarted by itself.
        stack.check_alive()
        for replica in replicas:
            assert replica.process is not None
            assert replica.process.poll() is None
            assert replica.ready()
        # The partitions moved: each replica was handed partitions at some point.
        for replica in replicas:
            assert "partitions assigned" in replica.log.read_text(errors="replace")
    finally:
        for replica in replicas:
            replica.kill()
