"""The hash-chained audit log on SQLite and PostgreSQL: verification, tampering, the guard
triggers, concurrent appends and retention."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from doorstep_shared.audit import (
    AUDIT_PURGED,
    BROKEN_LINK,
    GENESIS_HASH,
    HASH_MISMATCH,
    UNRECORDED_START,
    VerificationResult,
    append,
    append_only_ddl,
    compute_entry_hash,
    define_audit_table,
    purge_before,
    record_pii_read,
    retention_cutoff,
    verify,
)
from doorstep_shared.db.base import new_metadata
from doorstep_shared.db.engine import create_engine, create_sessionmaker

NOW = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
CASE = uuid.UUID("6f1c2d3e-4b5a-4978-8899-aabbccddeeff")


def audit_schema() -> tuple[MetaData, Table]:
    metadata = new_metadata()
    return metadata, define_audit_table(metadata)


METADATA, AUDIT = audit_schema()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
        for statement in append_only_ddl(conn.dialect.name):
            await conn.exec_driver_sql(statement)
    yield engine
    await engine.dispose()


async def write(engine: AsyncEngine, count: int, start: datetime = NOW) -> list[int]:
    """``count`` entries, one transaction each, a minute apart from ``start``."""
    ids = []
    for number in range(count):
        async with engine.begin() as conn:
            link = await append(
                conn,
                AUDIT,
                actor=f"key:{number:08x}",
                action="hold.placed" if number % 2 else "pii.read",
                now=start + timedelta(minutes=number),
                case_id=CASE if number % 3 else None,
                details={"number": number, "fields": ["name", "phone"], "note": "Zoë"},
            )
            ids.append(link.id)
    return ids


async def as_dba(engine: AsyncEngine, statement: str) -> None:
    """Change rows behind the application's back, as an administrator could: with the guard
    triggers switched off (PostgreSQL) or dropped and put back (SQLite)."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.exec_driver_sql("ALTER TABLE audit_entry DISABLE TRIGGER USER")
            await conn.exec_driver_sql(statement)
            await conn.exec_driver_sql("ALTER TABLE audit_entry ENABLE TRIGGER USER")
        else:
            await conn.exec_driver_sql("DROP TRIGGER audit_entry_no_update")
            await conn.exec_driver_sql(statement)
            for ddl in append_only_ddl("sqlite"):
                await conn.exec_driver_sql(ddl)


async def check(engine: AsyncEngine, batch_size: int = 2) -> VerificationResult:
    # Small pages, so the walk crosses page boundaries in every test.
    async with engine.connect() as conn:
        return await verify(conn, AUDIT, batch_size=batch_size)


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(AUDIT)) or 0)


def test_the_hash_format_is_stable() -> None:
    # Changing the canonical form would make every stored chain fail verification.
    canonical = (
        '{"action":"pii.read","actor":"jwt:alice",'
        '"case_id":"6f1c2d3e-4b5a-4978-8899-aabbccddeeff",'
        '"details":{"fields":["phone"],"purpose":"collection"},"id":1,'
        '"occurred_at":"2026-12-02T09:30:15.123456+00:00","prev_hash":"' + "0" * 64 + '"}'
    )
    entry_hash = compute_entry_hash(
        entry_id=1,
        occurred_at=NOW,
        actor="jwt:alice",
        action="pii.read",
        case_id=CASE,
        details={"purpose": "collection", "fields": ["phone"]},
        prev_hash=GENESIS_HASH,
    )
    assert entry_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert entry_hash == "d55f7f720bf4fa29e096dacf0f679cff21492ee23d772aec79adcf1d2622fed1"


async def test_an_untouched_chain_verifies(engine: AsyncEngine) -> None:
    assert (await check(engine)).ok  # empty
    ids = await write(engine, 5)
    result = await check(engine)
    assert (result.ok, result.entries_checked, result.broken_entry_id) == (True, 5, None)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(AUDIT).order_by(AUDIT.c.id))).all()
    assert [row.id for row in rows] == ids == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS_HASH
    assert [row.prev_hash for row in rows[1:]] == [row.entry_hash for row in rows[:-1]]
    assert result.head_hash == rows[-1].entry_hash
    assert rows[1].occurred_at == NOW + timedelta(minutes=1)
    assert rows[1].details == {"number": 1, "fields": ["name", "phone"], "note": "Zoë"}


@pytest.mark.parametrize(
    "change",
    [
        """details = '{"fields": ["name"], "note": "Zoë", "number": 2}'""",
        "actor = 'jwt:mallory'",
        "action = 'arrangement.approved'",
        "case_id = NULL",
        "occurred_at = (SELECT occurred_at FROM audit_entry WHERE id = 1)",
    ],
)
async def test_tampering_with_one_entry_fails_verification_and_names_it(
    engine: AsyncEngine, change: str
) -> None:
    await write(engine, 6)
    await as_dba(engine, f"UPDATE audit_entry SET {change} WHERE id = 3")
    result = await check(engine)
    assert (result.ok, result.broken_entry_id, result.reason) == (False, 3, HASH_MISMATCH)
    assert result.entries_checked == 2


async def test_a_rehashed_entry_breaks_the_link_of_the_next_one(engine: AsyncEngine) -> None:
    await write(engine, 5)
    async with engine.connect() as conn:
        row = (await conn.execute(select(AUDIT).where(AUDIT.c.id == 2))).one()
    forged = compute_entry_hash(
        entry_id=2,
        occurred_at=row.occurred_at,
        actor="jwt:mallory",
        action=row.action,
        case_id=row.case_id,
        details=row.details,
        prev_hash=row.prev_hash,
    )
    await as_dba(
        engine,
        f"UPDATE audit_entry SET actor = 'jwt:mallory', entry_hash = '{forged}' WHERE id = 2",
    )
    result = await check(engine)
    assert (result.ok, result.broken_entry_id, result.reason) == (False, 3, BROKEN_LINK)


async def test_deleting_an_entry_names_the_one_after_it(engine: AsyncEngine) -> None:
    await write(engine, 6)
    await as_dba(engine, "DELETE FROM audit_entry WHERE id = 4")
    result = await check(engine)
    assert (result.ok, result.broken_entry_id, result.reason) == (False, 5, BROKEN_LINK)


async def test_deleting_the_oldest_entries_without_a_purge_is_detected(
    engine: AsyncEngine,
) -> None:
    await write(engine, 4)
    await as_dba(engine, "DELETE FROM audit_entry WHERE id <= 2")
    result = await check(engine)
    assert (result.ok, result.broken_entry_id, result.reason) == (False, 3, UNRECORDED_START)


async def test_the_database_refuses_updates(engine: AsyncEngine) -> None:
    await write(engine, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(AUDIT.update().where(AUDIT.c.id == 1).values(actor="jwt:mallory"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE audit_entry SET details = '{}'")
    assert (await check(engine)).ok


@pytest.mark.postgres
async def test_postgresql_refuses_deletes_and_truncates_outside_a_purge(
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            for statement in append_only_ddl("postgresql"):
                await conn.exec_driver_sql(statement)
        await write(engine, 3)
        for statement in ("DELETE FROM audit_entry WHERE id = 1", "TRUNCATE audit_entry"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as conn:
                    await conn.exec_driver_sql(statement)
        # The purge's setting lasts for its own DELETE only, not for the rest of the transaction.
        async with engine.begin() as conn:
            await purge_before(conn, AUDIT, NOW + timedelta(minutes=2), actor="t", now=NOW)
            with pytest.raises(DBAPIError, match="append-only"):
                await conn.exec_driver_sql("DELETE FROM audit_entry")
        assert await count(engine) == 3
    finally:
        await engine.dispose()


async def test_concurrent_appends_keep_one_chain(engine: AsyncEngine) -> None:
    sessionmaker = create_sessionmaker(engine)

    async def one(number: int) -> None:
        async with sessionmaker() as session, session.begin():
            await session.execute(select(1))  # the transaction is open before the append
            await asyncio.sleep(0.01)
            await append(session, AUDIT, actor=f"task:{number}", action="pii.read", now=NOW)
            await asyncio.sleep(0.01)  # hold the chain a moment, so the others wait on it

    await asyncio.gather(*(one(number) for number in range(20)))
    result = await check(engine, batch_size=7)
    assert (result.ok, result.entries_checked) == (True, 20)
    async with engine.connect() as conn:
        actors = (await conn.execute(select(AUDIT.c.actor))).scalars().all()
    assert sorted(actors) == sorted(f"task:{number}" for number in range(20))


async def test_purge_deletes_old_entries_and_the_chain_still_verifies(
    engine: AsyncEngine,
) -> None:
    old = NOW - timedelta(days=8 * 365)
    await write(engine, 4, start=old)
    await write(engine, 3)
    cutoff = retention_cutoff(NOW, 7)
    async with engine.begin() as conn:
        purged = await purge_before(conn, AUDIT, cutoff, actor="doorstep", now=NOW)
        head_before = await conn.scalar(select(AUDIT.c.entry_hash).where(AUDIT.c.id == 7))
    assert (purged.deleted, purged.last_purged_id) == (4, 4)

    async with engine.connect() as conn:
        rows = (await conn.execute(select(AUDIT).order_by(AUDIT.c.id))).all()
    assert [row.id for row in rows] == [5, 6, 7, 8]
    assert rows[0].prev_hash == purged.last_purged_hash
    record = rows[-1]
    assert (record.action, record.actor, record.prev_hash) == (
        AUDIT_PURGED,
        "doorstep",
        head_before,
    )
    assert record.details == {
        "deleted": 4,
        "last_purged_id": 4,
        "last_purged_hash": purged.last_purged_hash,
        "cutoff": "2019-12-02T09:30:15.123456+00:00",
    }
    result = await check(engine)
    assert (result.ok, result.entries_checked) == (True, 4)

    # The chain goes on after the purge, and a later purge moves the anchor again.
    await write(engine, 1, start=NOW + timedelta(days=1))
    async with engine.begin() as conn:
        again = await purge_before(conn, AUDIT, NOW + timedelta(hours=1), actor="ops", now=NOW)
    assert (again.deleted, again.last_purged_id) == (4, 8)
    assert (await check(engine)).ok
    # Nothing old enough: nothing deleted, nothing recorded.
    async with engine.begin() as conn:
        assert (await purge_before(conn, AUDIT, cutoff, actor="ops", now=NOW)).deleted == 0
    assert await count(engine) == 2


async def test_a_purge_never_deletes_the_newest_entry(engine: AsyncEngine) -> None:
    await write(engine, 3)
    async with engine.begin() as conn:
        purged = await purge_before(conn, AUDIT, NOW + timedelta(days=1), actor="t", now=NOW)
    assert purged.deleted == 2
    async with engine.connect() as conn:
        ids = (await conn.execute(select(AUDIT.c.id).order_by(AUDIT.c.id))).scalars().all()
    assert ids == [3, 4]
    assert (await check(engine)).ok


async def test_moving_the_purge_anchor_to_hide_a_deletion_is_detected(
    engine: AsyncEngine,
) -> None:
    await write(engine, 3, start=NOW - timedelta(days=3000))
    await write(engine, 2)
    async with engine.begin() as conn:
        await purge_before(conn, AUDIT, retention_cutoff(NOW, 1), actor="t", now=NOW)
        hidden = await conn.scalar(select(AUDIT.c.entry_hash).where(AUDIT.c.id == 4))
    assert (await check(engine)).ok
    # Someone deletes one more entry and edits the purge record to make it look purged.
    await as_dba(engine, "DELETE FROM audit_entry WHERE id = 4")
    await as_dba(
        engine,
        'UPDATE audit_entry SET details = \'{"deleted": 4, "last_purged_id": 4, '
        f'"last_purged_hash": "{hidden}"}}\' WHERE id = 6',
    )
    result = await check(engine)
    assert (result.ok, result.broken_entry_id, result.reason) == (False, 6, HASH_MISMATCH)


async def test_a_personal_data_read_records_fields_and_purpose(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await record_pii_read(
            conn,
            AUDIT,
            actor="key:ab12cd34",
            case_id=CASE,
            fields=["phone", "address", "phone"],
            purpose="notice-delivery",
            now=NOW,
        )
    async with engine.connect() as conn:
        row = (await conn.execute(select(AUDIT))).one()
    assert (row.actor, row.action, row.case_id, row.occurred_at) == (
        "key:ab12cd34", "pii.read", CASE, NOW
    )  # fmt: skip
    assert row.details == {"fields": ["address", "phone"], "purpose": "notice-delivery"}
    assert (await check(engine)).ok


async def test_an_append_refuses_values_it_could_not_hash_faithfully(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        with pytest.raises(TypeError):
            await append(conn, AUDIT, actor="t", action="x", now=NOW, details={"at": NOW})
        with pytest.raises(ValueError, match="naive"):
            await append(conn, AUDIT, actor="t", action="x", now=NOW.replace(tzinfo=None))
    assert await count(engine) == 0


def test_retention_counts_calendar_years() -> None:
    assert retention_cutoff(NOW, 7) == NOW.replace(year=2019)
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert retention_cutoff(leap, 1) == datetime(2027, 2, 28, tzinfo=UTC)
    with pytest.raises(ValueError, match="at least one year"):
        retention_cutoff(NOW, 0)
