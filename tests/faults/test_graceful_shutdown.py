"""Scenario 10: SIGTERM under load. The record, round or batch in hand is finished and its
offsets committed, so the restarted services re-read nothing they had already done."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import eventually, unique_account
from tests.faults.checker import Expectations
from tests.faults.conftest import FaultStack, size, stop_gracefully
from tests.faults.load import Background, Intake

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]

# Every consumer group of the three services, by the service that runs it.
GROUPS = {
    "case-api": ("doorstep-case-api",),
    "notifier": ("doorstep-notifier", "doorstep-notifier-visits"),
    "scheduler": ("doorstep-scheduler", "doorstep-scheduler-notices"),
}


def _consumers(url: str) -> dict[str, dict[str, int]]:
    body = httpx.get(f"{url}/healthz", timeout=5).json()
    return dict(body["consumers"])


def test_sigterm_under_load_then_restart_repeats_nothing(fault_stack: FaultStack) -> None:
    stack = fault_stack.stack
    intake = Intake(stack.url("case-api"), stack.operator_headers, concurrency=8)
    accounts = [unique_account() for _ in range(int(size(200, 2000)))]
    load = Background(lambda: intake.open_accounts(accounts, 90_000))
    eventually(
        lambda: _consumers(stack.url("notifier"))["doorstep-notifier"]["handled"] > 40,
        timeout=120,
        what="the notifier to be busy",
    )
    for name in ("notifier", "scheduler", "case-api"):
        stop_gracefully(stack, name)  # case-api too: its relay and its status consumer
        stack.start_service(name)
        stack.wait_ready([name])
    load.join()

    report = fault_stack.settled(
        Expectations(accepted=intake.accepted, notices_per_case=1), timeout=size(180, 600)
    )
    report.assert_clean()
    assert report.case_event_duplicates_in_transit == 0  # the relay stopped between batches
    for name, groups in GROUPS.items():
        consumers = _consumers(stack.url(name))
        for group in groups:
            assert consumers[group]["duplicates"] == 0, f"{group} re-read events after restart"
    # The restarted notifier took up the rest of the load: there was work after the restart.
    assert _consumers(stack.url("notifier"))["doorstep-notifier"]["handled"] > 0
