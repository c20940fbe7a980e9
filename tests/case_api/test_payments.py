"""Payments from core banking over the real ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.routing import NoMatchFound

from doorstep_case_api.arrangements.models import Arrangement
from doorstep_case_api.arrangements.service import InstalmentPlanTerms, approve, propose
from doorstep_case_api.business_date.service import BusinessDateService
from doorstep_case_api.cases.context import CaseRules
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.charges.service import accrue_penalty_interest
from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.db import outbox_table
from doorstep_case_api.main import create_app
from doorstep_case_api.payments.models import Payment
from doorstep_case_api.payments.router import router as payments_router
from doorstep_case_api.promises.models import Promise
from doorstep_case_api.promises.service import record_promise
from doorstep_case_api.settings import CaseApiSettings
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import app_client, migrate

OPENED_ON = date(2026, 11, 28)
ACCOUNT = "ACC-1"
# SNAPSHOT's arrears (1259.75 CNY) plus the 25.00 late fee charged when the case opens.
TOTAL_DUE = Decimal("1284.75")


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    app = create_app(CaseApiSettings(database_url=database_url, background_workers_enabled=False))
    if not includes_payments(app):
        app.include_router(payments_router)
    async with app_client(app) as http:
        http.app = app  # type: ignore[attr-defined]
        await set_business_date(http, OPENED_ON)
        yield http


def includes_payments(app: FastAPI) -> bool:
    # Until the lead includes the router in main.py (FastAPI 0.165 keeps included routers as
    # objects in app.routes, so look the route up by name).
    try:
        app.url_path_for("post_payment", account_id="A")
    except NoMatchFound:
        return False
    return True


async def set_business_date(client: httpx.AsyncClient, day: date) -> None:
    async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
        await BusinessDateService(session, "UTC").pin(day)


async def open_case(client: httpx.AsyncClient, account: str = ACCOUNT) -> str:
    response = await client.put(f"/v1/accounts/{account}/delinquency", json=SNAPSHOT)
    assert response.status_code == 201, response.text
    return str(response.json()["case"]["id"])


def payment(**changes: Any) -> dict[str, Any]:
    body = {
        "payment_reference": "TXN-1",
        "amount": "50.00",
        "currency": "CNY",
        "value_date": str(OPENED_ON),
        "channel": "bank_transfer",
    }
    return body | changes


async def pay(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    account: str = ACCOUNT,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(f"/v1/accounts/{account}/payments", json=body, headers=headers)


async def stored_case(client: httpx.AsyncClient, case_id: str) -> Case:
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        case = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


async def count(client: httpx.AsyncClient, table: Any) -> int:
    async with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def timeline(client: httpx.AsyncClient, case_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/cases/{case_id}")
    return list(response.json()["timeline"])


async def test_partial_payment_reduces_arrears_in_policy_order(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    response = await pay(client, payment(amount="50.00"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "applied"
    assert body["case_id"] == case_id
    # penalties 4.25, then the 25.00 late fee and the 20.00 reported fees, then interest.
    assert body["allocation"] == {
        "penalties": "4.25",
        "fees": "45.00",
        "interest": "0.75",
        "principal": "0.00",
        "unallocated": "0.00",
    }
    assert body["case"]["status"] == "open"
    assert body["case"]["days_past_due"] == 35  # core banking's next snapshot reports DPD
    assert body["case"]["arrears"] == {
        "currency": "CNY",
        "principal": "1200.00",
        "interest": "34.75",
        "fees": "0.00",
        "penalties": "0.00",
        "total": "1234.75",
    }
    case = await stored_case(client, case_id)
    assert case.late_fee_charged == 0
    assert response.headers["ETag"] == case.etag
    event = (await timeline(client, case_id))[-1]
    assert event["event_type"] == "doorstep.case.payment_received.v1"
    assert event["details"]["payment_id"] == body["payment_id"]
    assert event["details"]["allocation"] == body["allocation"]
    assert event["details"]["charges"]["late_fees"] == "0.00"
    assert event["details"]["total_due"] == "1234.75"


async def test_doorstep_penalty_interest_is_paid_before_reported_penalties(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    later = date(2026, 12, 8)
    async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
        rules = CaseRules(session, client.app.state.policy, later, "urn:test")  # type: ignore[attr-defined]
        case = await CaseRepository(session).lock(uuid.UUID(case_id))
        assert case is not None
        await accrue_penalty_interest(rules.context(case))
        assert case.penalty_interest_charged == Decimal("6.00")  # 1200 × 0.0005 × 10 days

    response = await pay(client, payment(amount="8.00"))

    assert response.json()["allocation"]["penalties"] == "8.00"
    case = await stored_case(client, case_id)
    assert case.penalty_interest_charged == 0
    assert case.penalties == Decimal("2.25")
    assert case.late_fee_charged == Decimal("25.00")


async def test_same_payment_again_replays_the_first_answer_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    first = await pay(client, payment())
    events_before = await count(client, outbox_table)

    again = await pay(client, payment())
    # "50" is the same amount as "50.00": the same payment, however it is spelt.
    respelt = await pay(client, payment(amount="50"))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert respelt.status_code == 200
    assert respelt.json() == first.json()
    assert await count(client, Payment.__table__) == 1
    assert await count(client, outbox_table) == events_before
    kinds = [e["event_type"] for e in await timeline(client, case_id)]
    assert kinds.count("doorstep.case.payment_received.v1") == 1
    assert (await stored_case(client, case_id)).interest == Decimal("34.75")


async def test_the_same_payment_sent_twice_at_once_is_recorded_once(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)

    responses = await asyncio.gather(pay(client, payment()), pay(client, payment()))

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].json()["payment_id"] == responses[1].json()["payment_id"]
    assert await count(client, Payment.__table__) == 1
    assert (await stored_case(client, case_id)).interest == Decimal("34.75")


async def test_reference_reused_with_another_body_is_refused(client: httpx.AsyncClient) -> None:
    case_id = await open_case(client)
    await pay(client, payment())
    events_before = await count(client, outbox_table)

    response = await pay(client, payment(amount="60.00"))

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/payment-reference-reused")
    assert await count(client, Payment.__table__) == 1
    assert await count(client, outbox_table) == events_before
    assert (await stored_case(client, case_id)).interest == Decimal("34.75")


async def test_payment_in_full_resolves_the_case(client: httpx.AsyncClient) -> None:
    case_id = await open_case(client)

    response = await pay(client, payment(amount=str(TOTAL_DUE)))

    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "cured"
    assert body["allocation"]["unallocated"] == "0.00"
    assert body["case"]["status"] == "resolved"
    assert body["case"]["resolution_reason"] == "paid"
    assert body["case"]["arrears"]["total"] == "0.00"
    events = await timeline(client, case_id)
    assert [e["event_type"] for e in events[-2:]] == [
        "doorstep.case.payment_received.v1",
        "doorstep.case.resolved.v1",
    ]
    assert events[-1]["details"]["reason"] == "paid"
    assert events[-1]["details"]["total_due"] == "0.00"
    # The replay still says what the first answer said.
    assert (await pay(client, payment(amount=str(TOTAL_DUE)))).json()["outcome"] == "cured"


async def test_overpayment_is_kept_unallocated(client: httpx.AsyncClient) -> None:
    await open_case(client)

    response = await pay(client, payment(amount="1300.00"))

    body = response.json()
    assert body["outcome"] == "cured"
    assert body["allocation"] == {
        "penalties": "4.25",
        "fees": "45.00",
        "interest": "35.50",
        "principal": "1200.00",
        "unallocated": "15.25",
    }


async def test_payment_without_an_open_case_is_recorded_unallocated(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    await pay(client, payment(payment_reference="TXN-CURE", amount=str(TOTAL_DUE)))
    events_before = await count(client, outbox_table)

    response = await pay(client, payment(payment_reference="TXN-LATE", amount="10.00"))

    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "no_open_case"
    assert body["case_id"] is None
    assert body["case"] is None
    assert body["allocation"] == {
        "penalties": "0.00",
        "fees": "0.00",
        "interest": "0.00",
        "principal": "0.00",
        "unallocated": "10.00",
    }
    assert "ETag" not in response.headers
    assert await count(client, outbox_table) == events_before
    assert (await stored_case(client, case_id)).status == "resolved"
    replay = await pay(client, payment(payment_reference="TXN-LATE", amount="10.00"))
    assert replay.status_code == 200
    assert replay.json() == body


async def test_payment_counts_towards_a_pending_promise(client: httpx.AsyncClient) -> None:
    case_id = await open_case(client)
    async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
        rules = CaseRules(session, client.app.state.policy, OPENED_ON, "urn:test")  # type: ignore[attr-defined]
        case = await CaseRepository(session).lock(uuid.UUID(case_id))
        assert case is not None
        await record_promise(
            rules.context(case),
            amount=Decimal("100.00"),
            promised_date=date(2026, 12, 5),
            channel="phone",
            recorded_by="agent-7",
            source="operations",
        )

    await pay(client, payment(payment_reference="TXN-A", amount="60.00"))
    await pay(client, payment(payment_reference="TXN-B", amount="40.00"))

    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        promise = (await session.execute(select(Promise))).scalar_one()
    assert promise.status == "kept"
    assert promise.paid_towards == Decimal("100.00")
    kinds = [e["event_type"] for e in await timeline(client, case_id)]
    assert kinds[-2:] == ["doorstep.case.payment_received.v1", "doorstep.case.promise_kept.v1"]


async def test_payment_pays_the_active_arrangements_instalments(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
        rules = CaseRules(session, client.app.state.policy, OPENED_ON, "urn:test")  # type: ignore[attr-defined]
        case = await CaseRepository(session).lock(uuid.UUID(case_id))
        assert case is not None
        ctx = rules.context(case)
        terms = InstalmentPlanTerms(count=2, frequency="monthly", first_due=date(2026, 12, 1))
        plan = await propose(ctx, amount=Decimal("100.00"), terms=terms, proposed_by="agent-7")
        await approve(ctx, plan, approver="lead-1", approver_role="supervisor")

    await pay(client, payment(payment_reference="TXN-A", amount="100.00"))

    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        arrangement = (await session.execute(select(Arrangement))).scalar_one()
    assert arrangement.status == "completed"
    events = await timeline(client, case_id)
    assert [e["event_type"] for e in events[-2:]] == [
        "doorstep.case.payment_received.v1",
        "doorstep.case.arrangement_changed.v1",
    ]
    assert events[-1]["details"]["arrangement_status"] == "completed"


async def test_stale_if_match_refuses_the_payment(client: httpx.AsyncClient) -> None:
    await open_case(client)
    etag = (await pay(client, payment(payment_reference="TXN-A"))).headers["ETag"]
    await pay(client, payment(payment_reference="TXN-B"))

    stale = await pay(client, payment(payment_reference="TXN-C"), headers={"If-Match": etag})
    current = (await pay(client, payment(payment_reference="TXN-B"))).headers["ETag"]
    fresh = await pay(client, payment(payment_reference="TXN-D"), headers={"If-Match": current})

    assert stale.status_code == 412
    assert fresh.status_code == 201
    assert await count(client, Payment.__table__) == 3


async def test_currency_other_than_the_accounts_is_refused(client: httpx.AsyncClient) -> None:
    await open_case(client)

    response = await pay(client, payment(currency="USD"))

    assert response.status_code == 409
    assert response.json()["type"].endswith("/payment-currency-mismatch")
    assert await count(client, Payment.__table__) == 0


async def test_unknown_account_is_404(client: httpx.AsyncClient) -> None:
    response = await pay(client, payment(), account="NO-SUCH-ACCOUNT")

    assert response.status_code == 404
    assert response.json()["type"].endswith("/account-not-found")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", 123.45),
        ("amount", "-5.00"),
        ("amount", "0"),
        ("amount", "12.345"),  # CNY has two decimals
        ("amount", "1e3"),
        ("value_date", 1764288000),
        ("payment_reference", ""),
        ("payment_reference", "x" * 65),
        ("unexpected", "sneaky-value-42"),
    ],
)
async def test_invalid_payment_is_422_without_echo(
    client: httpx.AsyncClient, field: str, value: object
) -> None:
    await open_case(client)
    body = copy.deepcopy(payment())
    body[field] = value

    response = await pay(client, body)

    assert response.status_code == 422
    assert response.json()["type"].endswith("/validation-error")
    if len(str(value)) >= 4:  # shorter values ("0") occur in the messages themselves
        assert str(value) not in response.text
    assert await count(client, Payment.__table__) == 0
