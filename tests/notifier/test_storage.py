"""Migrations and queries, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from doorstep_notifier import models  # noqa: F401  (every table on the metadata)
from doorstep_notifier.cli import MIGRATIONS, main
from doorstep_notifier.db import Base
from doorstep_notifier.notifications.repository import NotificationRepository
from doorstep_notifier.providers.base import OutgoingMessage
from doorstep_notifier.providers.local import LocalProvider
from doorstep_shared.clock import utc_now
from doorstep_shared.db.migrations import downgrade
from tests.notifier.conftest import (
    CaseEventSink,
    NotifierDb,
    case_event_handler,
    migrated_notifier_db,
)
from tests.notifier.factories import envelope, opened

TABLES = {
    "case_view",
    "notification",
    "local_message",
    "outbox_message",
    "processed_event",
    "api_key",
    "audit_entry",
    "contact_decision",
    "opt_out",
    "parked_event",
}


async def table_names(db: NotifierDb) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_migrations_build_exactly_the_modelled_schema(notifier_db: NotifierDb) -> None:
    assert await table_names(notifier_db) >= TABLES
    async with notifier_db.engine.connect() as conn:
        differences = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    assert differences == []


async def test_migrations_downgrade_to_nothing(notifier_db: NotifierDb) -> None:
    await notifier_db.engine.dispose()
    await asyncio.to_thread(downgrade, MIGRATIONS, notifier_db.url)
    assert not TABLES & await table_names(notifier_db)


async def test_claim_takes_due_pending_notices_and_leases_them(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_ids = [uuid.uuid4() for _ in range(3)]
    for case_id in case_ids:
        await publish(opened(case_id))
    now = utc_now() + timedelta(seconds=1)
    lease_until = now + timedelta(seconds=60)

    async with notifier_db.sessionmaker() as session, session.begin():
        claimed = await NotificationRepository(session).claim_due(
            now=now, limit=2, token="token-a", lease_until=lease_until
        )
    assert len(claimed) == 2
    async with notifier_db.sessionmaker() as session, session.begin():
        rest = await NotificationRepository(session).claim_due(
            now=now, limit=10, token="token-b", lease_until=lease_until
        )
    assert {case for _, case in claimed} | {case for _, case in rest} == set(case_ids)
    assert len(rest) == 1

    leased = {n.id: n for c in case_ids for n in await notifier_db.notifications(c)}
    assert {leased[i].claim_token for i, _ in claimed} == {"token-a"}
    assert all(leased[i].next_attempt_at == lease_until for i, _ in claimed)
    async with notifier_db.sessionmaker() as session, session.begin():
        again = await NotificationRepository(session).claim_due(
            now=now + timedelta(seconds=59), limit=10, token="token-c", lease_until=lease_until
        )
    assert again == []


async def test_a_notice_can_have_only_one_recorded_message(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id))
    notice = await notifier_db.only_notification(case_id)
    message = OutgoingMessage(
        notification_id=notice.id,
        case_id=case_id,
        channel="sms",
        recipient="+8613800138000",
        subject=None,
        body="text",
        language="en",
    )
    async with notifier_db.sessionmaker() as session, session.begin():
        await LocalProvider().send(session, message)
    with pytest.raises(IntegrityError):
        async with notifier_db.sessionmaker() as session, session.begin():
            await LocalProvider().send(session, message)
    assert len(await notifier_db.local_messages()) == 1


@pytest.mark.postgres
async def test_concurrent_claims_skip_rows_another_transaction_holds(postgres_url: str) -> None:
    async with migrated_notifier_db(postgres_url) as db:
        handle = case_event_handler(db)
        for _ in range(4):
            event = opened(uuid.uuid4())
            await handle(envelope(event), event)
        now = utc_now() + timedelta(seconds=1)
        lease = now + timedelta(seconds=60)
        async with db.sessionmaker() as first, first.begin():
            held = await NotificationRepository(first).claim_due(
                now=now, limit=1, token="a", lease_until=lease
            )
            # The first transaction is still open and holds its row lock.
            async with db.sessionmaker() as second, second.begin():
                # Without SKIP LOCKED this would wait for the first transaction forever.
                others = await asyncio.wait_for(
                    NotificationRepository(second).claim_due(
                        now=now, limit=10, token="b", lease_until=lease
                    ),
                    5,
                )
    assert len(held) == 1
    assert len(others) == 3
    assert not {row for row, _ in held} & {row for row, _ in others}


def test_cli_migrate_builds_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("NOTIFIER_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    assert main(["migrate"]) == 0
    with closing(sqlite3.connect(database)) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert names >= TABLES
