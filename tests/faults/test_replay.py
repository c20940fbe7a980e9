"""Scenario 8: every consumer group reset to the earliest offset re-reads all it had done and
makes no new side effect: no notice, message, visit, status update or timeline entry."""

from __future__ import annotations

import pytest

from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS
from tests.e2e.conftest import eventually, run_async, unique_account
from tests.faults.checker import Expectations
from tests.faults.conftest import FaultStack, stop_gracefully
from tests.faults.groups import lag, reset_to_earliest
from tests.faults.load import Intake

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]

GROUPS = (
    ("doorstep-notifier", CASE_EVENTS),
    ("doorstep-notifier-visits", CASE_STATUS),
    ("doorstep-scheduler", CASE_EVENTS),
    ("doorstep-scheduler-notices", CASE_STATUS),
    ("doorstep-case-api", CASE_STATUS),
)
SIDE_EFFECTS = {
    "case-api": ("timeline_entry", "outbox_message"),
    "notifier": ("notification", "local_message", "contact_decision", "outbox_message"),
    "scheduler": ("visit", "outbox_message"),
}


def _side_effects(fault_stack: FaultStack) -> dict[str, int]:
    return {
        f"{service}.{table}": fault_stack.value(service, f"SELECT count(*) FROM {table}")
        for service, tables in SIDE_EFFECTS.items()
        for table in tables
    }


def test_replay_from_the_earliest_offset_makes_no_new_side_effect(
    fault_stack: FaultStack,
) -> None:
    stack, bootstrap = fault_stack.stack, fault_stack.bootstrap
    intake = Intake(stack.url("case-api"), stack.operator_headers)
    run_async(intake.open_accounts([unique_account() for _ in range(30)], 80_000))
    expected = Expectations(accepted=intake.accepted, notices_per_case=1)
    fault_stack.settled(expected, timeout=120).assert_clean()
    before = _side_effects(fault_stack)
    assert before["notifier.local_message"] == 30

    for name in ("case-api", "notifier", "scheduler"):
        stop_gracefully(stack, name)
    for group, topic in GROUPS:
        run_async(reset_to_earliest(bootstrap, group, topic))
    assert run_async(lag(bootstrap, "doorstep-notifier", CASE_EVENTS)) >= 60  # all re-read
    for name in ("case-api", "notifier", "scheduler"):
        stack.start_service(name)
    stack.wait_ready()
    for group, topic in GROUPS:
        eventually(
            lambda group=group, topic=topic: run_async(lag(bootstrap, group, topic)) == 0,  # type: ignore[misc]
            timeout=120,
            what=f"{group} to re-read {topic}",
            interval=1,
        )

    assert _side_effects(fault_stack) == before
    fault_stack.settled(expected, timeout=30).assert_clean()
