"""Start-up seeding of demo collectors, in its own short transaction."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_scheduler.collectors.service import CollectorService
from doorstep_shared.messaging.backoff import Backoff

logger = logging.getLogger(__name__)


async def seed_demo_collectors(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> int:
    """Create ``count`` demo teams if there are no collectors; retries while the DB is down."""
    backoff = Backoff(initial=0.5, maximum=10.0)
    while True:
        try:
            async with sessionmaker() as session, session.begin():
                added = await CollectorService(session).create_demo_teams(count)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = backoff.next_delay()
            logger.warning(
                "demo collectors not seeded yet",
                extra={"error": type(exc).__name__, "retry_in_s": round(delay, 2)},
            )
            await asyncio.sleep(delay)
            continue
        if added:
            logger.info("demo collectors created", extra={"count": added})
        return added
