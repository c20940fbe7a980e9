"""Contact data shaped to the caller's scopes, with every unmasked read audited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.db import audit_table
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.security.principal import Scope
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import app_client, bearer, issue_key, migrate


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    app = create_app(CaseApiSettings(database_url=database_url, background_workers_enabled=False))
    async with app_client(app, scopes=[Scope.ACCOUNTS_WRITE]) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


async def contact_as(client: httpx.AsyncClient, case_id: str, *scopes: str) -> httpx.Response:
    token = await issue_key(client.app, scopes, name="reader")  # type: ignore[attr-defined]
    return await client.get(
        f"/v1/cases/{case_id}/contact",
        headers={**bearer(token), "X-Purpose": "test-read"},
    )


async def audit_rows(client: httpx.AsyncClient) -> list[dict[str, object]]:
    async with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = await conn.execute(select(audit_table).order_by(audit_table.c.id))
        return [dict(row._mapping) for row in rows if row.action == "pii.read"]


async def open_case(client: httpx.AsyncClient) -> str:
    response = await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)
    assert response.status_code == 201
    return str(response.json()["case"]["id"])


async def test_contact_needs_a_credential_with_a_contact_scope(client: httpx.AsyncClient) -> None:
    case_id = await open_case(client)
    anonymous = await client.get(f"/v1/cases/{case_id}/contact", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    # The core-banking key that reported the account may not read the customer back.
    assert (await client.get(f"/v1/cases/{case_id}/contact")).status_code == 403
    assert await audit_rows(client) == []


async def test_the_notifier_gets_what_a_notice_needs_and_the_read_is_audited(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    response = await contact_as(client, case_id, Scope.CONTACT_NOTIFY)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["phone"], body["email"]) == (
        "Li Wei",
        "+8613800138000",
        "li.wei@example.com",
    )
    assert body["address"]["line1"] == "88 Century Avenue"
    assert body["address"]["latitude"] is None  # a notice needs no coordinates
    assert body["masked"] is False
    [entry] = await audit_rows(client)
    assert entry["case_id"] is not None
    assert str(entry["case_id"]) == case_id
    assert str(entry["actor"]).startswith("key:")
    details = entry["details"]
    assert isinstance(details, dict)
    assert details["purpose"] == "test-read"
    assert "phone" in details["fields"]
    assert "address.latitude" not in details["fields"]
    # Field names only: the audit log itself holds no personal data.
    assert "+8613800138000" not in str(entry)
    assert "Li Wei" not in str(entry)


async def test_the_scheduler_gets_the_address_and_coordinates_but_no_phone(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    body = (await contact_as(client, case_id, Scope.CONTACT_VISIT)).json()
    assert body["phone"] is None
    assert body["email"] is None
    assert body["address"]["latitude"] == pytest.approx(31.2304)
    assert body["name"] == "Li Wei"
    [entry] = await audit_rows(client)
    assert "address.latitude" in entry["details"]["fields"]  # type: ignore[index]
    assert "phone" not in entry["details"]["fields"]  # type: ignore[index]


async def test_without_pii_read_values_are_masked_and_not_audited(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    body = (await contact_as(client, case_id, Scope.CASES_READ)).json()
    assert body["masked"] is True
    assert body["name"] == "L* W**"
    assert body["phone"] == "+86*******8000"
    assert body["email"] == "l***@example.com"
    assert body["address"]["line1"] == "***"
    assert body["address"]["latitude"] is None
    assert body["address"]["city"] == "***"
    assert body["address"]["country"] == "CN"
    assert await audit_rows(client) == []


async def test_pii_read_sees_everything(client: httpx.AsyncClient) -> None:
    case_id = await open_case(client)
    body = (await contact_as(client, case_id, Scope.PII_READ)).json()
    assert body["masked"] is False
    assert body["phone"] == "+8613800138000"
    assert body["address"]["longitude"] == pytest.approx(121.4737)
    [entry] = await audit_rows(client)
    assert len(entry["details"]["fields"]) >= 8  # type: ignore[index]


async def test_cases_are_found_by_phone_or_national_id_and_the_lookup_is_audited(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    token = await issue_key(client.app, [Scope.CASES_READ, Scope.PII_READ])  # type: ignore[attr-defined]
    found = await client.post(
        "/v1/cases/lookup", json={"phone": "+86 138 0013 8000"}, headers=bearer(token)
    )
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [case_id]
    nobody = await client.post(
        "/v1/cases/lookup", json={"phone": "+8613900000000"}, headers=bearer(token)
    )
    assert nobody.json()["items"] == []
    both = await client.post(
        "/v1/cases/lookup",
        json={"phone": "+8613800138000", "national_id": "X"},
        headers=bearer(token),
    )
    assert both.status_code == 422
    assert "+8613800138000" not in both.text
    # Without pii:read a search by personal data is refused.
    reader = await issue_key(client.app, [Scope.CASES_READ])  # type: ignore[attr-defined]
    refused = await client.post(
        "/v1/cases/lookup", json={"phone": "+8613800138000"}, headers=bearer(reader)
    )
    assert refused.status_code == 403
    async with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = (
            await conn.execute(
                select(audit_table).where(audit_table.c.action == "customer.looked_up")
            )
        ).all()
    assert [(row.details["by"], row.details["cases_found"]) for row in rows] == [
        ("phone", 1),
        ("phone", 0),
    ]
    assert all("138" not in str(row.details) for row in rows)


async def test_preferences_and_a_missing_time_zone_reach_the_notifier(
    client: httpx.AsyncClient,
) -> None:
    body = {**SNAPSHOT, "customer": {**SNAPSHOT["customer"]}}
    del body["customer"]["timezone"]
    body["customer"]["contact_preferences"] = {
        "preferred_hours": [{"start": "18:00", "end": "20:00"}],
        "refused_channels": ["email"],
        "cease_contact": False,
    }
    response = await client.put("/v1/accounts/ACC-9/delinquency", json=body)
    assert response.status_code == 201, response.text
    contact = (await contact_as(client, response.json()["case"]["id"], Scope.CONTACT_NOTIFY)).json()
    assert contact["timezone"] is None
    assert contact["contact_preferences"] == {
        "preferred_hours": [{"start": "18:00:00", "end": "20:00:00"}],
        "refused_channels": ["email"],
        "cease_contact": False,
    }
    bad = {
        **body,
        "customer": {**body["customer"], "contact_preferences": {"refused_channels": ["fax"]}},
    }
    assert (await client.put("/v1/accounts/ACC-9/delinquency", json=bad)).status_code == 422
