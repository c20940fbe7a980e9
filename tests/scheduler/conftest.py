"""A migrated scheduler database with its engine and sessionmaker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from doorstep_scheduler.cli import MIGRATIONS
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from tests.support.apps import migrate


@dataclass(frozen=True)
class SchedulerDb:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


@pytest.fixture
async def scheduler_db(database_url: str) -> AsyncIterator[SchedulerDb]:
    await migrate(MIGRATIONS, database_url)
    engine = create_engine(database_url)
    yield SchedulerDb(database_url, engine, create_sessionmaker(engine))
    await engine.dispose()
