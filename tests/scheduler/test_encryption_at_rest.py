"""The customer data the scheduler keeps is encrypted at rest, and keys rotate — on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Text, select, type_coerce

from doorstep_scheduler.cli import MIGRATIONS, main
from doorstep_scheduler.encryption import current_cipher, use_cipher
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.models import Visit
from doorstep_scheduler.visits.rotation import VisitKeyRotation
from doorstep_shared.security.crypto import (
    LOCAL_DEVELOPMENT_FIELD_KEYS,
    FieldCipher,
    parse_key_ring,
)
from tests.scheduler.conftest import SchedulerDb
from tests.support.apps import migrate
from tests.support.infra import sqlite_url

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
TERMS = {"customer_name": "Alex Example", "address": {"line1": "1 Test Street"}}


@pytest.fixture(autouse=True)
def restore_cipher() -> Iterator[None]:
    before = current_cipher()
    yield
    use_cipher(before)


def visit(case_id: uuid.UUID) -> Visit:
    return Visit(
        id=uuid.uuid4(),
        case_id=case_id,
        trigger_event_id="t",
        status="unassigned",
        latitude=51.5074,
        longitude=-0.1278,
        terms=TERMS,
        created_at=NOW,
    )


async def raw(db: SchedulerDb) -> list[tuple[str, ...]]:
    columns = (Visit.latitude, Visit.longitude, Visit.terms)
    async with db.sessionmaker() as session:
        result = await session.execute(select(*(type_coerce(c, Text) for c in columns)))
        return [tuple(row) for row in result]


async def test_address_coordinates_and_terms_are_tokens_in_the_database(
    scheduler_db: SchedulerDb,
) -> None:
    async with scheduler_db.sessionmaker() as session, session.begin():
        session.add(visit(uuid.uuid4()))
    [stored] = await raw(scheduler_db)
    assert all(value.startswith("v1.local-dev.") for value in stored)
    assert "Test Street" not in str(stored)
    assert "51.5" not in str(stored)
    async with scheduler_db.sessionmaker() as session:
        [read] = (await session.execute(select(Visit))).scalars().all()
    assert (read.latitude, read.longitude, read.terms) == (51.5074, -0.1278, TERMS)


async def test_rotation_rewrites_every_visit_under_the_new_key_once(
    scheduler_db: SchedulerDb,
) -> None:
    async with scheduler_db.sessionmaker() as session, session.begin():
        session.add_all([visit(uuid.uuid4()) for _ in range(3)])
    new_key = base64.b64encode(os.urandom(32)).decode()
    ring = parse_key_ring(f"{LOCAL_DEVELOPMENT_FIELD_KEYS},k2:{new_key}")
    use_cipher(FieldCipher(ring, "k2"))

    first = await VisitKeyRotation(scheduler_db.sessionmaker).run(batch=2)
    again = await VisitKeyRotation(scheduler_db.sessionmaker).run(batch=2)

    assert (first.scanned, first.rewritten) == (3, 3)
    assert (again.scanned, again.rewritten) == (3, 0)
    assert all(value.startswith("v1.k2.") for row in await raw(scheduler_db) for value in row)
    use_cipher(FieldCipher(parse_key_ring(f"k2:{new_key}"), "k2"))  # the old key retired
    async with scheduler_db.sessionmaker() as session:
        read = (await session.execute(select(Visit))).scalars().all()
    assert {(v.latitude, v.longitude) for v in read} == {(51.5074, -0.1278)}
    assert all(v.terms == TERMS for v in read)


def test_production_refuses_the_local_development_key() -> None:
    settings = SchedulerSettings(environment="production", case_api_token="x", demo_teams=0)
    assert "field_encryption_keys still holds the local development key" in (
        settings.production_problems()
    )


def test_the_rotate_keys_command_reports_what_it_rewrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path / "scheduler.db")
    asyncio.run(migrate(MIGRATIONS, url))
    monkeypatch.setenv("SCHEDULER_DATABASE_URL", url)
    assert main(["rotate-keys"]) == 0
    assert "rewrote 0 of 0 visit rows" in capsys.readouterr().out
    monkeypatch.setenv("SCHEDULER_FIELD_ENCRYPTION_ACTIVE_KEY", "missing")
    assert main(["rotate-keys"]) == 2
    assert "missing" in capsys.readouterr().err
