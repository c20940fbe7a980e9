"""Demo teams for local runs, created at start-up in their own short transaction."""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_scheduler.teams.repository import CollectorRepository, TeamRepository
from doorstep_shared.clock import utc_now
from doorstep_shared.messaging.backoff import Backoff

logger = logging.getLogger(__name__)

DEMO_CENTRE = (51.5074, -0.1278)  # Charing Cross, London
DEMO_TIMEZONE = "Europe/London"
DEMO_HOLIDAY_COUNTRY = "GB"
DEMO_MAX_VISITS_PER_DAY = 8
DEMO_MEMBERS = 2
DEMO_HOURS = (time(9, 0), time(18, 0))
DEMO_WEEKDAYS = (0, 1, 2, 3, 4)
# Team 1's members also speak Mandarin and Polish, so a local run can plan such visits.
DEMO_EXTRA_LANGUAGES = (["zh-CN"], ["pl"])
_KM_PER_DEGREE_LATITUDE = 111.32


def demo_base(number: int, count: int) -> tuple[float, float]:
    """Bases on a ring 3-5 km around central London, a few km from each other."""
    angle = 2 * math.pi * (number - 1) / max(count, 1)
    radius_km = 3.0 + (number - 1) % 3
    latitude = DEMO_CENTRE[0] + radius_km * math.cos(angle) / _KM_PER_DEGREE_LATITUDE
    km_per_degree_longitude = _KM_PER_DEGREE_LATITUDE * math.cos(math.radians(DEMO_CENTRE[0]))
    longitude = DEMO_CENTRE[1] + radius_km * math.sin(angle) / km_per_degree_longitude
    return round(latitude, 5), round(longitude, 5)


async def create_demo_teams(session: AsyncSession, count: int) -> int:
    """'Team 1'..'Team N' with two collectors each, when there are no teams at all; returns
    how many teams were added (0 when another process seeded them first)."""
    teams = TeamRepository(session)
    if count == 0 or await teams.count() > 0:
        return 0
    collectors = CollectorRepository(session)
    now = utc_now()
    added = 0
    for number in range(1, count + 1):
        team_id = uuid.uuid4()
        if not await teams.insert_unless_name_taken(_team_row(team_id, number, count, now)):
            continue
        added += 1
        for member in range(1, DEMO_MEMBERS + 1):
            await collectors.insert_unless_ref_taken(_member_row(team_id, number, member, now))
    return added


def _team_row(team_id: uuid.UUID, number: int, count: int, now: datetime) -> dict[str, object]:
    latitude, longitude = demo_base(number, count)
    return {
        "id": team_id,
        "name": f"Team {number}",
        "active": True,
        "region": None,
        "timezone": DEMO_TIMEZONE,
        "base_latitude": latitude,
        "base_longitude": longitude,
        "holiday_country": DEMO_HOLIDAY_COUNTRY,
        "max_visits_per_day": DEMO_MAX_VISITS_PER_DAY,
        "created_at": now,
        "updated_at": now,
    }


def _member_row(team_id: uuid.UUID, number: int, member: int, now: datetime) -> dict[str, object]:
    extra = DEMO_EXTRA_LANGUAGES[member - 1] if number == 1 else []
    return {
        "id": uuid.uuid4(),
        "employee_ref": f"DEMO-{number:02d}-{member}",
        "name": f"Demo Collector {number}.{member}",
        "team_id": team_id,
        "active": True,
        "work_start": DEMO_HOURS[0],
        "work_end": DEMO_HOURS[1],
        "working_weekdays": list(DEMO_WEEKDAYS),
        "languages": ["en", *extra],
        "skills": [],
        "max_visits_per_day": DEMO_MAX_VISITS_PER_DAY,
        "created_at": now,
        "updated_at": now,
    }


async def seed_demo_teams(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> int:
    """Create ``count`` demo teams if there are no teams; retries while the DB is down."""
    backoff = Backoff(initial=0.5, maximum=10.0)
    while True:
        try:
            async with sessionmaker() as session, session.begin():
                added = await create_demo_teams(session, count)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = backoff.next_delay()
            logger.warning(
                "demo teams not seeded yet",
                extra={"error": type(exc).__name__, "retry_in_s": round(delay, 2)},
            )
            await asyncio.sleep(delay)
            continue
        if added:
            logger.info("demo teams created", extra={"count": added})
        return added
