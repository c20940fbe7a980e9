"""case-api's migrations and status write-back on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from doorstep_case_api import models  # noqa: F401  (every table on the metadata)
from doorstep_case_api.accounts.schemas import DelinquencySnapshot
from doorstep_case_api.accounts.service import IntakeService
from doorstep_case_api.cases.context import CaseRules
from doorstep_case_api.cases.handlers import status_writeback
from doorstep_case_api.cases.models import Case, TimelineEntry
from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.db import Base, inbox_table
from doorstep_case_api.policy.model import load_policy
from doorstep_shared.clock import utc_now
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.db.migrations import downgrade
from doorstep_shared.events.contracts import NotificationSent, to_envelope
from doorstep_shared.messaging.consumer import PermanentEventError, transactional_handler
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import migrate

TABLES = {
    "customer",
    "account",
    "collection_case",
    "timeline_entry",
    "outbox_message",
    "processed_event",
    "stage_transition",
    "business_calendar",
    "evaluation_run",
    "charge_entry",
    "payment",
    "promise",
    "arrangement",
    "arrangement_instalment",
    "case_hold",
    "legal_referral",
    "idempotency_record",
    "audit_entry",
    "api_key",
    "visit_terms",
    "intake_batch_chunk",
}


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate(MIGRATIONS, database_url)
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_migrations_build_exactly_the_models_and_downgrade_cleanly(
    engine: AsyncEngine, database_url: str
) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_tables) == TABLES
        assert await conn.run_sync(_drift) == []
    await engine.dispose()
    await asyncio.to_thread(downgrade, MIGRATIONS, database_url)
    async with engine.connect() as conn:
        assert await conn.run_sync(_tables) == set()
    await migrate(MIGRATIONS, database_url)
    async with engine.connect() as conn:
        assert await conn.run_sync(_tables) == TABLES


async def _open_case(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with sessionmaker() as session, session.begin():
        output = await IntakeService(rules(session)).apply_snapshot(
            "ACC-1", DelinquencySnapshot.model_validate(SNAPSHOT)
        )
    assert output.case is not None
    return output.case.id


def rules(session: AsyncSession) -> CaseRules:
    return CaseRules(session, load_policy(), date(2026, 11, 28), "urn:test")


WRITEBACK = status_writeback(load_policy(), "UTC", "urn:test")


def _sent(case_id: uuid.UUID) -> NotificationSent:
    return NotificationSent(
        case_id=case_id,
        notification_id=uuid.uuid4(),
        channel="sms",
        trigger_event_id="evt-1",
        sent_at=utc_now(),
    )


async def test_a_status_update_appears_once_on_the_timeline(engine: AsyncEngine) -> None:
    sessionmaker = create_sessionmaker(engine)
    case_id = await _open_case(sessionmaker)
    handle = transactional_handler(sessionmaker, inbox_table, "writeback", WRITEBACK)
    data = _sent(case_id)
    envelope = to_envelope(data, "urn:doorstep:notifier")
    assert await handle(envelope, data) is True
    assert await handle(envelope, data) is False  # redelivery
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(TimelineEntry.event_type, TimelineEntry.source, TimelineEntry.summary)
                .where(TimelineEntry.case_id == case_id)
                .order_by(TimelineEntry.id)
            )
        ).all()
    types = [r.event_type for r in rows]
    assert types.count("doorstep.notification.sent.v1") == 1
    sent = rows[types.index("doorstep.notification.sent.v1")]
    assert sent.source == "urn:doorstep:notifier"
    assert sent.summary == "Overdue notice sent (sms)."


async def test_a_status_update_for_an_unknown_case_is_permanent_and_leaves_nothing(
    engine: AsyncEngine,
) -> None:
    sessionmaker = create_sessionmaker(engine)
    handle = transactional_handler(sessionmaker, inbox_table, "writeback", WRITEBACK)
    data = _sent(uuid.uuid4())
    with pytest.raises(PermanentEventError):
        await handle(to_envelope(data, "urn:doorstep:notifier"), data)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(inbox_table)) == 0


async def test_money_keeps_every_digit_on_both_databases(engine: AsyncEngine) -> None:
    sessionmaker = create_sessionmaker(engine)
    body = {
        **SNAPSHOT,
        "loan": {
            **SNAPSHOT["loan"],
            "currency": "KWD",
            "arrears": {
                "principal": "12345678901.123",
                "interest": "0.001",
                "fees": "0",
                "penalties": "0.010",
            },
        },
    }
    async with sessionmaker() as session, session.begin():
        output = await IntakeService(rules(session)).apply_snapshot(
            "ACC-KWD", DelinquencySnapshot.model_validate(body)
        )
    assert output.case is not None
    async with sessionmaker() as session:
        case = await session.get(Case, output.case.id)
        assert case is not None
        assert case.principal == Decimal("12345678901.123")
        assert case.total_arrears == Decimal("12345678901.134")
        assert case.as_of_date == date(2026, 11, 28)
        assert case.opened_at.tzinfo is not None
