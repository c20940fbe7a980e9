"""Scenario 4: many cases updated many times by concurrent writers while case-api (and its
outbox relay) is restarted over and over: every consumer applies each case's events in
sequence, and nothing is lost or applied twice."""

from __future__ import annotations

import signal
import time
from decimal import Decimal

import pytest

from tests.e2e.conftest import unique_account
from tests.faults.checker import Expectations
from tests.faults.conftest import FaultStack, size
from tests.faults.load import Background, Intake

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


def test_per_case_order_holds_while_relays_restart(fault_stack: FaultStack) -> None:
    stack = fault_stack.stack
    cases, updates, writers = int(size(60, 1000)), int(size(6, 20)), int(size(10, 50))
    restart_every = int(size(90, 1500))  # answered requests between restarts
    principals = {
        unique_account(): [Decimal(1000 + step) for step in range(updates)] for _ in range(cases)
    }
    intake = Intake(stack.url("case-api"), stack.operator_headers)
    load = Background(lambda: intake.update_accounts(principals, 50_000, writers=writers))
    restarts = 0
    while load.running:
        if intake.answered < (restarts + 1) * restart_every:
            time.sleep(0.1)
            continue
        # Alternate a hard kill and a graceful stop: the relay dies mid-batch or finishes it.
        if restarts % 2:
            stack.processes["case-api"].send_signal(signal.SIGTERM)
            stack.processes.pop("case-api").wait(30)
        else:
            stack.kill_service("case-api")
        stack.start_service("case-api")
        stack.wait_ready(["case-api"])
        restarts += 1
    load.join()
    assert restarts >= 2, "the load ended before the relay was restarted twice"
    assert len(intake.accepted) == cases

    report = fault_stack.settled(
        Expectations(accepted=intake.accepted, notices_per_case=1), timeout=size(180, 900)
    )
    report.assert_clean()
    # Each update changed the arrears, so each made an event: all of them crossed.
    assert report.events_published >= cases * (updates + 1)
