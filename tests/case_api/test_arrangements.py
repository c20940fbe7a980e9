"""Repayment arrangements: proposed, approved by the right role, paid off or broken.

Service tests move the business date by building CaseRules for the day; API tests pin it.
Both run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from starlette.routing import NoMatchFound

from doorstep_case_api.arrangements.exceptions import (
    ArrangementExistsError,
    ArrangementOutdatedError,
    ArrangementTransitionError,
    InvalidArrangementError,
    SupervisorApprovalRequiredError,
)
from doorstep_case_api.arrangements.models import Arrangement, ArrangementInstalment
from doorstep_case_api.arrangements.router import router as arrangements_router
from doorstep_case_api.arrangements.service import (
    ApproverRole,
    DeferralTerms,
    InstalmentPlanTerms,
    Terms,
    apply_payment_to_arrangement,
    approve,
    arrangement_to_decide,
    check_arrangements,
    propose,
    reject,
)
from doorstep_case_api.business_date.service import BusinessDateService
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from tests.case_api.test_promises import (
    ACCOUNT,
    DAY,
    Sessions,
    delinquency,
    etag,
    on_case,
    open_case,
    stored,
    timeline,
)
from tests.support.apps import app_client, bearer, issue_key, migrate

# open_case: 1200.00 principal + 35.50 interest + the 25.00 late fee charged on opening.
TOTAL_DUE = Decimal("1260.50")


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    await migrate(MIGRATIONS, database_url)
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


def monthly(count: int, first_due: date) -> InstalmentPlanTerms:
    return InstalmentPlanTerms(count=count, frequency="monthly", first_due=first_due)


async def proposed(
    sessions: Sessions, case_id: uuid.UUID, amount: str, terms: Terms, day: date = DAY
) -> uuid.UUID:
    async with on_case(sessions, case_id, day) as ctx:
        arrangement = await propose(ctx, amount=Decimal(amount), terms=terms, proposed_by="a-1")
    return arrangement.id


async def approved(
    sessions: Sessions,
    case_id: uuid.UUID,
    arrangement_id: uuid.UUID,
    role: ApproverRole = "agent",
    day: date = DAY,
) -> None:
    async with on_case(sessions, case_id, day) as ctx:
        arrangement = await arrangement_to_decide(ctx.session, arrangement_id)
        await approve(ctx, arrangement, approver="sup-1", approver_role=role)


async def rejected(sessions: Sessions, case_id: uuid.UUID, arrangement_id: uuid.UUID) -> None:
    async with on_case(sessions, case_id, DAY) as ctx:
        arrangement = await arrangement_to_decide(ctx.session, arrangement_id)
        await reject(ctx, arrangement, approver="sup-1", reason="no income evidence")


async def pay(sessions: Sessions, case_id: uuid.UUID, amount: str, day: date) -> None:
    async with on_case(sessions, case_id, day) as ctx:
        await apply_payment_to_arrangement(ctx, Decimal(amount))


async def check(sessions: Sessions, case_id: uuid.UUID, day: date) -> None:
    async with on_case(sessions, case_id, day) as ctx:
        await check_arrangements(ctx)


async def instalments(sessions: Sessions, arrangement_id: uuid.UUID) -> list[Any]:
    async with sessions() as session:
        result = await session.execute(
            select(ArrangementInstalment)
            .where(ArrangementInstalment.arrangement_id == arrangement_id)
            .order_by(ArrangementInstalment.number)
        )
        return [(i.due_date, i.amount, i.paid_amount, i.status) for i in result.scalars()]


async def last_event(sessions: Sessions, case_id: uuid.UUID) -> dict[str, Any]:
    entry = (await timeline(sessions, case_id))[-1]
    assert entry.event_type == "doorstep.case.arrangement_changed.v1"
    return dict(entry.details)


async def test_proposals_within_policy_one_open_arrangement_per_case(sessions: Sessions) -> None:
    case_id = await open_case(sessions)
    invalid: list[tuple[str, Terms]] = [
        ("1260.51", monthly(6, DAY)),  # more than the total due
        ("100.005", monthly(6, DAY)),  # more decimals than CNY has
        ("0.05", monthly(6, DAY)),  # instalments below one fen
        ("1000", monthly(25, DAY)),  # the policy allows 24
        ("1000", monthly(6, DAY - timedelta(days=1))),  # first instalment in the past
        ("1000", monthly(6, DAY + timedelta(days=91))),  # starts beyond max_deferral_days
        ("1000", DeferralTerms(DAY)),  # a deferral must move the date
        ("1000", DeferralTerms(DAY + timedelta(days=91))),
    ]
    for amount, terms in invalid:
        with pytest.raises(InvalidArrangementError):
            await proposed(sessions, case_id, amount, terms)

    plan = await proposed(sessions, case_id, str(TOTAL_DUE), monthly(24, DAY))
    found: Arrangement = await stored(sessions, Arrangement, plan)
    assert (found.status, found.kind, found.proposed_on) == ("proposed", "instalment_plan", DAY)
    details = await last_event(sessions, case_id)
    assert (details["arrangement_status"], details["amount"]) == ("proposed", "1260.50")
    assert details["collection_paused"] is False
    assert await instalments(sessions, plan) == []  # nothing is due before approval

    with pytest.raises(ArrangementExistsError):
        await proposed(sessions, case_id, "500", DeferralTerms(DAY + timedelta(days=90)))
    await rejected(sessions, case_id, plan)
    found = await stored(sessions, Arrangement, plan)
    assert (found.status, found.decision_reason, found.ended_on) == (
        "rejected",
        "no income evidence",
        DAY,
    )
    assert (await last_event(sessions, case_id))["arrangement_status"] == "rejected"
    for decide in (rejected(sessions, case_id, plan), approved(sessions, case_id, plan)):
        with pytest.raises(ArrangementTransitionError):
            await decide
    # A rejected proposal no longer blocks a new one.
    await proposed(sessions, case_id, "500", DeferralTerms(DAY + timedelta(days=90)))


async def test_large_arrangements_need_a_supervisor(sessions: Sessions) -> None:
    case_id = await open_case(sessions, principal="8000.00")
    terms = InstalmentPlanTerms(count=4, frequency="fortnightly", first_due=DAY + timedelta(7))
    plan = await proposed(sessions, case_id, "6000.00", terms)

    with pytest.raises(SupervisorApprovalRequiredError) as refused:
        await approved(sessions, case_id, plan, role="agent")
    assert refused.value.status == 403
    assert (await stored(sessions, Arrangement, plan)).status == "proposed"
    assert await instalments(sessions, plan) == []

    await approved(sessions, case_id, plan, role="supervisor")
    active: Arrangement = await stored(sessions, Arrangement, plan)
    assert (active.status, active.activated_on) == ("active", DAY)
    assert (active.decided_by, active.decided_role) == ("sup-1", "supervisor")
    first = DAY + timedelta(days=7)
    assert await instalments(sessions, plan) == [
        (first + timedelta(days=14 * n), Decimal("1500.00"), Decimal(0), "due") for n in range(4)
    ]
    details = await last_event(sessions, case_id)
    assert details["arrangement_status"] == "active"
    assert details["collection_paused"] is True
    with pytest.raises(ArrangementTransitionError):
        await approved(sessions, case_id, plan, role="supervisor")


async def test_paying_every_instalment_completes_it_and_the_ladder_resumes(
    sessions: Sessions,
) -> None:
    case_id = await open_case(sessions)
    plan = await proposed(sessions, case_id, "1000.00", monthly(3, DAY + timedelta(days=10)))
    await approved(sessions, case_id, plan)  # 1000 is under the supervisor threshold
    async with on_case(sessions, case_id, DAY) as ctx:
        # The notice went out long ago, but the active arrangement holds the ladder.
        ctx.case.first_notice_sent_on = DAY - timedelta(days=10)
        assert await advance(ctx) == 0
    events_before = len(await timeline(sessions, case_id))

    await pay(sessions, case_id, "400.00", DAY + timedelta(days=5))
    assert [row[2:] for row in await instalments(sessions, plan)] == [
        (Decimal("333.34"), "paid"),
        (Decimal("66.66"), "due"),
        (Decimal("0"), "due"),
    ]
    assert (await stored(sessions, Arrangement, plan)).status == "active"
    assert len(await timeline(sessions, case_id)) == events_before

    await pay(sessions, case_id, "600.00", DAY + timedelta(days=6))
    done: Arrangement = await stored(sessions, Arrangement, plan)
    assert (done.status, done.ended_on) == ("completed", DAY + timedelta(days=6))
    assert {row[3] for row in await instalments(sessions, plan)} == {"paid"}
    entries = await timeline(sessions, case_id)
    assert [e.event_type for e in entries[events_before:]] == [
        "doorstep.case.arrangement_changed.v1",
        "doorstep.case.stage_changed.v1",
        "doorstep.case.stage_changed.v1",
    ]
    completed = entries[events_before].details
    assert (completed["arrangement_status"], completed["collection_paused"]) == ("completed", False)
    assert (await stored(sessions, Case, case_id)).stage == "field"


async def test_a_missed_instalment_breaks_it_after_the_grace_and_the_ladder_resumes(
    sessions: Sessions,
) -> None:
    case_id = await open_case(sessions)
    async with on_case(sessions, case_id, DAY) as ctx:
        ctx.case.first_notice_sent_on = DAY - timedelta(days=3)
        await advance(ctx)
        assert ctx.case.stage == "contact"  # the field stage waits 7 days after the notice
    due = DAY + timedelta(days=10)
    deferral = await proposed(sessions, case_id, "500.00", DeferralTerms(due))
    await approved(sessions, case_id, deferral)
    await pay(sessions, case_id, "200.00", due)

    last_grace_day = due + timedelta(days=5)
    await check(sessions, case_id, last_grace_day)
    async with on_case(sessions, case_id, last_grace_day) as ctx:
        assert await advance(ctx) == 0  # paused, though the field prerequisites now hold
    assert (await stored(sessions, Arrangement, deferral)).status == "active"

    broken_on = last_grace_day + timedelta(days=1)
    await check(sessions, case_id, broken_on)
    broken: Arrangement = await stored(sessions, Arrangement, deferral)
    assert (broken.status, broken.ended_on) == ("broken", broken_on)
    assert await instalments(sessions, deferral) == [(due, Decimal(500), Decimal(200), "missed")]
    case: Case = await stored(sessions, Case, case_id)
    assert (case.broken_arrangements, case.stage) == (1, "field")
    entries = await timeline(sessions, case_id)
    assert [e.event_type for e in entries[-2:]] == [
        "doorstep.case.arrangement_changed.v1",
        "doorstep.case.stage_changed.v1",
    ]
    assert entries[-2].details["arrangement_status"] == "broken"
    assert entries[-2].details["collection_paused"] is False

    await check(sessions, case_id, broken_on)  # the daily job running twice
    again: Case = await stored(sessions, Case, case_id)
    assert (again.broken_arrangements, again.last_sequence) == (1, case.last_sequence)


async def test_terms_that_expired_before_approval_are_refused(sessions: Sessions) -> None:
    case_id = await open_case(sessions)
    plan = await proposed(sessions, case_id, "600.00", monthly(3, DAY + timedelta(days=2)))
    with pytest.raises(ArrangementOutdatedError):
        await approved(sessions, case_id, plan, day=DAY + timedelta(days=3))
    assert (await stored(sessions, Arrangement, plan)).status == "proposed"


# --- over HTTP -------------------------------------------------------------------------------


def with_arrangements(app: FastAPI) -> FastAPI:
    try:  # included by main.py once the lead adds it
        app.url_path_for("post_arrangement", case_id="x")
    except NoMatchFound:
        app.include_router(arrangements_router)
    return app


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    settings = CaseApiSettings(database_url=database_url, background_workers_enabled=False)
    app = with_arrangements(create_app(settings))
    async with app_client(app) as http:
        async with app.state.sessionmaker() as session, session.begin():
            await BusinessDateService(session, "UTC").pin(DAY)
        http.app = app  # type: ignore[attr-defined]
        yield http


async def open_case_over_http(client: httpx.AsyncClient, principal: str = "1200.00") -> str:
    body = delinquency(principal)
    opened = await client.put(f"/v1/accounts/{ACCOUNT}/delinquency", json=body)
    assert opened.status_code == 201, opened.text
    return str(opened.json()["case"]["id"])


def plan_body(**changes: Any) -> dict[str, Any]:
    body = {
        "kind": "instalment_plan",
        "amount": "1000.00",
        "currency": "CNY",
        "instalment_count": 3,
        "frequency": "monthly",
        "first_due_date": "2027-01-31",
        "proposed_by": "agent-017",
    }
    return body | changes


async def test_arrangement_lifecycle_over_http(client: httpx.AsyncClient) -> None:
    case_id = await open_case_over_http(client)
    url = f"/v1/cases/{case_id}/arrangements"
    created = await client.post(
        url, json=plan_body(), headers={"If-Match": await etag(client, case_id)}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["amount"], body["currency"]) == ("proposed", "1000.00", "CNY")
    assert body["schedule"] == [
        {
            "number": 1,
            "due_date": "2027-01-31",
            "amount": "333.34",
            "paid_amount": "0.00",
            "status": "planned",
        },
        {
            "number": 2,
            "due_date": "2027-02-28",
            "amount": "333.33",
            "paid_amount": "0.00",
            "status": "planned",
        },
        {
            "number": 3,
            "due_date": "2027-03-31",
            "amount": "333.33",
            "paid_amount": "0.00",
            "status": "planned",
        },
    ]
    second = await client.post(url, json=plan_body())
    assert second.status_code == 409
    assert second.json()["type"].endswith("/arrangement-exists")

    approve_url = f"/v1/arrangements/{body['id']}/approve"
    decision = {"approver": "sup-003", "approver_role": "agent"}
    stale = await client.post(approve_url, json=decision, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412
    active = await client.post(
        approve_url, json=decision, headers={"If-Match": await etag(client, case_id)}
    )
    assert active.status_code == 200, active.text
    assert (active.json()["status"], active.json()["activated_on"]) == ("active", "2026-11-30")
    assert [row["status"] for row in active.json()["schedule"]] == ["due", "due", "due"]

    again = await client.post(approve_url, json=decision)
    assert again.status_code == 409
    assert again.json()["type"].endswith("/invalid-arrangement-transition")
    too_late = await client.post(
        f"/v1/arrangements/{body['id']}/reject", json={"approver": "sup-003", "reason": "no"}
    )
    assert too_late.status_code == 409

    listed = (await client.get(url)).json()["items"]
    assert [(item["id"], item["status"]) for item in listed] == [(body["id"], "active")]
    assert [row["amount"] for row in listed[0]["schedule"]] == ["333.34", "333.33", "333.33"]


async def test_refused_arrangements_over_http(client: httpx.AsyncClient) -> None:
    case_id = await open_case_over_http(client, principal="8000.00")
    url = f"/v1/cases/{case_id}/arrangements"

    other_currency = await client.post(url, json=plan_body(currency="USD"))
    assert other_currency.status_code == 422
    assert other_currency.json()["type"].endswith("/currency-mismatch")
    number = await client.post(url, json=plan_body(amount=1000))
    assert number.status_code == 422
    assert number.json()["type"].endswith("/validation-error")
    too_many = await client.post(url, json=plan_body(instalment_count=30))
    assert too_many.status_code == 422
    assert too_many.json()["type"].endswith("/invalid-arrangement")
    assert (await client.get(url)).json()["items"] == []

    deferral = {
        "kind": "deferral",
        "amount": "6000.00",
        "currency": "CNY",
        "deferred_to": "2027-02-15",
        "proposed_by": "agent-017",
    }
    created = await client.post(url, json=deferral)
    assert created.status_code == 201, created.text
    arrangement = created.json()
    assert [(row["due_date"], row["amount"]) for row in arrangement["schedule"]] == [
        ("2027-02-15", "6000.00")
    ]
    agent = await client.post(
        f"/v1/arrangements/{arrangement['id']}/approve",
        json={"approver": "agent-017", "approver_role": "agent"},
    )
    assert agent.status_code == 403
    assert agent.json()["type"].endswith("/approval-requires-supervisor")
    # The role is the credential's, not the request's: an agent's key cannot claim it.
    agent_key = await issue_key(client.app, ["cases:write"], name="agent-017")  # type: ignore[attr-defined]
    claimed = await client.post(
        f"/v1/arrangements/{arrangement['id']}/approve",
        json={"approver": "agent-017", "approver_role": "supervisor"},
        headers=bearer(agent_key),
    )
    assert claimed.status_code == 403
    assert claimed.json()["type"].endswith("/approval-requires-supervisor")
    declined = await client.post(
        f"/v1/arrangements/{arrangement['id']}/reject",
        json={"approver": "sup-003", "reason": "Income evidence not provided."},
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["decision_reason"]) == (
        "rejected",
        "Income evidence not provided.",
    )

    unknown = await client.post(
        f"/v1/arrangements/{uuid.uuid4()}/approve",
        json={"approver": "sup-003", "approver_role": "supervisor"},
    )
    assert unknown.status_code == 404
    assert unknown.json()["type"].endswith("/arrangement-not-found")
    assert (await client.get(f"/v1/cases/{uuid.uuid4()}/arrangements")).status_code == 404
