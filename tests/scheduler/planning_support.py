"""A scheduler database with teams, visit requests from case events, and the real planner.

case-api's contact endpoint is replaced by an in-memory source here (its HTTP client is tested
against the real case-api in tests/e2e); the solver is the real PyVRP planner.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select

from doorstep_scheduler.db import inbox_table, outbox_table
from doorstep_scheduler.planning.solver import PyVrpPlanner
from doorstep_scheduler.planning.travel import HaversineTravel
from doorstep_scheduler.plans.worker import PlanningWorker
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.teams.models import Collector, CollectorAbsence, Team
from doorstep_scheduler.visit_terms.schemas import VisitContact
from doorstep_scheduler.visits.handlers import (
    CONSUMER_NAME,
    NOTICE_CONSUMER_NAME,
    build_case_event_handler,
    build_notice_handler,
)
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.case_api_contact import ContactNotFoundError
from doorstep_shared.messaging.consumer import Handler, transactional_handler
from tests.scheduler.conftest import SchedulerDb

# Monday morning in London; the UK pack's notice period (48 h) makes Wednesday the first day.
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LONDON = (51.5074, -0.1278)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class VisitDataBook:
    """case-api's answers by case id, as the scheduler's ``VisitDataSource``."""

    contacts: dict[uuid.UUID, VisitContact] = field(default_factory=dict)
    asked: list[uuid.UUID] = field(default_factory=list)

    async def fetch(self, case_id: uuid.UUID) -> VisitContact:
        self.asked.append(case_id)
        if case_id not in self.contacts:
            raise ContactNotFoundError(f"case-api has no contact data for case {case_id}")
        return self.contacts[case_id]

    def add(
        self,
        case_id: uuid.UUID,
        *,
        at: tuple[float, float] = LONDON,
        timezone: str = "Europe/London",
        language: str = "en",
        windows: Sequence[dict[str, Any]] = (),
        address_kind: str = "home",
        consent: bool = False,
    ) -> None:
        self.contacts[case_id] = VisitContact.model_validate(
            {
                "case_id": str(case_id),
                "name": "Alex Example",
                "address": {
                    "line1": "1 Test Street",
                    "city": "London",
                    "country": "GB",
                    "latitude": at[0],
                    "longitude": at[1],
                },
                "timezone": timezone,
                "preferred_language": language,
                "visit_terms": {
                    "address_kind": address_kind,
                    "visit_consent_recorded": consent,
                    "visit_windows": list(windows),
                },
            }
        )


def settings_for(db: SchedulerDb, **overrides: Any) -> SchedulerSettings:
    values: dict[str, Any] = {"database_url": db.url, "planning_time_budget_seconds": 1.0}
    values.update(overrides)
    return SchedulerSettings(**values)


def case_handler(db: SchedulerDb, settings: SchedulerSettings, clock: Clock) -> Handler:
    return transactional_handler(
        db.sessionmaker, inbox_table, CONSUMER_NAME, build_case_event_handler(settings, clock=clock)
    )


def notice_handler(db: SchedulerDb, settings: SchedulerSettings, clock: Clock) -> Handler:
    return transactional_handler(
        db.sessionmaker,
        inbox_table,
        NOTICE_CONSUMER_NAME,
        build_notice_handler(settings, clock=clock),
    )


def worker(
    db: SchedulerDb, settings: SchedulerSettings, book: VisitDataBook, clock: Clock
) -> PlanningWorker:
    planner = PyVrpPlanner(
        HaversineTravel(settings.travel_speed_kmh),
        time_budget_seconds=settings.planning_time_budget_seconds,
    )
    return PlanningWorker(settings, db.sessionmaker, visit_data=book, planner=planner, clock=clock)


async def add_team(
    db: SchedulerDb,
    name: str,
    *,
    members: int = 1,
    languages: Sequence[str] = ("en",),
    base: tuple[float, float] = LONDON,
    timezone: str = "Europe/London",
    holiday_country: str | None = "GB",
    hours: tuple[time, time] = (time(9), time(18)),
    max_visits_per_day: int = 8,
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    team_id = uuid.uuid4()
    member_ids = [uuid.uuid4() for _ in range(members)]
    async with db.sessionmaker() as session, session.begin():
        session.add(
            Team(
                id=team_id,
                name=name,
                active=True,
                timezone=timezone,
                base_latitude=base[0],
                base_longitude=base[1],
                holiday_country=holiday_country,
                max_visits_per_day=max_visits_per_day,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await session.flush()
        for index, member_id in enumerate(member_ids):
            session.add(
                Collector(
                    id=member_id,
                    employee_ref=f"{name}-{index}",
                    name=f"{name} member {index}",
                    team_id=team_id,
                    active=True,
                    work_start=hours[0],
                    work_end=hours[1],
                    working_weekdays=[0, 1, 2, 3, 4],
                    languages=list(languages),
                    skills=[],
                    max_visits_per_day=max_visits_per_day,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    return team_id, member_ids


async def mark_absent(db: SchedulerDb, collector_id: uuid.UUID, first: Any, last: Any) -> None:
    async with db.sessionmaker() as session, session.begin():
        session.add(
            CollectorAbsence(
                collector_id=collector_id,
                first_day=first,
                last_day=last,
                reason="sickness",
                created_at=NOW,
            )
        )


async def visits_of(db: SchedulerDb, case_id: uuid.UUID) -> list[Visit]:
    async with db.sessionmaker() as session:
        result = await session.execute(
            select(Visit).where(Visit.case_id == case_id).order_by(Visit.created_at, Visit.id)
        )
        return list(result.scalars().all())


async def active_visit(db: SchedulerDb, case_id: uuid.UUID) -> Visit:
    active = [v for v in await visits_of(db, case_id) if v.status not in ("cancelled", "completed")]
    assert len(active) == 1, active
    return active[0]


async def outbox(db: SchedulerDb, event_type: str | None = None) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(outbox_table).order_by(outbox_table.c.id))).all()
    return [
        {"id": row.event_id, "event_type": row.event_type, "data": json.loads(row.payload)}
        for row in rows
        if event_type is None or row.event_type == event_type
    ]
