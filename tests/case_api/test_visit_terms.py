"""Visit terms: reported by core banking or recorded by operations, served to the scheduler
with the contact data, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.db import audit_table, outbox_table
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.clock import utc_now
from doorstep_shared.security.api_keys import split_token
from doorstep_shared.security.principal import Scope
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import app_client, bearer, issue_key, migrate

CAPACITY = {
    "monthly_income": "12345678901234.56",
    "monthly_obligations": "3200.10",
    "currency": "CNY",
    "assessed_on": "2026-11-20",
}
REPORTED: dict[str, Any] = {
    "address_kind": "care_home",
    "visit_consent_recorded": True,
    "visit_consent_recorded_at": "2026-11-27T10:30:00+08:00",
    "visit_consent_recorded_by": "bank-op-77",
    # Out of order on purpose: served sorted.
    "visit_windows": [
        {"weekday": 5, "start": "10:00", "end": "16:00"},
        {"weekday": 1, "start": "14:00", "end": "17:30"},
        {"weekday": 1, "start": "09:00", "end": "12:00"},
    ],
    "repayment_capacity": CAPACITY,
}


def snapshot_with(visit_terms: dict[str, Any] | None, as_of_date: str = "2026-11-28") -> Any:
    body = copy.deepcopy(SNAPSHOT)
    body["as_of_date"] = as_of_date
    if visit_terms is not None:
        body["customer"]["visit_terms"] = visit_terms
    return body


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    app = create_app(CaseApiSettings(database_url=database_url, background_workers_enabled=False))
    async with app_client(app, scopes=[Scope.ACCOUNTS_WRITE]) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


async def report(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    return await client.put("/v1/accounts/ACC-1/delinquency", json=body)


async def open_case(client: httpx.AsyncClient, visit_terms: dict[str, Any] | None = None) -> str:
    response = await report(client, snapshot_with(visit_terms))
    assert response.status_code == 201, response.text
    return str(response.json()["case"]["id"])


async def key(client: httpx.AsyncClient, *scopes: str) -> str:
    return await issue_key(client.app, scopes, name="caller")  # type: ignore[attr-defined]


async def contact(client: httpx.AsyncClient, case_id: str, *scopes: str) -> dict[str, Any]:
    response = await client.get(
        f"/v1/cases/{case_id}/contact",
        headers={**bearer(await key(client, *scopes)), "X-Purpose": "visit-planning"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def put_terms(
    client: httpx.AsyncClient, case_id: str, body: Any, token: str | None = None
) -> httpx.Response:
    token = token or await key(client, Scope.CASES_WRITE)
    return await client.put(f"/v1/cases/{case_id}/visit-terms", json=body, headers=bearer(token))


async def audit_entries(client: httpx.AsyncClient, action: str) -> list[dict[str, Any]]:
    async with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = await conn.execute(
            select(audit_table).where(audit_table.c.action == action).order_by(audit_table.c.id)
        )
        return [dict(row._mapping) for row in rows]


async def outbox_text(client: httpx.AsyncClient) -> str:
    async with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return " ".join(str(row) for row in await conn.execute(select(outbox_table)))


def subject_of(token: str) -> str:
    return f"key:{split_token(token)}"


async def test_terms_in_the_snapshot_reach_the_scheduler_and_the_read_is_audited(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client, REPORTED)
    terms = (await contact(client, case_id, Scope.CONTACT_VISIT))["visit_terms"]
    updated_at = terms.pop("updated_at")
    assert datetime.fromisoformat(updated_at).tzinfo is not None
    assert terms == {
        "address_kind": "care_home",
        "visit_consent_recorded": True,
        "visit_consent_recorded_at": "2026-11-27T02:30:00Z",  # kept as the instant, in UTC
        "visit_consent_recorded_by": "bank-op-77",
        "visit_windows": [
            {"weekday": 1, "start": "09:00", "end": "12:00"},
            {"weekday": 1, "start": "14:00", "end": "17:30"},
            {"weekday": 5, "start": "10:00", "end": "16:00"},
        ],
        "repayment_capacity": CAPACITY,
    }
    [read] = await audit_entries(client, "pii.read")
    assert {
        "visit_terms.address_kind",
        "visit_terms.visit_consent_recorded",
        "visit_terms.visit_windows",
        "visit_terms.repayment_capacity",
    } <= set(read["details"]["fields"])
    # Field names only, and nothing of the terms on Kafka.
    for text in (str(read), await outbox_text(client)):
        assert "12345678901234.56" not in text
        assert "care_home" not in text


async def test_a_snapshot_without_terms_keeps_what_operations_recorded(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client, REPORTED)
    recorded = await put_terms(
        client,
        case_id,
        {"address_kind": "workplace", "visit_consent_recorded": True, "visit_windows": []},
    )
    assert recorded.status_code == 200, recorded.text
    later = await report(client, snapshot_with(None, as_of_date="2026-11-29"))
    assert later.status_code == 200, later.text
    served = (await contact(client, case_id, Scope.CONTACT_VISIT))["visit_terms"]
    assert served == recorded.json()
    assert (served["address_kind"], served["repayment_capacity"]) == ("workplace", None)
    # A snapshot that does carry terms replaces them, consent included.
    replaced = await report(
        client, snapshot_with({"address_kind": "home"}, as_of_date="2026-11-30")
    )
    assert replaced.status_code == 200, replaced.text
    served = (await contact(client, case_id, Scope.CONTACT_VISIT))["visit_terms"]
    assert served["address_kind"] == "home"
    assert served["visit_consent_recorded"] is False
    assert served["visit_consent_recorded_at"] is None
    # A stale snapshot changes nothing, its terms included.
    stale = await report(client, snapshot_with(REPORTED, as_of_date="2026-11-01"))
    assert stale.status_code == 409, stale.text
    assert (await contact(client, case_id, Scope.CONTACT_VISIT))["visit_terms"] == served


async def test_recording_consent_names_the_caller_and_the_time(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    operator = await key(client, Scope.CASES_WRITE)
    before = utc_now()
    body = {
        "address_kind": "workplace",
        "visit_consent_recorded": True,
        "visit_windows": [{"weekday": 0, "start": "12:00", "end": "13:00"}],
    }
    first = await put_terms(client, case_id, body, operator)
    assert first.status_code == 200, first.text
    terms = first.json()
    recorded_at = datetime.fromisoformat(terms["visit_consent_recorded_at"])
    assert before <= recorded_at <= utc_now()
    assert terms["visit_consent_recorded_by"] == subject_of(operator)
    assert (await contact(client, case_id, Scope.PII_READ))["visit_terms"] == terms

    # The same terms from someone else later: the first recording stands.
    again = await put_terms(client, case_id, body)
    assert again.json()["visit_consent_recorded_at"] == terms["visit_consent_recorded_at"]
    assert again.json()["visit_consent_recorded_by"] == subject_of(operator)
    # Consent for another kind of place is recorded anew, by whoever sends it.
    other = await key(client, Scope.CASES_WRITE)
    moved = await put_terms(client, case_id, {**body, "address_kind": "hospital"}, other)
    assert moved.json()["visit_consent_recorded_by"] == subject_of(other)
    withdrawn = await put_terms(client, case_id, {"address_kind": "hospital"})
    assert withdrawn.json()["visit_consent_recorded"] is False
    assert withdrawn.json()["visit_consent_recorded_by"] is None
    assert withdrawn.json()["visit_windows"] == []  # replaced whole

    entries = await audit_entries(client, "visit_terms.replaced")
    assert [entry["actor"] for entry in entries[:1]] == [subject_of(operator)]
    assert [str(entry["case_id"]) for entry in entries] == [case_id] * 4
    assert [
        (entry["details"]["visit_consent_recorded"], entry["details"]["consent_changed"])
        for entry in entries
    ] == [(True, True), (True, False), (True, True), (False, True)]
    assert "hospital" not in str(entries)
    assert "workplace" not in str(entries)
    assert "visit_terms" not in await outbox_text(client)


async def test_callers_without_contact_visit_or_pii_read_get_no_terms(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client, REPORTED)
    notifier = await contact(client, case_id, Scope.CONTACT_NOTIFY)
    assert notifier["visit_terms"] is None
    assert notifier["phone"] == "+8613800138000"  # the notifier still gets what it needs
    masked = await contact(client, case_id, Scope.CASES_READ)
    assert (masked["masked"], masked["visit_terms"]) == (True, None)
    [read] = await audit_entries(client, "pii.read")  # the notifier's read only
    assert not [field for field in read["details"]["fields"] if field.startswith("visit_terms")]


async def test_without_reported_terms_the_scheduler_gets_the_defaults(
    client: httpx.AsyncClient,
) -> None:
    case_id = await open_case(client)
    terms = (await contact(client, case_id, Scope.CONTACT_VISIT))["visit_terms"]
    assert terms == {
        "address_kind": "home",
        "visit_consent_recorded": False,
        "visit_consent_recorded_at": None,
        "visit_consent_recorded_by": None,
        "visit_windows": [],
        "repayment_capacity": None,
        "updated_at": None,
    }
    # Defaults say nothing about the customer: the audit entry does not claim them.
    [read] = await audit_entries(client, "pii.read")
    assert not [field for field in read["details"]["fields"] if field.startswith("visit_terms")]


@pytest.mark.parametrize(
    ("windows", "why"),
    [
        ([{"weekday": 2, "start": "12:00", "end": "09:00"}], "ends before it starts"),
        ([{"weekday": 2, "start": "09:00", "end": "09:00"}], "empty"),
        (
            [
                {"weekday": 2, "start": "09:00", "end": "12:00"},
                {"weekday": 2, "start": "11:00", "end": "13:00"},
            ],
            "overlap",
        ),
        ([{"weekday": 7, "start": "09:00", "end": "12:00"}], "no such weekday"),
        ([{"weekday": 1, "start": "9:00", "end": "12:00"}], "not HH:MM"),
        ([{"weekday": 1, "start": "09:00", "end": "24:00"}], "no 24:00"),
        (
            [
                {"weekday": d % 7, "start": f"{h:02}:00", "end": f"{h:02}:30"}
                for d in range(7)
                for h in range(8, 12)
            ],
            "more than 21",
        ),
    ],
)
async def test_invalid_windows_are_refused_with_problem_details(
    client: httpx.AsyncClient, windows: list[dict[str, Any]], why: str
) -> None:
    case_id = await open_case(client, REPORTED)
    stored = (await contact(client, case_id, Scope.CONTACT_VISIT))["visit_terms"]
    refused = await put_terms(client, case_id, {"visit_windows": windows})
    assert refused.status_code == 422, why
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("/validation-error")
    assert any("visit_windows" in error["location"] for error in problem["errors"]), why
    in_snapshot = await report(
        client, snapshot_with({"visit_windows": windows}, as_of_date="2026-11-29")
    )
    assert in_snapshot.status_code == 422, why
    assert (await contact(client, case_id, Scope.CONTACT_VISIT))["visit_terms"] == stored
    assert await audit_entries(client, "visit_terms.replaced") == []


KWD = {
    "monthly_income": "0.125",
    "monthly_obligations": "999999999999999.999",
    "currency": "KWD",
    "assessed_on": "2026-11-20",
}
JPY = {**CAPACITY, "currency": "JPY", "monthly_income": "250000", "monthly_obligations": "0"}


@pytest.mark.parametrize(
    ("capacity", "served"),
    [
        (CAPACITY, CAPACITY),
        (KWD, KWD),  # three decimals, and the largest amount a column holds
        (JPY, JPY),  # none
        # Fewer digits than the currency has: the same amount, shown in its minor units.
        (
            {**CAPACITY, "monthly_income": "8500.1", "monthly_obligations": "7"},
            {**CAPACITY, "monthly_income": "8500.10", "monthly_obligations": "7.00"},
        ),
    ],
)
async def test_amounts_round_trip_exactly(
    client: httpx.AsyncClient, capacity: dict[str, str], served: dict[str, str]
) -> None:
    case_id = await open_case(client)
    answer = await put_terms(client, case_id, {"repayment_capacity": capacity})
    assert answer.status_code == 200, answer.text
    assert answer.json()["repayment_capacity"] == served
    read = await contact(client, case_id, Scope.CONTACT_VISIT)
    assert read["visit_terms"]["repayment_capacity"] == served
    # The same through the snapshot.
    reported = await report(
        client, snapshot_with({"repayment_capacity": capacity}, as_of_date="2026-11-29")
    )
    assert reported.status_code == 200, reported.text
    read = await contact(client, case_id, Scope.CONTACT_VISIT)
    assert read["visit_terms"]["repayment_capacity"] == served


@pytest.mark.parametrize(
    "capacity",
    [
        {**CAPACITY, "monthly_income": 8500.5},  # a JSON number: floats never carry money
        {**CAPACITY, "monthly_income": "8500.555"},  # more decimals than CNY has
        {**CAPACITY, "monthly_income": "-8500.50"},
        {**CAPACITY, "monthly_income": "8.5e15"},
        {**CAPACITY, "monthly_income": "1000000000000000.00"},  # beyond the amount columns
        {**CAPACITY, "currency": "XYZ"},
        {**CAPACITY, "currency": "cny"},
        {k: v for k, v in CAPACITY.items() if k != "assessed_on"},
    ],
)
async def test_bad_repayment_capacity_is_refused_without_echoing_it(
    client: httpx.AsyncClient, capacity: dict[str, Any]
) -> None:
    case_id = await open_case(client)
    refused = await put_terms(client, case_id, {"repayment_capacity": capacity})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    # Every value has a ".", which the problem's random instance URN cannot contain.
    assert str(capacity["monthly_income"]) not in refused.text


@pytest.mark.parametrize(
    "consent",
    [
        {"visit_consent_recorded": True},  # who and when are missing
        {"visit_consent_recorded": True, "visit_consent_recorded_by": "bank-op-77"},
        {"visit_consent_recorded_at": "2026-11-27T10:30:00+08:00"},  # a time without consent
        {
            "visit_consent_recorded": True,
            "visit_consent_recorded_at": "2026-11-27T10:30:00",  # no offset
            "visit_consent_recorded_by": "bank-op-77",
        },
        {
            "visit_consent_recorded": True,
            "visit_consent_recorded_at": "0001-01-01T00:00:00+23:59",  # before year 1 in UTC
            "visit_consent_recorded_by": "bank-op-77",
        },
    ],
)
async def test_reported_consent_needs_who_and_an_aware_when(
    client: httpx.AsyncClient, consent: dict[str, Any]
) -> None:
    refused = await report(client, snapshot_with({"address_kind": "workplace", **consent}))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"


async def test_operations_cannot_set_who_or_when_themselves(client: httpx.AsyncClient) -> None:
    case_id = await open_case(client)
    forged = await put_terms(
        client,
        case_id,
        {
            "visit_consent_recorded": True,
            "visit_consent_recorded_at": (utc_now() - timedelta(days=30)).isoformat(),
            "visit_consent_recorded_by": "someone-else",
        },
    )
    assert forged.status_code == 422


async def test_terms_for_an_unknown_case_are_a_404_problem(client: httpx.AsyncClient) -> None:
    await open_case(client)
    missing = await put_terms(client, "5b7c0a52-5d8e-4f5e-8d44-0c8f4b8e2c3d", {})
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/case-not-found")
    assert await audit_entries(client, "visit_terms.replaced") == []
