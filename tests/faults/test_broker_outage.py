"""Scenario 5: the broker is down during intake (the API keeps accepting, the outbox grows,
then drains, nothing lost); and poison messages go to dead-letter topics, nothing else."""

from __future__ import annotations

import time

import httpx
import pytest

from doorstep_shared.events.topics import CASE_EVENTS, dead_letter_topic
from tests.e2e.conftest import eventually, run_async, unique_account
from tests.faults.checker import Expectations
from tests.faults.conftest import FaultStack, size
from tests.faults.load import Background, Intake
from tests.support.kafka import produce_raw, read_all

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


UNPUBLISHED = "SELECT count(*) FROM outbox_message WHERE published_at IS NULL"


def test_broker_down_during_intake_loses_no_event(fault_stack: FaultStack) -> None:
    """The local broker keeps its log in memory only, so killing it would also lose messages
    it had acknowledged, which a restarted Kafka broker never does. Freezing its process
    (SIGSTOP) makes it unreachable exactly like a broker that is down, while its log survives
    as Kafka's would."""
    stack = fault_stack.stack
    outage = size(12, 60)
    intake = Intake(stack.url("case-api"), stack.operator_headers)
    run_async(intake.open_accounts([unique_account() for _ in range(20)], 60_000))
    stack.broker.pause()
    try:
        down_since = time.monotonic()
        accepted_before = len(intake.accepted)
        # The API keeps accepting for the whole outage; what it accepts waits in the outbox.
        during = Background(
            lambda: intake.open_accounts([unique_account() for _ in range(40)], 61_000)
        )
        with httpx.Client(base_url=stack.url("case-api"), timeout=10) as client:
            eventually(
                lambda: client.get("/readyz").status_code == 503,
                timeout=30,
                what="readiness to report the broker outage",
            )
        during.join(outage + 60)
        assert len(intake.accepted) == accepted_before + 40
        assert intake.retried == 0, "intake was refused while the broker was down"
        time.sleep(max(0.0, outage - (time.monotonic() - down_since)))
        assert fault_stack.value("case-api", UNPUBLISHED) > 0
    finally:
        stack.broker.resume()
    report = fault_stack.settled(
        Expectations(accepted=intake.accepted, notices_per_case=1), timeout=180
    )
    report.assert_clean()
    with httpx.Client(base_url=stack.url("case-api"), timeout=10) as client:
        assert client.get("/readyz").status_code == 200


POISON = b"\x00 not an event"


def test_poison_is_dead_lettered_and_later_events_still_flow(fault_stack: FaultStack) -> None:
    stack, bootstrap = fault_stack.stack, fault_stack.bootstrap
    run_async(produce_raw(bootstrap, CASE_EVENTS, POISON, key=b"poison"))
    intake = Intake(stack.url("case-api"), stack.operator_headers)
    run_async(intake.open_accounts([unique_account() for _ in range(3)], 62_000))

    def dead_letters() -> list[dict[str, str]]:
        messages = run_async(read_all(bootstrap, dead_letter_topic(CASE_EVENTS)))
        return [m.headers for m in messages if m.value == POISON]

    eventually(lambda: len(dead_letters()) >= 2, timeout=60, what="poison in the dead-letter topic")
    groups = {headers["dlq_consumer_group"] for headers in dead_letters()}
    assert groups == {"doorstep-notifier", "doorstep-scheduler"}
    for headers in dead_letters():
        assert headers["dlq_original_topic"] == CASE_EVENTS
        assert headers["dlq_error"]
    report = fault_stack.settled(
        Expectations(accepted=intake.accepted, poison=frozenset({POISON}), notices_per_case=1),
        timeout=120,
    )
    report.assert_clean()
    assert report.dead_letters == 2

    # The checker itself is not blind: poison it was not told about is a violation.
    unexpected = fault_stack.settled(
        Expectations(accepted=intake.accepted, notices_per_case=1), timeout=0
    )
    assert any("not injected poison" in v for v in unexpected.violations)
