"""Batch intake (POST /v1/delinquency-batches) over the real ASGI app, on SQLite and PostgreSQL:
the single PUT's rules per record, a bad record rejected alone, replays by batch id."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from doorstep_case_api.accounts.batch_repository import BatchRepository
from doorstep_case_api.accounts.models import Account, Customer
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.db import outbox_table
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import app_client, migrate

NDJSON = {"Content-Type": "application/x-ndjson"}


def record(account: str, customer: str | None = None, **loan: Any) -> dict[str, Any]:
    body = copy.deepcopy(SNAPSHOT)
    body["account_id"] = account
    body["customer"]["customer_id"] = customer or f"CUST-{account}"
    if "as_of_date" in loan:
        body["as_of_date"] = loan.pop("as_of_date")
    body["loan"].update(loan)
    return body


def zero(account: str, **loan: Any) -> dict[str, Any]:
    arrears = {"principal": "0", "interest": "0", "fees": "0", "penalties": "0"}
    return record(account, arrears=arrears, **loan)


def ndjson(records: Iterable[dict[str, Any] | str]) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


@asynccontextmanager
async def batch_client(database_url: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    app = create_app(
        CaseApiSettings(database_url=database_url, background_workers_enabled=False, **settings)
    )
    async with app_client(app) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    # Chunks of three records, so every test crosses chunk boundaries.
    async with batch_client(database_url, batch_chunk_records=3) as http:
        yield http


async def post(
    client: httpx.AsyncClient, batch_id: str, body: str, content_type: str = "application/x-ndjson"
) -> dict[str, Any]:
    response = await client.post(
        "/v1/delinquency-batches",
        content=body,
        headers={"Batch-Id": batch_id, "Content-Type": content_type},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def outbox_types(client: httpx.AsyncClient) -> list[str]:
    async with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = await conn.execute(select(outbox_table.c.event_type).order_by(outbox_table.c.id))
        return [row[0] for row in rows]


async def all_cases(client: httpx.AsyncClient) -> list[Case]:
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        return list((await session.execute(select(Case).order_by(Case.opened_at))).scalars())


async def cases(client: httpx.AsyncClient) -> dict[str, Case]:
    """Each account's latest case."""
    return {case.account_id: case for case in await all_cases(client)}


def verdicts(body: dict[str, Any]) -> list[tuple[str | None, str, str | None]]:
    return [(r["account_id"], r["result"], r["outcome"]) for r in body["results"]]


async def test_each_record_gets_the_single_puts_result_in_order(
    client: httpx.AsyncClient,
) -> None:
    # An account already reported for a later date: an older snapshot of it is stale.
    later = record("ACC-LATE", as_of_date="2026-11-30")
    later.pop("account_id")
    assert (await client.put("/v1/accounts/ACC-LATE/delinquency", json=later)).status_code == 201
    batch = [
        record("ACC-1"),
        record("ACC-2", days_past_due=95),
        zero("ACC-3"),
        record("ACC-LATE", as_of_date="2026-11-20"),
        record("ACC-1", as_of_date="2026-11-29", days_past_due=36),
        record("ACC-1", as_of_date="2026-11-29", days_past_due=36),
        zero("ACC-2", as_of_date="2026-11-29"),
    ]
    body = await post(client, "feed-1", ndjson(batch))

    assert verdicts(body) == [
        ("ACC-1", "applied", "opened"),
        ("ACC-2", "applied", "opened"),
        ("ACC-3", "unchanged", "no_case"),
        ("ACC-LATE", "rejected", None),
        ("ACC-1", "applied", "updated"),
        ("ACC-1", "unchanged", "unchanged"),
        ("ACC-2", "applied", "resolved"),
    ]
    assert (body["received"], body["applied"], body["unchanged"], body["rejected"]) == (7, 4, 2, 1)
    assert body["complete"] is True
    assert body["replayed"] == 0
    stale = body["results"][3]["reason"]
    assert stale["type"].endswith("/stale-snapshot")
    assert "2026-11-30" in stale["detail"]

    found = await cases(client)
    assert found["ACC-1"].status == "open"
    assert found["ACC-1"].days_past_due == 36
    assert found["ACC-2"].status == "resolved"
    assert str(found["ACC-1"].id) == body["results"][0]["case_id"]
    assert found["ACC-LATE"].as_of_date.isoformat() == "2026-11-30"  # the stale one changed nothing
    assert "ACC-3" not in found
    types = await outbox_types(client)
    assert types.count("doorstep.case.opened.v1") == 3
    assert types.count("doorstep.case.updated.v1") == 1
    assert types.count("doorstep.case.resolved.v1") == 1


async def test_a_bad_record_is_rejected_alone_without_echoing_it(
    client: httpx.AsyncClient,
) -> None:
    invalid = record("ACC-2")
    invalid["customer"]["phone"] = "call me maybe 555"
    invalid["loan"]["arrears"]["principal"] = 12.5  # a JSON number, not a decimal string
    other_currency = record("ACC-1", as_of_date="2026-11-29", currency="USD")
    body = await post(
        client, "feed-bad", ndjson([record("ACC-1"), invalid, "{not json", other_currency, "[1]"])
    )

    assert [r["result"] for r in body["results"]] == [
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    reason = body["results"][1]["reason"]
    locations = {tuple(error["location"]) for error in reason["errors"]}
    assert ("customer", "phone") in locations
    assert ("loan", "arrears", "principal") in locations
    assert "call me maybe" not in json.dumps(body)
    assert body["results"][2]["reason"]["title"] == "Record is not JSON"
    assert body["results"][2]["account_id"] is None
    assert body["results"][3]["reason"]["type"].endswith("/currency-changed")
    assert body["results"][4]["reason"]["detail"] == "A record is a JSON object."
    assert list(await cases(client)) == ["ACC-1"]
    assert (await cases(client))["ACC-1"].currency == "CNY"


async def test_a_json_array_body_has_the_same_results(client: httpx.AsyncClient) -> None:
    batch = [record("ACC-1"), zero("ACC-2"), {"account_id": "ACC-3"}, record("ACC-4")]
    body = await post(client, "feed-array", json.dumps(batch), "application/json")

    assert verdicts(body) == [
        ("ACC-1", "applied", "opened"),
        ("ACC-2", "unchanged", "no_case"),
        ("ACC-3", "rejected", None),
        ("ACC-4", "applied", "opened"),
    ]
    assert set(await cases(client)) == {"ACC-1", "ACC-4"}


async def test_the_same_batch_id_again_applies_nothing_twice(client: httpx.AsyncClient) -> None:
    batch = ndjson([record(f"ACC-{n}") for n in range(5)] + [zero("ACC-9")])
    first = await post(client, "feed-2026-11-28", batch)
    events = await outbox_types(client)

    again = await post(client, "feed-2026-11-28", batch)

    assert again["results"] == first["results"]
    assert again["replayed"] == 6
    assert again["applied"] == 5
    assert await outbox_types(client) == events
    # The same records sent under a new batch id are applied again: unchanged this time.
    fresh = await post(client, "feed-2026-11-28-retry", batch)
    assert [r["result"] for r in fresh["results"]] == ["unchanged"] * 6
    assert fresh["replayed"] == 0


async def test_a_batch_id_reused_for_other_records_applies_none_of_them(
    client: httpx.AsyncClient,
) -> None:
    await post(client, "feed-x", ndjson([record("ACC-1"), record("ACC-2"), record("ACC-3")]))

    other = await post(client, "feed-x", ndjson([record("ACC-7"), record("ACC-8")]))

    assert [r["result"] for r in other["results"]] == ["rejected", "rejected"]
    assert other["results"][0]["reason"]["type"].endswith("/batch-id-reused")
    assert set(await cases(client)) == {"ACC-1", "ACC-2", "ACC-3"}


async def test_a_broken_json_array_keeps_what_came_before_the_break(
    client: httpx.AsyncClient,
) -> None:
    good = [record(f"ACC-{n:02}") for n in range(30)]
    body_text = json.dumps(good)[:-1] + ', {"account_id": ]'
    body = await post(client, "feed-broken", body_text, "application/json")

    assert body["complete"] is False
    assert body["stream_error"]["type"].endswith("/malformed-json")
    # The parser reads 4 KiB at a time: records parsed in the read that broke are not handled.
    handled = body["stream_error"]["at_index"]
    assert 20 <= handled <= 30
    assert body["applied"] == handled
    assert sorted(await cases(client)) == [f"ACC-{n:02}" for n in range(handled)]


async def test_a_body_that_is_not_an_array_or_ndjson_is_refused(
    client: httpx.AsyncClient,
) -> None:
    as_object = await post(client, "feed-obj", json.dumps(record("ACC-1")), "application/json")
    assert as_object["stream_error"]["type"].endswith("/not-a-json-array")
    assert as_object["received"] == 0

    response = await client.post(
        "/v1/delinquency-batches",
        content="account_id,as_of_date\nACC-1,2026-11-28\n",
        headers={"Batch-Id": "feed-csv", "Content-Type": "text/csv"},
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"

    missing_id = await client.post(
        "/v1/delinquency-batches", content=ndjson([record("ACC-1")]), headers=NDJSON
    )
    assert missing_id.status_code == 422
    assert await cases(client) == {}


async def test_records_past_the_limit_are_not_read(database_url: str) -> None:
    async with batch_client(database_url, max_batch_records=3, batch_chunk_records=2) as client:
        body = await post(client, "feed-long", ndjson([record(f"ACC-{n}") for n in range(5)]))

        assert body["complete"] is False
        assert body["stream_error"]["type"].endswith("/too-many-records")
        assert body["stream_error"]["at_index"] == 3
        assert [r["account_id"] for r in body["results"]] == ["ACC-0", "ACC-1", "ACC-2"]
        assert len(await cases(client)) == 3


async def test_a_streamed_body_over_the_limit_is_cut_off_and_said_so(database_url: str) -> None:
    lines = [ndjson([record(f"ACC-{n}")]).encode() for n in range(8)]  # ~600 bytes each

    async def chunked() -> AsyncIterator[bytes]:
        for line in lines:
            yield line

    async with batch_client(database_url, max_batch_body_bytes=4096) as client:
        response = await client.post(
            "/v1/delinquency-batches",
            content=chunked(),
            headers={"Batch-Id": "feed-big", **NDJSON},
        )
        body = response.json()

        assert response.status_code == 200
        assert body["complete"] is False
        assert body["stream_error"]["type"].endswith("/payload-too-large")
        assert 1 <= body["applied"] < 8
        assert len(await cases(client)) == body["applied"]


async def test_a_chunk_that_fails_as_a_whole_is_applied_record_by_record(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: BatchRepository, account_ids: Iterable[str]) -> dict[str, Case]:
        raise OperationalError("SELECT ...", {}, Exception("connection hiccup"))

    monkeypatch.setattr(BatchRepository, "open_cases", broken)
    stale_later = record("ACC-2", as_of_date="2026-11-30")
    stale_later.pop("account_id")
    await client.put("/v1/accounts/ACC-2/delinquency", json=stale_later)

    body = await post(client, "feed-fallback", ndjson([record("ACC-1"), record("ACC-2")]))

    assert verdicts(body) == [("ACC-1", "applied", "opened"), ("ACC-2", "rejected", None)]
    assert body["results"][1]["reason"]["type"].endswith("/stale-snapshot")
    assert set(await cases(client)) == {"ACC-1", "ACC-2"}
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        accounts = (await session.scalar(select(func.count()).select_from(Account))) or 0
    assert accounts == 2


async def test_a_batch_leaves_the_same_state_as_one_put_after_another(
    client: httpx.AsyncClient,
) -> None:
    def feed(prefix: str) -> list[dict[str, Any]]:
        shared = f"{prefix}CUST-SHARED"
        return [
            record(f"{prefix}1"),
            record(f"{prefix}2", customer=shared),
            record(f"{prefix}3", customer=shared, days_past_due=120),
            record(f"{prefix}1", as_of_date="2026-11-29", days_past_due=65),
            zero(f"{prefix}2", as_of_date="2026-11-29"),
            record(f"{prefix}2", as_of_date="2026-11-30", days_past_due=3),
            record(f"{prefix}3", as_of_date="2026-11-01"),
        ]

    batch = await post(client, "feed-eq", ndjson(feed("B-")))
    single = []
    for item in feed("P-"):
        account = item.pop("account_id")
        response = await client.put(f"/v1/accounts/{account}/delinquency", json=item)
        single.append(response.json().get("outcome", response.json().get("type")))

    assert [r["outcome"] or r["reason"]["type"] for r in batch["results"]] == single

    def state(prefix: str, found: list[Case]) -> list[tuple[Any, ...]]:
        return sorted(
            (
                case.account_id.removeprefix(prefix),
                case.status,
                case.stage,
                case.days_past_due,
                case.total_arrears,
                case.late_fee_charged,
                case.last_sequence,
            )
            for case in found
            if case.account_id.startswith(prefix)
        )

    found = await all_cases(client)
    assert state("B-", found) == state("P-", found)
    assert len(state("B-", found)) == 4  # ACC-2 resolved, then a new case opened
    events = await outbox_types(client)
    assert len(events) == sum(case.last_sequence for case in found)


async def test_a_customer_reported_unchanged_is_not_rewritten(client: httpx.AsyncClient) -> None:
    async def stored_name_token() -> str:
        async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
            return str(
                await session.scalar(select(Customer.name).where(Customer.external_id == "C-1"))
            )

    await post(client, "night-1", ndjson([record("ACC-1", customer="C-1")]))
    first = await stored_name_token()

    await post(client, "night-2", ndjson([record("ACC-1", customer="C-1", days_past_due=36)]))
    assert await stored_name_token() == first  # each encryption gives a new token

    renamed = record("ACC-1", customer="C-1", days_past_due=37)
    renamed["customer"]["name"] = "Li Wei-Zhang"
    await post(client, "night-3", ndjson([renamed]))
    assert await stored_name_token() != first
    response = await client.get(f"/v1/cases/{(await cases(client))['ACC-1'].id}/contact")
    assert response.status_code == 200
    assert response.json()["name"] == "Li Wei-Zhang"
