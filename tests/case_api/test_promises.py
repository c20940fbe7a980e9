"""Promises to pay: recorded, kept by payments, broken after the grace, escalating the ladder.

Service tests drive the business date by building CaseRules for the day; API tests pin it.
Both run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import NoMatchFound

from doorstep_case_api.accounts.schemas import DelinquencySnapshot
from doorstep_case_api.accounts.service import IntakeService
from doorstep_case_api.business_date.service import BusinessDateService
from doorstep_case_api.cases.context import CaseContext, CaseRules
from doorstep_case_api.cases.lifecycle import resolve_case
from doorstep_case_api.cases.models import Case, StageTransition, TimelineEntry
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.legal.models import LegalReferral
from doorstep_case_api.main import create_app
from doorstep_case_api.policy.model import load_policy
from doorstep_case_api.promises.exceptions import (
    InvalidPromiseError,
    PromiseCaseClosedError,
    PromiseNotRecordedError,
)
from doorstep_case_api.promises.models import Promise
from doorstep_case_api.promises.router import router as promises_router
from doorstep_case_api.promises.service import (
    apply_payment_to_promises,
    record_promise,
    settle_due_promises,
)
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from tests.support.apps import app_client, migrate

POLICY = load_policy()
DAY = date(2026, 11, 30)  # the business date the case opens on
ACCOUNT = "ACC-PTP-1"
DELINQUENCY: dict[str, Any] = {
    "as_of_date": "2026-11-30",
    "customer": {
        "customer_id": "CUST-PTP-1",
        "name": "Li Wei",
        "phone": "+8613800138000",
        "timezone": "Asia/Shanghai",
        "preferred_language": "zh-CN",
    },
    "loan": {
        "product": "personal-loan",
        "currency": "CNY",
        "arrears": {"principal": "1200.00", "interest": "35.50", "fees": "0", "penalties": "0"},
        "days_past_due": 45,
    },
}

Sessions = async_sessionmaker[AsyncSession]


def delinquency(principal: str = "1200.00", days_past_due: int = 45) -> dict[str, Any]:
    body = copy.deepcopy(DELINQUENCY)
    body["loan"]["arrears"]["principal"] = principal
    body["loan"]["days_past_due"] = days_past_due
    return body


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    await migrate(MIGRATIONS, database_url)
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


def rules(session: AsyncSession, day: date) -> CaseRules:
    return CaseRules(session, POLICY, day, "urn:test")


async def open_case(sessions: Sessions, principal: str = "1200.00") -> uuid.UUID:
    """A 45-DPD case, opened on DAY in the first stage (no notice sent yet)."""
    snapshot = DelinquencySnapshot.model_validate(delinquency(principal))
    async with sessions() as session, session.begin():
        output = await IntakeService(rules(session, DAY)).apply_snapshot(ACCOUNT, snapshot)
    assert output.case is not None
    return output.case.id


@asynccontextmanager
async def on_case(sessions: Sessions, case_id: uuid.UUID, day: date) -> AsyncIterator[CaseContext]:
    """The locked case on business date ``day``, in a transaction committed on exit."""
    async with sessions() as session, session.begin():
        case = await CaseRepository(session).lock(case_id)
        assert case is not None
        yield rules(session, day).context(case)


async def move_to_field(sessions: Sessions, case_id: uuid.UUID) -> None:
    async with on_case(sessions, case_id, DAY) as ctx:
        ctx.case.first_notice_sent_on = DAY - timedelta(days=10)
        await advance(ctx)
        assert ctx.case.stage == "field"


async def promise(
    sessions: Sessions, case_id: uuid.UUID, amount: str, due: date, day: date = DAY
) -> uuid.UUID:
    async with on_case(sessions, case_id, day) as ctx:
        recorded = await record_promise(
            ctx,
            amount=Decimal(amount),
            promised_date=due,
            channel="phone",
            recorded_by="agent-017",
            source="operations",
        )
    return recorded.id


async def pay(sessions: Sessions, case_id: uuid.UUID, amount: str, day: date) -> None:
    async with on_case(sessions, case_id, day) as ctx:
        await apply_payment_to_promises(ctx, Decimal(amount))


async def settle(sessions: Sessions, case_id: uuid.UUID, day: date) -> None:
    async with on_case(sessions, case_id, day) as ctx:
        await settle_due_promises(ctx)


async def stored(sessions: Sessions, model: type[Any], key: Any) -> Any:
    async with sessions() as session:
        row = await session.get(model, key)
        assert row is not None
        return row


async def timeline(sessions: Sessions, case_id: uuid.UUID) -> list[TimelineEntry]:
    async with sessions() as session:
        return list(await CaseRepository(session).timeline(case_id))


async def test_a_recorded_promise_is_pending_and_on_the_timeline(sessions: Sessions) -> None:
    case_id = await open_case(sessions)
    promise_id = await promise(sessions, case_id, "300", DAY + timedelta(days=5))

    recorded: Promise = await stored(sessions, Promise, promise_id)
    assert (recorded.status, recorded.paid_towards, recorded.recorded_on) == (
        "pending",
        Decimal(0),
        DAY,
    )
    assert (recorded.amount, recorded.currency, recorded.source) == (
        Decimal(300),
        "CNY",
        "operations",
    )
    last = (await timeline(sessions, case_id))[-1]
    assert last.event_type == "doorstep.case.promise_recorded.v1"
    assert last.details["promise_id"] == str(promise_id)
    assert last.details["promised_amount"] == "300.00"
    assert last.details["promised_date"] == "2026-12-05"
    assert (last.details["source"], last.details["channel"]) == ("operations", "phone")
    assert "300.00 CNY by 2026-12-05" in last.summary


async def test_invalid_promises_are_refused_and_change_nothing(sessions: Sessions) -> None:
    case_id = await open_case(sessions)
    before = (await stored(sessions, Case, case_id)).last_sequence
    invalid = [
        ("0", DAY),  # nothing promised
        ("10.001", DAY),  # more decimals than CNY has
        ("5000.00", DAY),  # more than the case's total due (1260.50)
        ("100", DAY - timedelta(days=1)),  # before the business date
        ("100", DAY + timedelta(days=91)),  # too far ahead: that is an arrangement
    ]
    for amount, due in invalid:
        with pytest.raises(InvalidPromiseError):
            await promise(sessions, case_id, amount, due)
    await promise(sessions, case_id, "100", DAY + timedelta(days=90))  # the edge is allowed

    async with on_case(sessions, case_id, DAY) as ctx:
        await resolve_case(ctx, "paid", "Paid in full.")
    # The visit write-back catches this base class rather than retrying a promise forever.
    with pytest.raises(PromiseCaseClosedError) as refused:
        await promise(sessions, case_id, "100", DAY)
    assert isinstance(refused.value, PromiseNotRecordedError)
    assert refused.value.status == 409
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Promise))
    assert count == 1
    assert (await stored(sessions, Case, case_id)).last_sequence == before + 2


async def test_payments_keep_the_oldest_pending_promise_first(sessions: Sessions) -> None:
    case_id = await open_case(sessions)
    first = await promise(sessions, case_id, "300", DAY + timedelta(days=5))
    second = await promise(sessions, case_id, "200", DAY + timedelta(days=3))
    events_before = len(await timeline(sessions, case_id))

    await pay(sessions, case_id, "100.00", DAY + timedelta(days=1))
    assert (await stored(sessions, Promise, first)).paid_towards == Decimal(100)
    assert (await stored(sessions, Promise, second)).paid_towards == Decimal(0)
    assert len(await timeline(sessions, case_id)) == events_before  # a partial payment: no event

    await pay(sessions, case_id, "250.00", DAY + timedelta(days=2))
    kept: Promise = await stored(sessions, Promise, first)
    assert (kept.status, kept.paid_towards, kept.settled_on) == (
        "kept",
        Decimal(300),
        DAY + timedelta(2),
    )
    still: Promise = await stored(sessions, Promise, second)
    assert (still.status, still.paid_towards) == ("pending", Decimal(50))
    entries = await timeline(sessions, case_id)
    assert [e.event_type for e in entries[events_before:]] == ["doorstep.case.promise_kept.v1"]
    assert entries[-1].details["promise_id"] == str(first)

    # Paid on the last day of the grace (promised date + 1 day): still kept.
    await pay(sessions, case_id, "150.00", DAY + timedelta(days=4))
    assert (await stored(sessions, Promise, second)).status == "kept"
    assert (await stored(sessions, Case, case_id)).broken_promises == 0


async def test_an_unpaid_promise_breaks_after_the_grace_once(sessions: Sessions) -> None:
    case_id = await open_case(sessions)
    due = DAY + timedelta(days=3)
    promise_id = await promise(sessions, case_id, "300", due)
    await pay(sessions, case_id, "120", DAY + timedelta(days=1))

    await settle(sessions, case_id, due + timedelta(days=1))  # last day of the 1-day grace
    assert (await stored(sessions, Promise, promise_id)).status == "pending"

    late = due + timedelta(days=2)
    await pay(sessions, case_id, "180", late)  # too late to keep it
    assert (await stored(sessions, Promise, promise_id)).status == "pending"
    await settle(sessions, case_id, late)

    broken: Promise = await stored(sessions, Promise, promise_id)
    assert (broken.status, broken.settled_on, broken.paid_towards) == ("broken", late, Decimal(120))
    case: Case = await stored(sessions, Case, case_id)
    assert case.broken_promises == 1
    last = (await timeline(sessions, case_id))[-1]
    assert last.event_type == "doorstep.case.promise_broken.v1"
    assert last.details["paid_towards"] == "120.00"
    assert last.details["promise_id"] == str(promise_id)

    await settle(sessions, case_id, late)  # the daily job running twice
    await settle(sessions, case_id, late + timedelta(days=1))
    again: Case = await stored(sessions, Case, case_id)
    assert (again.broken_promises, again.last_sequence) == (1, case.last_sequence)


async def test_two_broken_promises_take_a_field_case_to_legal(sessions: Sessions) -> None:
    case_id = await open_case(sessions)
    await move_to_field(sessions, case_id)
    await promise(sessions, case_id, "100", DAY + timedelta(days=1))
    await promise(sessions, case_id, "100", DAY + timedelta(days=2))

    await settle(sessions, case_id, DAY + timedelta(days=3))  # only the first is past its grace
    case: Case = await stored(sessions, Case, case_id)
    assert (case.broken_promises, case.stage) == (1, "field")

    await settle(sessions, case_id, DAY + timedelta(days=4))
    case = await stored(sessions, Case, case_id)
    assert (case.broken_promises, case.stage) == (2, "legal")
    async with sessions() as session:
        referral = (
            await session.execute(select(LegalReferral).where(LegalReferral.case_id == case_id))
        ).scalar_one()
        transition = (
            await session.execute(
                select(StageTransition)
                .where(StageTransition.case_id == case_id)
                .order_by(StageTransition.id.desc())
                .limit(1)
            )
        ).scalar_one()
    assert (referral.status, referral.entered_on) == ("in_review", DAY + timedelta(days=4))
    assert (transition.from_stage, transition.to_stage) == ("field", "legal")
    assert "2 broken promises" in transition.reason
    types = [e.event_type for e in await timeline(sessions, case_id)]
    assert types[-2:] == ["doorstep.case.promise_broken.v1", "doorstep.case.stage_changed.v1"]


# --- over HTTP -------------------------------------------------------------------------------


def with_promises(app: FastAPI) -> FastAPI:
    try:  # included by main.py once the lead adds it
        app.url_path_for("post_promise", case_id="x")
    except NoMatchFound:
        app.include_router(promises_router)
    return app


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    settings = CaseApiSettings(database_url=database_url, background_workers_enabled=False)
    app = with_promises(create_app(settings))
    async with app_client(app) as http:
        async with app.state.sessionmaker() as session, session.begin():
            await BusinessDateService(session, "UTC").pin(DAY)
        yield http


async def open_case_over_http(client: httpx.AsyncClient) -> tuple[str, str]:
    """The new case's id and its current ETag."""
    opened = await client.put(f"/v1/accounts/{ACCOUNT}/delinquency", json=delinquency())
    assert opened.status_code == 201, opened.text
    case_id = str(opened.json()["case"]["id"])
    return case_id, await etag(client, case_id)


async def etag(client: httpx.AsyncClient, case_id: str) -> str:
    response = await client.get(f"/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def promise_body(**changes: Any) -> dict[str, Any]:
    body = {
        "amount": "300.00",
        "currency": "CNY",
        "promised_date": "2026-12-05",
        "channel": "phone",
        "recorded_by": "agent-017",
    }
    return body | changes


async def test_operations_record_a_promise_and_list_it(client: httpx.AsyncClient) -> None:
    case_id, tag = await open_case_over_http(client)
    response = await client.post(
        f"/v1/cases/{case_id}/promises", json=promise_body(), headers={"If-Match": tag}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["case_id"] == case_id
    assert (created["amount"], created["currency"], created["paid_towards"]) == (
        "300.00",
        "CNY",
        "0.00",
    )
    assert (created["status"], created["source"], created["recorded_on"]) == (
        "pending",
        "operations",
        "2026-11-30",
    )

    listed = await client.get(f"/v1/cases/{case_id}/promises")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    assert await etag(client, case_id) != tag  # the promise changed the case


async def test_refused_promises_over_http(client: httpx.AsyncClient) -> None:
    case_id, tag = await open_case_over_http(client)
    url = f"/v1/cases/{case_id}/promises"

    stale = await client.post(url, json=promise_body(), headers={"If-Match": '"stale"'})
    assert stale.status_code == 412
    assert stale.json()["type"].endswith("/case-changed")

    other_currency = await client.post(url, json=promise_body(currency="USD"))
    assert other_currency.status_code == 422
    assert other_currency.headers["content-type"].startswith("application/problem+json")
    assert other_currency.json()["type"].endswith("/currency-mismatch")

    # A decimal point: the value cannot turn up by chance inside the problem's random ids.
    number = await client.post(url, json=promise_body(amount=300.25))
    assert number.status_code == 422
    assert number.json()["type"].endswith("/validation-error")
    assert "300.25" not in number.text  # the submitted value is not echoed

    past = await client.post(url, json=promise_body(promised_date="2026-11-29"))
    assert past.status_code == 422
    assert past.json()["type"].endswith("/invalid-promise")

    unknown = await client.post(f"/v1/cases/{uuid.uuid4()}/promises", json=promise_body())
    assert unknown.status_code == 404
    assert (await client.get(f"/v1/cases/{uuid.uuid4()}/promises")).status_code == 404

    assert (await client.get(url)).json()["items"] == []
    assert await etag(client, case_id) == tag
