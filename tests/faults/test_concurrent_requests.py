"""Scenario 11: 50 concurrent PUTs of one account, and 50 concurrent replays of one POST under
one Idempotency-Key, over real HTTP: one consistent state, one payment."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import httpx
import pytest

from tests.e2e.conftest import run_async, unique_account
from tests.e2e.snapshots import overdue
from tests.faults.checker import Expectations
from tests.faults.conftest import FaultStack

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]

WRITERS = 50


async def _put_all(base_url: str, headers: dict[str, str], account: str) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=WRITERS)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=60, limits=limits
    ) as client:
        return await asyncio.gather(
            *(
                client.put(
                    f"/v1/accounts/{account}/delinquency",
                    json=overdue(5000, 12, principal=f"{1000 + n}.00"),
                )
                for n in range(WRITERS)
            )
        )


async def _pay_all(base_url: str, headers: dict[str, str], account: str) -> list[httpx.Response]:
    payment = {
        "payment_reference": f"PAY-{account}",
        "amount": "100.00",
        "currency": "GBP",
        "value_date": "2026-11-28",
        "channel": "bank_transfer",
    }
    key = {"Idempotency-Key": f"fault-{account}"}
    limits = httpx.Limits(max_connections=WRITERS)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=60, limits=limits
    ) as client:

        async def pay() -> httpx.Response:
            while True:  # a replay while the first is in flight is a 409: the client retries
                response = await client.post(
                    f"/v1/accounts/{account}/payments", json=payment, headers=key
                )
                if response.status_code != 409:
                    return response
                await asyncio.sleep(0.2)

        return await asyncio.gather(*(pay() for _ in range(WRITERS)))


NEWEST_EVENT = "SELECT payload FROM outbox_message WHERE message_key = $1 ORDER BY id DESC LIMIT 1"
PAYMENTS = "SELECT count(*) FROM payment WHERE account_id = $1"


def test_concurrent_writes_of_one_account_leave_one_consistent_state(
    fault_stack: FaultStack,
) -> None:
    stack = fault_stack.stack
    account = unique_account()
    responses = run_async(_put_all(stack.url("case-api"), stack.operator_headers, account))
    assert sorted({r.status_code for r in responses}) in ([200, 201], [201]), [
        r.text for r in responses if r.status_code >= 300
    ]
    assert [r.status_code for r in responses].count(201) == 1  # one case opened, once
    assert len({r.json()["case"]["id"] for r in responses}) == 1
    case_id = responses[0].json()["case"]["id"]
    with httpx.Client(base_url=stack.url("case-api"), headers=stack.operator_headers) as client:
        case = client.get(f"/v1/cases/{case_id}")
    final = Decimal(case.json()["arrears"]["principal"])
    assert final in {Decimal(1000 + n) for n in range(WRITERS)}
    # The case is the state of its newest event: the PUTs applied one after another.
    newest = json.loads(fault_stack.value("case-api", NEWEST_EVENT, case_id))
    assert Decimal(newest["arrears"]["principal"]) == final
    assert case.headers["ETag"] == f'"{case_id}.{newest["sequence"]}"'
    assert newest["sequence"] >= WRITERS + 1  # opened, charged, then one event per change

    paid = run_async(_pay_all(stack.url("case-api"), stack.operator_headers, account))
    assert {r.status_code for r in paid} == {201}
    assert len({r.text for r in paid}) == 1, "replays answered differently"
    assert fault_stack.value("case-api", PAYMENTS, account) == 1
    with httpx.Client(base_url=stack.url("case-api"), headers=stack.operator_headers) as client:
        after = client.get(f"/v1/cases/{case_id}").json()
    # Allocated once: what is due fell by the payment, not by a multiple of it.
    assert Decimal(case.json()["total_due"]) - Decimal(after["total_due"]) == Decimal("100.00")

    report = fault_stack.settled(
        Expectations(accepted={account: Decimal(after["arrears"]["principal"])}), timeout=120
    )
    report.assert_clean()
