"""Scenario 1: kill -9 case-api between the business write and the commit, and after the
commit. No case without its event, no event without its case."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import eventually, run_async, unique_account
from tests.e2e.snapshots import overdue
from tests.faults.checker import Expectations
from tests.faults.conftest import FaultStack
from tests.faults.load import Background, Intake

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


CASES_FOR = "SELECT count(*) FROM collection_case WHERE account_id = $1"
WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock'"
)


def test_kill_9_inside_the_transaction_leaves_neither_case_nor_event(
    fault_stack: FaultStack,
) -> None:
    stack, case_db = fault_stack.stack, fault_stack.databases["case-api"]
    intake = Intake(stack.url("case-api"), stack.operator_headers)
    before = [unique_account() for _ in range(5)]
    run_async(intake.open_accounts(before, 1000))

    # Hold the outbox table: the next intake writes its account, customer and case, then
    # waits at its outbox insert, inside its transaction, until case-api is killed.
    async def hold_outbox() -> asyncpg.Connection:
        conn = await asyncpg.connect(case_db.replace("postgresql+asyncpg", "postgresql"))
        await conn.execute("BEGIN; LOCK TABLE outbox_message IN SHARE MODE")
        return conn

    loop = asyncio.new_event_loop()
    try:
        holder = loop.run_until_complete(hold_outbox())
        victim = unique_account()
        request = Background(
            lambda: _put_once(stack.url("case-api"), stack.operator_headers, victim)
        )
        eventually(
            lambda: fault_stack.value("case-api", WAITING_ON_A_LOCK) > 0,
            timeout=30,
            what="the intake to wait inside its transaction",
        )
        stack.kill_service("case-api")
        loop.run_until_complete(holder.execute("ROLLBACK"))
        loop.run_until_complete(holder.close())
    finally:
        loop.close()
    request.join(60)
    assert fault_stack.value("case-api", CASES_FOR, victim) == 0, (
        "a case committed without its event"
    )

    stack.start_service("case-api")
    stack.wait_ready(["case-api"])
    run_async(intake.open_accounts([victim], 2000))  # the bank sends it again
    report = fault_stack.settled(
        Expectations(accepted=intake.accepted, notices_per_case=1), timeout=120
    )
    report.assert_clean()
    assert report.cases == 6


async def _put_once(base_url: str, headers: dict[str, str], account: str) -> None:
    """The request case-api is killed under: it gets no answer."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=headers) as client:
        try:
            response = await client.put(
                f"/v1/accounts/{account}/delinquency", json=overdue(3000, 12)
            )
        except httpx.TransportError:
            return
    raise AssertionError(f"the killed request was answered: {response.status_code}")


def test_kill_9_after_the_commit_still_publishes_the_event(fault_stack: FaultStack) -> None:
    stack = fault_stack.stack
    intake = Intake(stack.url("case-api"), stack.operator_headers)
    stack.broker.pause()  # nothing leaves the outbox before the kill
    try:
        accounts = [unique_account() for _ in range(5)]
        run_async(intake.open_accounts(accounts, 4000))
        stack.kill_service("case-api")
    finally:
        stack.broker.resume()
    assert len(intake.accepted) == 5

    stack.start_service("case-api")
    stack.wait_ready(["case-api"])
    report = fault_stack.settled(
        Expectations(accepted=intake.accepted, notices_per_case=1), timeout=120
    )
    report.assert_clean()
    assert report.events_published >= 10  # opened + charges for each account
