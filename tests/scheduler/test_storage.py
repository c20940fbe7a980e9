"""Migrations and repositories on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import IntegrityError

from doorstep_scheduler import models  # noqa: F401  (all tables on the metadata)
from doorstep_scheduler.cli import MIGRATIONS
from doorstep_scheduler.collectors.models import Collector
from doorstep_scheduler.collectors.repository import CollectorRepository
from doorstep_scheduler.collectors.seed import seed_demo_collectors
from doorstep_scheduler.db import Base
from doorstep_scheduler.visits.models import Visit
from doorstep_scheduler.visits.repository import VisitRepository
from doorstep_shared.db.migrations import downgrade
from tests.scheduler.conftest import SchedulerDb

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TABLES = {
    "case_view",
    "collector",
    "visit",
    "outbox_message",
    "processed_event",
    "api_key",
    "audit_entry",
}


def collector(name: str, active: bool = True) -> Collector:
    return Collector(
        id=uuid.uuid4(), name=name, active=active, max_visits_per_day=3, created_at=NOW
    )


def visit(
    case_id: uuid.UUID,
    status: str = "scheduled",
    collector_id: uuid.UUID | None = None,
    start: datetime | None = MONDAY_9,
    created_at: datetime = NOW,
) -> Visit:
    return Visit(
        id=uuid.uuid4(),
        case_id=case_id,
        trigger_event_id=str(uuid.uuid4()),
        status=status,
        collector_id=collector_id,
        window_start=start,
        window_end=start + timedelta(hours=1) if start else None,
        created_at=created_at,
    )


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrations_build_exactly_the_models(scheduler_db: SchedulerDb) -> None:
    async with scheduler_db.engine.connect() as conn:
        assert await conn.run_sync(_tables) >= TABLES
        assert await conn.run_sync(_drift) == []


async def test_downgrade_removes_every_table(scheduler_db: SchedulerDb) -> None:
    await scheduler_db.engine.dispose()
    await asyncio.to_thread(downgrade, MIGRATIONS, scheduler_db.url)
    async with scheduler_db.engine.connect() as conn:
        assert not (TABLES & await conn.run_sync(_tables))


async def test_a_case_has_at_most_one_active_visit(scheduler_db: SchedulerDb) -> None:
    case_id = uuid.uuid4()
    async with scheduler_db.sessionmaker() as session, session.begin():
        # Cancelled visits do not count: a case can be visited again later.
        session.add_all([visit(case_id, "cancelled"), visit(case_id, "unassigned", start=None)])
    with pytest.raises(IntegrityError):
        async with scheduler_db.sessionmaker() as session, session.begin():
            session.add(visit(case_id, "scheduled", start=None))


async def test_a_collector_slot_is_booked_once(scheduler_db: SchedulerDb) -> None:
    team = collector("Team A")
    async with scheduler_db.sessionmaker() as session, session.begin():
        session.add(team)
        await session.flush()
        session.add_all(
            [
                visit(uuid.uuid4(), "scheduled", team.id),
                visit(uuid.uuid4(), "cancelled", team.id),  # a freed slot can be re-used
            ]
        )
    with pytest.raises(IntegrityError):
        async with scheduler_db.sessionmaker() as session, session.begin():
            session.add(visit(uuid.uuid4(), "scheduled", team.id))


async def test_calendar_query_returns_scheduled_visits_overlapping_the_period(
    scheduler_db: SchedulerDb,
) -> None:
    team = collector("Team A")
    async with scheduler_db.sessionmaker() as session, session.begin():
        session.add(team)
        await session.flush()
        session.add_all(
            [
                visit(uuid.uuid4(), "scheduled", team.id, MONDAY_9),
                visit(uuid.uuid4(), "scheduled", team.id, MONDAY_9 + timedelta(days=1)),
                visit(uuid.uuid4(), "scheduled", team.id, MONDAY_9 - timedelta(days=3)),
                visit(uuid.uuid4(), "cancelled", team.id, MONDAY_9 + timedelta(hours=2)),
            ]
        )
    async with scheduler_db.sessionmaker() as session:
        found = await VisitRepository(session).scheduled_between(
            MONDAY_9 + timedelta(minutes=30), MONDAY_9 + timedelta(days=1)
        )
    assert found == [(team.id, MONDAY_9, MONDAY_9 + timedelta(hours=1))]
    assert found[0][1].tzinfo is not None


async def test_visit_listing_filters_and_orders_newest_first(scheduler_db: SchedulerDb) -> None:
    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    older = visit(case_a, "cancelled", start=None, created_at=NOW)
    newer = visit(case_a, "unassigned", start=None, created_at=NOW + timedelta(minutes=1))
    other = visit(case_b, "unassigned", start=None, created_at=NOW + timedelta(minutes=2))
    async with scheduler_db.sessionmaker() as session, session.begin():
        session.add_all([older, newer, other])
    async with scheduler_db.sessionmaker() as session:
        repo = VisitRepository(session)
        by_case = await repo.newest_first(case_id=case_a, status=None, limit=10)
        assert [v.id for v in by_case] == [newer.id, older.id]
        unassigned = await repo.newest_first(case_id=None, status="unassigned", limit=10)
        assert [v.id for v in unassigned] == [other.id, newer.id]
        assert len(await repo.newest_first(case_id=None, status=None, limit=2)) == 2


async def test_active_collectors_exclude_inactive_ones(scheduler_db: SchedulerDb) -> None:
    async with scheduler_db.sessionmaker() as session, session.begin():
        session.add_all([collector("Zulu"), collector("Alpha"), collector("Mike", active=False)])
    async with scheduler_db.sessionmaker() as session:
        repo = CollectorRepository(session)
        assert [c.name for c in await repo.active()] == ["Alpha", "Zulu"]
        assert [c.name for c in await repo.all_by_name()] == ["Alpha", "Mike", "Zulu"]


async def test_demo_collectors_are_seeded_once_and_only_into_an_empty_table(
    scheduler_db: SchedulerDb,
) -> None:
    assert await seed_demo_collectors(scheduler_db.sessionmaker, 3) == 3
    assert await seed_demo_collectors(scheduler_db.sessionmaker, 3) == 0
    async with scheduler_db.sessionmaker() as session:
        teams = await CollectorRepository(session).all_by_name()
    assert [c.name for c in teams] == ["Team 1", "Team 2", "Team 3"]
    assert all(c.active and c.max_visits_per_day > 0 for c in teams)


async def test_no_demo_collectors_when_collectors_exist(scheduler_db: SchedulerDb) -> None:
    async with scheduler_db.sessionmaker() as session, session.begin():
        session.add(collector("Real team"))
    assert await seed_demo_collectors(scheduler_db.sessionmaker, 3) == 0
