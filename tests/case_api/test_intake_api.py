"""Intake and case reads over the real ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from doorstep_case_api.cases.handlers import status_writeback
from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.db import inbox_table, outbox_table
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import (
    ContactDecisionFacts,
    NotificationDeferred,
    NotificationDelivered,
    NotificationSent,
    NotificationSuppressed,
    to_envelope,
)
from doorstep_shared.messaging.consumer import transactional_handler
from tests.support.apps import app_client, migrate

SNAPSHOT: dict[str, Any] = {
    "as_of_date": "2026-11-28",
    "customer": {
        "customer_id": "CUST-1",
        "name": "Li Wei",
        "phone": "+8613800138000",
        "email": "li.wei@example.com",
        "address": {
            "line1": "88 Century Avenue",
            "city": "Shanghai",
            "country": "CN",
            "latitude": 31.2304,
            "longitude": 121.4737,
        },
        "timezone": "Asia/Shanghai",
        "preferred_language": "zh-CN",
    },
    "loan": {
        "product": "personal-loan",
        "currency": "CNY",
        "arrears": {"principal": "1200.00", "interest": "35.50", "fees": "20", "penalties": "4.25"},
        "days_past_due": 35,
        "oldest_unpaid_due_date": "2026-10-24",
    },
}


def snapshot(**loan_changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SNAPSHOT)
    as_of = loan_changes.pop("as_of_date", None)
    if as_of:
        body["as_of_date"] = as_of
    body["loan"].update(loan_changes)
    return body


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    settings = CaseApiSettings(database_url=database_url, background_workers_enabled=False)
    app = create_app(settings)
    async with app_client(app) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


async def outbox_count(client: httpx.AsyncClient) -> int:
    async with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(await conn.scalar(select(func.count()).select_from(outbox_table)) or 0)


async def test_positive_arrears_open_a_case_with_its_event(client: httpx.AsyncClient) -> None:
    response = await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)
    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "opened"
    case = body["case"]
    assert case["status"] == "open"
    # No step is skipped: 35 DPD still starts at the first stage, waiting for its notice.
    assert case["stage"] == "reminder"
    assert case["arrears"] == {
        "currency": "CNY",
        "principal": "1200.00",
        "interest": "35.50",
        "fees": "20.00",
        "penalties": "4.25",
        "total": "1259.75",
    }
    detail = (await client.get(f"/v1/cases/{case['id']}")).json()
    assert [entry["event_type"] for entry in detail["timeline"]] == [
        "doorstep.case.opened.v1",
        "doorstep.case.charges_accrued.v1",  # the policy's late fee on opening
    ]
    assert "every case starts at reminder" in detail["timeline"][0]["summary"]
    assert await outbox_count(client) == 2


async def test_same_snapshot_twice_changes_nothing(client: httpx.AsyncClient) -> None:
    first = await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)
    second = await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)
    assert second.status_code == 200
    assert second.json()["outcome"] == "unchanged"
    assert second.json()["case"]["id"] == first.json()["case"]["id"]
    assert await outbox_count(client) == 2


async def test_the_ladder_waits_for_the_notice_before_the_next_stage(
    client: httpx.AsyncClient,
) -> None:
    opened = await client.put(
        "/v1/accounts/ACC-1/delinquency", json=snapshot(days_past_due=10, as_of_date="2026-11-01")
    )
    case_id = opened.json()["case"]["id"]
    assert opened.json()["case"]["stage"] == "reminder"
    moved = await client.put(
        "/v1/accounts/ACC-1/delinquency", json=snapshot(days_past_due=20, as_of_date="2026-11-11")
    )
    # 20 DPD is in "contact", but contact needs an overdue notice first.
    assert moved.json()["outcome"] == "updated"
    assert moved.json()["case"]["stage"] == "reminder"

    notice = NotificationSent(
        case_id=case_id,
        notification_id=uuid.uuid4(),
        channel="sms",
        trigger_event_id="e1",
        sent_at=utc_now(),
    )
    app = client.app  # type: ignore[attr-defined]
    settings = app.state.settings
    writeback = transactional_handler(
        app.state.sessionmaker,
        inbox_table,
        "writeback",
        status_writeback(app.state.policy, settings.bank_timezone, settings.event_source),
    )
    await writeback(to_envelope(notice, "urn:doorstep:notifier"), notice)

    timeline = (await client.get(f"/v1/cases/{case_id}")).json()["timeline"]
    assert [e["event_type"] for e in timeline] == [
        "doorstep.case.opened.v1",
        "doorstep.case.charges_accrued.v1",
        "doorstep.case.updated.v1",
        "doorstep.notification.sent.v1",
        "doorstep.case.stage_changed.v1",
    ]
    changed = timeline[-1]
    assert changed["details"]["previous_stage"] == "reminder"
    assert changed["details"]["stage"] == "contact"
    assert "overdue notice sent" in changed["details"]["reason"]
    case_events = [e for e in timeline if e["source"] == "urn:doorstep:case-api"]
    assert [e["details"]["sequence"] for e in case_events] == [1, 2, 3, 4]


async def test_contact_decisions_appear_on_the_timeline_with_rule_and_reason(
    client: httpx.AsyncClient,
) -> None:
    case_id = (await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)).json()["case"][
        "id"
    ]
    app = client.app  # type: ignore[attr-defined]
    settings = app.state.settings
    writeback = transactional_handler(
        app.state.sessionmaker,
        inbox_table,
        "writeback",
        status_writeback(app.state.policy, settings.bank_timezone, settings.event_source),
    )
    later = utc_now().replace(microsecond=0)
    decision = ContactDecisionFacts(
        outcome="deferred",
        rule_id="cn.cba2026.night",
        pack_id="cn",
        pack_version="2026.1",
        reason="23:10 Asia/Shanghai is outside 08:00-22:00",
        not_before=later,
        timezone_source="record",
    )
    notification_id = uuid.uuid4()
    updates = [
        NotificationDeferred(
            case_id=case_id,
            notification_id=notification_id,
            channel="sms",
            trigger_event_id="e1",
            decision=decision,
            deferred_at=utc_now(),
        ),
        NotificationSent(
            case_id=case_id,
            notification_id=notification_id,
            channel="sms",
            trigger_event_id="e1",
            sent_at=utc_now(),
        ),
        NotificationDelivered(
            case_id=case_id,
            notification_id=notification_id,
            channel="sms",
            trigger_event_id="e1",
            delivered_at=utc_now(),
        ),
        NotificationSuppressed(
            case_id=case_id,
            notification_id=uuid.uuid4(),
            channel="sms",
            trigger_event_id="e2",
            decision=decision.model_copy(
                update={"outcome": "suppressed", "rule_id": "hold", "not_before": None}
            ),
            suppressed_at=utc_now(),
        ),
    ]
    for update in updates:
        await writeback(to_envelope(update, "urn:doorstep:notifier"), update)
    timeline = (await client.get(f"/v1/cases/{case_id}")).json()["timeline"]
    summaries = {e["event_type"]: e["summary"] for e in timeline}
    deferred = summaries["doorstep.notification.deferred.v1"]
    assert "cn.cba2026.night" in deferred
    assert "2026.1" in deferred
    assert later.isoformat() in deferred
    assert "outside 08:00-22:00" in deferred
    assert "suppressed by rule hold" in summaries["doorstep.notification.suppressed.v1"]
    assert summaries["doorstep.notification.delivered.v1"] == "Overdue notice delivered (sms)."


async def test_zero_arrears_resolve_the_case(client: httpx.AsyncClient) -> None:
    opened = (await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)).json()
    zero = {"principal": "0", "interest": "0", "fees": "0", "penalties": "0"}
    resolved = await client.put(
        "/v1/accounts/ACC-1/delinquency",
        json=snapshot(arrears=zero, days_past_due=0, as_of_date="2026-11-29"),
    )
    assert resolved.status_code == 200
    assert resolved.json()["outcome"] == "resolved"
    case = (await client.get(f"/v1/cases/{opened['case']['id']}")).json()
    assert case["status"] == "resolved"
    assert case["resolution_reason"] == "cured"
    assert case["timeline"][-1]["event_type"] == "doorstep.case.resolved.v1"
    # A later overdue snapshot opens a new case, not the resolved one.
    again = await client.put(
        "/v1/accounts/ACC-1/delinquency", json=snapshot(as_of_date="2026-12-30")
    )
    assert again.status_code == 201
    assert again.json()["case"]["id"] != opened["case"]["id"]


async def test_zero_arrears_without_a_case_open_nothing(client: httpx.AsyncClient) -> None:
    zero = {"principal": "0.00", "interest": "0", "fees": "0", "penalties": "0"}
    response = await client.put(
        "/v1/accounts/ACC-9/delinquency", json=snapshot(arrears=zero, days_past_due=0)
    )
    assert response.status_code == 200
    assert response.json() == {"account_id": "ACC-9", "outcome": "no_case", "case": None}
    assert await outbox_count(client) == 0


async def test_stale_snapshot_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)
    stale = await client.put(
        "/v1/accounts/ACC-1/delinquency",
        json=snapshot(days_past_due=60, as_of_date="2026-11-01"),
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["type"].endswith("/stale-snapshot")
    cases = (await client.get("/v1/cases")).json()["items"]
    assert [c["days_past_due"] for c in cases] == [35]
    assert await outbox_count(client) == 2


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("loan", "arrears", "principal"), 1200.5),  # a JSON number: floats are refused
        (("loan", "arrears", "principal"), "12.345"),  # more decimals than CNY has
        (("loan", "arrears", "fees"), "-7.77"),
        (("loan", "currency"), "XYZ"),
        (("customer", "timezone"), "Mars/Olympus"),
        (("customer", "phone"), "+86 138-0013"),
    ],
)
async def test_invalid_snapshots_get_problem_details_without_the_values(
    client: httpx.AsyncClient, path: tuple[str, ...], value: Any
) -> None:
    body = copy.deepcopy(SNAPSHOT)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    response = await client.put("/v1/accounts/ACC-1/delinquency", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    assert str(value) not in response.text
    assert "Li Wei" not in response.text
    assert await outbox_count(client) == 0


async def test_unknown_fields_are_rejected(client: httpx.AsyncClient) -> None:
    body = copy.deepcopy(SNAPSHOT)
    body["loan"]["surprise"] = "x"
    response = await client.put("/v1/accounts/ACC-1/delinquency", json=body)
    assert response.status_code == 422


async def test_case_list_filters_and_paginates(client: httpx.AsyncClient) -> None:
    for number, dpd in enumerate([5, 20, 35, 40, 95]):
        body = snapshot(days_past_due=dpd)
        body["customer"]["customer_id"] = f"CUST-{number}"
        assert (await client.put(f"/v1/accounts/ACC-{number}/delinquency", json=body)).is_success
    # Every new case starts at the first stage, whatever its DPD.
    first_stage = (await client.get("/v1/cases", params={"stage": "reminder"})).json()
    assert sorted(c["days_past_due"] for c in first_stage["items"]) == [5, 20, 35, 40, 95]
    assert (await client.get("/v1/cases", params={"stage": "field"})).json()["items"] == []

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "status": "open"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/cases", params=params)).json()
        seen.extend(c["id"] for c in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 == len(set(seen))
    bad = await client.get("/v1/cases", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400
    assert bad.json()["type"].endswith("/invalid-cursor")


async def test_unknown_case_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/cases/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/case-not-found")
