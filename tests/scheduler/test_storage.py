"""Migrations and the tables' own guarantees on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import IntegrityError

from doorstep_scheduler import models  # noqa: F401  (all tables on the metadata)
from doorstep_scheduler.cli import MIGRATIONS
from doorstep_scheduler.db import Base
from doorstep_scheduler.teams.models import Collector, Team
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.db.migrations import downgrade
from tests.scheduler.conftest import SchedulerDb

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
TABLES = {
    "case_view",
    "team",
    "collector",
    "collector_absence",
    "visit",
    "visit_plan",
    "outbox_message",
    "processed_event",
    "api_key",
    "audit_entry",
    "parked_event",
}


def visit(case_id: uuid.UUID, status: str) -> Visit:
    return Visit(
        id=uuid.uuid4(),
        case_id=case_id,
        trigger_event_id=str(uuid.uuid4()),
        status=status,
        created_at=NOW,
    )


def team(name: str) -> Team:
    return Team(
        id=uuid.uuid4(),
        name=name,
        active=True,
        timezone="Europe/London",
        max_visits_per_day=6,
        created_at=NOW,
        updated_at=NOW,
    )


def member(ref: str, team_id: uuid.UUID, start: time, end: time) -> Collector:
    return Collector(
        id=uuid.uuid4(),
        employee_ref=ref,
        name=f"Collector {ref}",
        team_id=team_id,
        active=True,
        work_start=start,
        work_end=end,
        working_weekdays=[0, 1, 2, 3, 4],
        languages=["en"],
        skills=[],
        max_visits_per_day=8,
        created_at=NOW,
        updated_at=NOW,
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
        # Cancelled and completed visits do not count: a case can be visited again later.
        session.add_all(
            [visit(case_id, "cancelled"), visit(case_id, "completed"), visit(case_id, "unassigned")]
        )
    for status in ("scheduled", "checked_in"):
        with pytest.raises(IntegrityError):
            async with scheduler_db.sessionmaker() as session, session.begin():
                session.add(visit(case_id, status))


async def test_a_collector_cannot_end_work_before_starting(scheduler_db: SchedulerDb) -> None:
    north = team("North")
    async with scheduler_db.sessionmaker() as session, session.begin():
        session.add(north)
        await session.flush()
        session.add(member("E1", north.id, time(9), time(17)))
    with pytest.raises(IntegrityError):
        async with scheduler_db.sessionmaker() as session, session.begin():
            session.add(member("E2", north.id, time(17), time(9)))
