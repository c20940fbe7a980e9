"""The notification read API over the real ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from doorstep_notifier.main import create_app
from doorstep_notifier.settings import NotifierSettings
from tests.notifier.conftest import CaseEventSink, MakeDispatcher, NotifierDb
from tests.notifier.contact_stub import ContactStub
from tests.notifier.factories import opened, stage_changed
from tests.support.apps import app_client


@pytest.fixture
async def client(notifier_db: NotifierDb) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotifierSettings(database_url=notifier_db.url, background_workers_enabled=False)
    async with app_client(create_app(settings)) as http:
        yield http


async def test_sent_notice_shows_its_message_with_the_recipient_masked(
    client: httpx.AsyncClient,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    await publish(opened(case_id))
    await (await make_dispatcher()).round()

    [summary] = (await client.get("/v1/notifications", params={"case_id": str(case_id)})).json()[
        "items"
    ]
    detail = (await client.get(f"/v1/notifications/{summary['id']}")).json()
    assert detail["status"] == "sent"
    assert detail["channel"] == "sms"
    # The decision log: the contact rules let it out, under the default UK pack.
    [decision] = detail["decisions"]
    assert (decision["outcome"], decision["rule_id"], decision["pack_version"]) == (
        "allowed",
        "uk.allowed",
        "2026.1",
    )
    assert decision["timezone_source"] == "record"
    assert detail["provider"] == "local"
    assert detail["trigger"]["event_type"] == "doorstep.case.opened.v1"
    assert detail["arrears"] == {
        "currency": "CNY", "principal": "1200.00", "interest": "35.50", "fees": "20.00",
        "penalties": "4.25", "total": "1259.75",
    }  # fmt: skip
    assert (detail["stage"], detail["days_past_due"], detail["as_of_date"]) == (
        "field", 35, "2026-11-28"
    )  # fmt: skip
    assert detail["next_attempt_at"] is None
    message = detail["message"]
    assert message["recipient"] == "+86*******8000"
    assert (message["channel"], message["subject"], message["language"]) == ("sms", None, "zh-CN")
    assert "1,259.75 CNY" in message["body"]
    assert "8613800138000" not in str(detail)


async def test_list_filters_by_case_and_status_newest_first(
    client: httpx.AsyncClient, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id, stage="contact", days_past_due=20))
    await publish(stage_changed(case_id, 2, stage="field", previous_stage="contact"))
    await publish(opened(uuid.uuid4()))

    mine = (await client.get("/v1/notifications", params={"case_id": str(case_id)})).json()
    assert [(n["stage"], n["status"]) for n in mine["items"]] == [
        ("field", "pending"),
        ("contact", "cancelled"),
    ]
    assert mine["items"][0]["next_attempt_at"] is not None
    cancelled = await client.get(
        "/v1/notifications", params={"case_id": str(case_id), "status": "cancelled"}
    )
    assert [n["stage"] for n in cancelled.json()["items"]] == ["contact"]
    everything = (await client.get("/v1/notifications", params={"limit": 2})).json()["items"]
    assert len(everything) == 2
    pending = (await client.get(f"/v1/notifications/{mine['items'][0]['id']}")).json()
    assert pending["message"] is None


async def test_unknown_notification_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/notifications/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/notification-not-found")


async def test_invalid_filter_is_a_422_problem_without_the_value(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/notifications", params={"status": "li.wei@example.com"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "li.wei@example.com" not in response.text


async def test_every_route_is_documented(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 4
    for operation in operations:
        assert operation.get("summary")
        assert operation.get("description")
