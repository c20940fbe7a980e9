"""The checker is not blind: after a clean run, each kind of damage it exists to find is
reported."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.conftest import run_async, unique_account
from tests.faults.checker import Expectations, Report, check, settled
from tests.faults.conftest import FaultStack
from tests.faults.load import Intake

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


def test_the_checker_reports_each_broken_invariant(fault_stack: FaultStack) -> None:
    stack, databases = fault_stack.stack, fault_stack.databases
    intake = Intake(stack.url("case-api"), stack.operator_headers)
    run_async(intake.open_accounts([unique_account() for _ in range(3)], 99_000))
    expected = Expectations(accepted=intake.accepted, notices_per_case=1)
    run_async(settled(databases, fault_stack.bootstrap, expected, timeout=120)).assert_clean()
    for service in ("case-api", "notifier", "scheduler"):
        stack.kill_service(service)  # nothing may repair the damage behind the checker's back

    def after(service: str, sql: str, wanted: Expectations = expected) -> Report:
        fault_stack.value(service, sql)
        return run_async(check(databases, fault_stack.bootstrap, wanted))

    def reports(report: Report, text: str) -> bool:
        return any(text in violation for violation in report.violations)

    wrong = Expectations(accepted={a: Decimal("1.00") for a in intake.accepted})
    assert reports(after("case-api", "SELECT 1", wrong), "the last accepted snapshot said")
    # A consumer that applied a case's second event before its first.
    reordered = after(
        "notifier",
        "UPDATE processed_event SET processed_at = processed_at + interval '1 hour'"
        " WHERE event_id = (SELECT event_id FROM processed_event"
        " WHERE consumer = 'notifier-case-events' ORDER BY processed_at LIMIT 1)",
    )
    assert reports(reordered, "events applied in the order")
    assert reports(
        after(
            "scheduler",
            "DELETE FROM processed_event WHERE ctid IN (SELECT ctid FROM processed_event LIMIT 1)",
        ),
        "published events never consumed",
    )
    assert reports(after("notifier", "DELETE FROM local_message"), "provider messages for")
    assert reports(
        after("case-api", "UPDATE collection_case SET last_sequence = last_sequence + 1"),
        "the case is at",
    )
    assert reports(
        after("case-api", "UPDATE outbox_message SET published_at = NULL"),
        "outbox rows never published",
    )
