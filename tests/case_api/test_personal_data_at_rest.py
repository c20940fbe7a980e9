"""Customer personal data is encrypted at rest, found by blind index, and rotated, on SQLite
and PostgreSQL, through the real app, the real migrations and the real CLI."""

from __future__ import annotations

import asyncio
import base64
import copy
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from doorstep_case_api.accounts.models import Customer
from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.accounts.service import CustomerLookup
from doorstep_case_api.cli import MIGRATIONS, main
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.db.engine import create_engine
from doorstep_shared.db.migrations import upgrade
from doorstep_shared.security.crypto import BlindIndex, is_token
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import app_client, migrate

KEY_1 = base64.b64encode(b"test-key-one-32-bytes-long-12345").decode()
KEY_2 = base64.b64encode(b"test-key-two-32-bytes-long-12345").decode()
INDEX_KEY = b"test-blind-index-key-32-bytes-xx"
NATIONAL_ID = "AB-1234 5678"
ENCRYPTED = (
    "name",
    "phone",
    "email",
    "national_id",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "latitude",
    "longitude",
)


def person(number: int = 1) -> dict[str, Any]:
    body = copy.deepcopy(SNAPSHOT)
    customer = body["customer"]
    customer["customer_id"] = f"CUST-{number}"
    customer["name"] = f"Li Wei {number}"
    customer["phone"] = f"+86138001380{number:02d}"
    customer["email"] = f"li.wei.{number}@example.com"
    customer["national_id"] = f"{NATIONAL_ID}{number}"
    customer["address"].update(
        # A city that is not part of the (plain) time zone name, so the check below can fail.
        line2="Pudong Tower 7",
        city="Lujiazui",
        postal_code="200120",
        region="Pudong",
        latitude=31.2304,
    )
    return body


def plaintexts(body: dict[str, Any]) -> list[str]:
    customer = body["customer"]
    address = customer["address"]
    return [
        customer["name"],
        customer["phone"],
        customer["phone"].lstrip("+"),
        customer["email"],
        customer["national_id"],
        "AB12345678",  # the normalised national id
        address["line1"],
        address["line2"],
        address["postal_code"],
        address["city"],
        "31.2304",
        "121.4737",
    ]


def settings_for(
    database_url: str, keys: str = f"t1:{KEY_1}", active: str = "t1"
) -> CaseApiSettings:
    return CaseApiSettings(
        database_url=database_url,
        background_workers_enabled=False,
        field_encryption_keys=keys,
        field_encryption_active_key=active,
        blind_index_key=base64.b64encode(INDEX_KEY).decode(),
    )


@asynccontextmanager
async def running(settings: CaseApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app_client(app) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    async with running(settings_for(database_url)) as http:
        yield http


async def customer_rows(database_url: str) -> list[dict[str, Any]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT * FROM customer ORDER BY external_id"))
            return [dict(row._mapping) for row in rows]
    finally:
        await engine.dispose()


async def open_case(client: httpx.AsyncClient, body: dict[str, Any], account: str) -> str:
    response = await client.put(f"/v1/accounts/{account}/delinquency", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["case"]["id"])


async def rotate_keys(monkeypatch: pytest.MonkeyPatch, settings: CaseApiSettings) -> int:
    monkeypatch.setenv("CASE_API_DATABASE_URL", settings.database_url)
    monkeypatch.setenv(
        "CASE_API_FIELD_ENCRYPTION_KEYS", settings.field_encryption_keys.get_secret_value()
    )
    monkeypatch.setenv("CASE_API_FIELD_ENCRYPTION_ACTIVE_KEY", settings.field_encryption_active_key)
    monkeypatch.setenv("CASE_API_BLIND_INDEX_KEY", settings.blind_index_key.get_secret_value())
    # The CLI runs its own event loop, as from a shell.
    return await asyncio.to_thread(main, ["rotate-keys", "--batch-size", "1"])


async def test_no_personal_data_is_stored_in_plain_text(
    client: httpx.AsyncClient, database_url: str
) -> None:
    body = person()
    await open_case(client, body, "ACC-1")
    [row] = await customer_rows(database_url)
    stored = " ".join(str(value) for value in row.values())
    for value in plaintexts(body):
        assert value not in stored
    for column in ENCRYPTED:
        assert is_token(row[column]), column
        assert row[column].startswith("v1.t1."), column
    # Coarse location and contact preferences stay plain, as documented.
    assert (row["region"], row["country"]) == ("Pudong", "CN")
    assert (row["timezone"], row["preferred_language"]) == ("Asia/Shanghai", "zh-CN")
    assert row["phone_index"] == BlindIndex(INDEX_KEY).phone(body["customer"]["phone"])


async def test_the_contact_endpoint_serves_the_decrypted_values(
    client: httpx.AsyncClient,
) -> None:
    body = person()
    case_id = await open_case(client, body, "ACC-1")
    response = await client.get(f"/v1/cases/{case_id}/contact")
    assert response.status_code == 200, response.text
    contact = response.json()
    customer, address = body["customer"], body["customer"]["address"]
    assert (contact["name"], contact["phone"], contact["email"]) == (
        customer["name"],
        customer["phone"],
        customer["email"],
    )
    assert contact["address"] == {
        "line1": address["line1"],
        "line2": address["line2"],
        "city": address["city"],
        "region": "Pudong",
        "postal_code": address["postal_code"],
        "country": "CN",
        "latitude": 31.2304,
        "longitude": 121.4737,
    }
    assert "national_id" not in contact  # never served to the contact services


def codec_of(client: httpx.AsyncClient) -> PersonalDataCodec:
    state = client.app.state  # type: ignore[attr-defined]
    return PersonalDataCodec(state.field_cipher, state.blind_index)


async def test_customers_are_found_by_phone_and_national_id_through_the_blind_index(
    client: httpx.AsyncClient, database_url: str
) -> None:
    await open_case(client, person(1), "ACC-1")
    await open_case(client, person(2), "ACC-2")
    rows = {row["external_id"]: row for row in await customer_rows(database_url)}
    first = uuid.UUID(str(rows["CUST-1"]["id"]))
    sessionmaker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    async with sessionmaker() as session:
        lookup = CustomerLookup(session, codec_of(client))
        by_phone = await lookup.by_phone("+86 138-0013-8001")
        by_national_id = await lookup.by_national_id("ab 1234-56781")
        nobody = await lookup.by_phone("+8613800138099")
    assert by_phone == [first]
    assert by_national_id == [first]
    assert nobody == []


async def test_a_bad_national_id_is_refused_without_being_echoed(
    client: httpx.AsyncClient,
) -> None:
    body = person()
    body["customer"]["national_id"] = "AB<1234>SECRET"
    response = await client.put("/v1/accounts/ACC-1/delinquency", json=body)
    assert response.status_code == 422
    assert "SECRET" not in response.text
    assert ["body", "customer", "national_id"] in [e["location"] for e in response.json()["errors"]]


async def test_rotate_keys_rewrites_every_value_under_the_new_key_once(
    client: httpx.AsyncClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bodies = [person(n) for n in (1, 2, 3)]
    case_ids = [await open_case(client, body, f"ACC-{n}") for n, body in enumerate(bodies, 1)]
    before = await customer_rows(database_url)

    both = settings_for(database_url, keys=f"t1:{KEY_1},t2:{KEY_2}", active="t2")
    assert await rotate_keys(monkeypatch, both) == 0
    assert "rewrote 3 of 3 customer rows" in capsys.readouterr().out

    after = await customer_rows(database_url)
    for old, new in zip(before, after, strict=True):
        for column in ENCRYPTED:
            assert new[column].startswith("v1.t2."), column
            assert new[column] != old[column]
        # The blind index key did not change, so neither did the indexes.
        assert (new["phone_index"], new["national_id_index"]) == (
            old["phone_index"],
            old["national_id_index"],
        )
        assert new["updated_at"] == old["updated_at"]

    assert await rotate_keys(monkeypatch, both) == 0
    assert "rewrote 0 of 3 customer rows" in capsys.readouterr().out

    # The old key can now leave the ring: every value still reads.
    async with running(settings_for(database_url, keys=f"t2:{KEY_2}", active="t2")) as http:
        for case_id, body in zip(case_ids, bodies, strict=True):
            contact = (await http.get(f"/v1/cases/{case_id}/contact")).json()
            assert contact["name"] == body["customer"]["name"]
            assert contact["address"]["latitude"] == 31.2304


async def test_a_value_under_a_key_id_no_longer_in_the_ring_stops_rotation_clearly(
    client: httpx.AsyncClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = person()
    await open_case(client, body, "ACC-1")
    only_new = settings_for(database_url, keys=f"t2:{KEY_2}", active="t2")
    assert await rotate_keys(monkeypatch, only_new) == 1
    err = capsys.readouterr().err
    assert "'t1'" in err
    assert "not in the key ring" in err
    for value in plaintexts(body):
        assert value not in err


async def test_rotate_keys_encrypts_rows_written_before_encryption(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0002")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO customer (id, external_id, name, phone, email, address_line1, "
                    "city, country, latitude, longitude, timezone, preferred_language, updated_at) "
                    "VALUES (:id, 'CUST-OLD', 'Wang Fang', '+8613900139000', 'wf@example.com', "
                    "'1 Nanjing Road', 'Shanghai', 'CN', 31.5, 121.25, 'Asia/Shanghai', 'zh-CN', "
                    "'2026-11-01T00:00:00+00:00')"
                ),
                {"id": uuid.uuid4().hex if "sqlite" in database_url else str(uuid.uuid4())},
            )
    finally:
        await engine.dispose()
    await migrate(MIGRATIONS, database_url)
    settings = settings_for(database_url)

    assert await rotate_keys(monkeypatch, settings) == 0
    assert "rewrote 1 of 1 customer rows" in capsys.readouterr().out
    [row] = await customer_rows(database_url)
    for value in ("Wang Fang", "8613900139000", "wf@example.com", "Nanjing", "31.5", "121.25"):
        assert value not in " ".join(str(v) for v in row.values())
    assert row["phone_index"] == BlindIndex(INDEX_KEY).phone("+8613900139000")
    assert row["national_id"] is None
    assert row["national_id_index"] is None

    async with running(settings) as http:
        plain = codec_of(http).decrypt(await _customer(http))
    assert (plain.name, plain.phone, plain.city) == ("Wang Fang", "+8613900139000", "Shanghai")
    assert (plain.latitude, plain.longitude) == (31.5, 121.25)

    assert await rotate_keys(monkeypatch, settings) == 0
    assert "rewrote 0 of 1 customer rows" in capsys.readouterr().out


async def _customer(client: httpx.AsyncClient) -> Customer:
    sessionmaker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    async with sessionmaker() as session:
        return (await session.execute(select(Customer))).scalar_one()
