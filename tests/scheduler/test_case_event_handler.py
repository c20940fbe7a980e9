"""Case events → visits and visit events, through the real inbox guard, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.collectors.schemas import CollectorCreate
from doorstep_scheduler.collectors.service import CollectorService
from doorstep_scheduler.db import inbox_table, outbox_table
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.handlers import (
    CONSUMER_NAME,
    HANDLED_CASE_TYPES,
    build_case_event_handler,
)
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.events.topics import CASE_STATUS
from doorstep_shared.messaging.consumer import Handler, transactional_handler
from tests.scheduler.case_events import (
    arrangement_changed,
    deliver,
    hold_lifted,
    hold_placed,
    opened,
    resolved,
    stage_changed,
    updated,
)
from tests.scheduler.conftest import SchedulerDb

# Friday afternoon: the first working day after it is Monday 2026-12-07.
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


async def add_collectors(db: SchedulerDb, *names: str) -> dict[str, uuid.UUID]:
    async with db.sessionmaker() as session, session.begin():
        service = CollectorService(session)
        created = [
            await service.create(CollectorCreate(name=name, max_visits_per_day=4)) for name in names
        ]
        return {collector.name: collector.id for collector in created}


def handler(db: SchedulerDb, **settings: Any) -> Handler:
    config = SchedulerSettings(database_url=db.url, **settings)
    return transactional_handler(
        db.sessionmaker,
        inbox_table,
        CONSUMER_NAME,
        build_case_event_handler(config, clock=lambda: NOW),
    )


async def visits_of(db: SchedulerDb, case_id: uuid.UUID) -> Sequence[Visit]:
    async with db.sessionmaker() as session:
        result = await session.execute(
            select(Visit).where(Visit.case_id == case_id).order_by(Visit.created_at)
        )
        return result.scalars().all()


async def outbox(db: SchedulerDb) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(outbox_table).order_by(outbox_table.c.id))).all()
    return [
        {
            "event_type": row.event_type,
            "topic": row.topic,
            "key": row.message_key,
            "data": json.loads(row.payload),
        }
        for row in rows
    ]


@pytest.fixture
async def teams(scheduler_db: SchedulerDb) -> dict[str, uuid.UUID]:
    return await add_collectors(scheduler_db, "Team B", "Team A")


async def test_case_in_the_field_stage_gets_one_scheduled_visit_and_its_event(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    event = opened(case_id, days_past_due=35)
    await deliver(handler(scheduler_db), event)

    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "scheduled"
    assert visit.collector_id == teams["Team A"]
    assert (visit.window_start, visit.window_end) == (MONDAY_9, MONDAY_10)
    assert visit.trigger_event_id == event.id
    assert visit.unassigned_reason is None

    [message] = await outbox(scheduler_db)
    assert message["event_type"] == "doorstep.visit.scheduled.v1"
    assert message["topic"] == CASE_STATUS
    assert message["key"] == str(case_id)
    data = message["data"]
    assert data["case_id"] == str(case_id)
    assert data["visit_id"] == str(visit.id)
    assert data["collector_id"] == str(teams["Team A"])
    assert datetime.fromisoformat(data["window_start"]) == MONDAY_9
    assert datetime.fromisoformat(data["window_end"]) == MONDAY_10
    assert datetime.fromisoformat(data["window_start"]).tzinfo is not None


async def test_redelivered_event_has_no_second_effect(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    event = opened(case_id, days_past_due=35)
    handle = handler(scheduler_db)
    await deliver(handle, event)
    await deliver(handle, event)

    assert len(await visits_of(scheduler_db, case_id)) == 1
    assert len(await outbox(scheduler_db)) == 1
    async with scheduler_db.engine.connect() as conn:
        claimed = await conn.scalar(select(func.count()).select_from(inbox_table))
    assert claimed == 1


async def test_case_that_reaches_the_field_stage_later_is_scheduled_then(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=10))
    assert await visits_of(scheduler_db, case_id) == []
    assert await outbox(scheduler_db) == []

    await deliver(handle, updated(case_id, days_past_due=29, sequence=2))
    assert await visits_of(scheduler_db, case_id) == []

    await deliver(handle, updated(case_id, days_past_due=31, sequence=3))
    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "scheduled"
    assert [m["event_type"] for m in await outbox(scheduler_db)] == ["doorstep.visit.scheduled.v1"]
    async with scheduler_db.sessionmaker() as session:
        view = await session.get(CaseView, case_id)
    assert view is not None
    assert (view.status, view.days_past_due, view.last_sequence) == ("open", 31, 3)


async def test_stage_change_into_the_field_stage_also_schedules(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=20))
    await deliver(handle, stage_changed(case_id, days_past_due=31, sequence=2))
    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "scheduled"


async def test_further_events_keep_the_single_scheduled_visit(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, updated(case_id, days_past_due=36, sequence=2))
    await deliver(handle, updated(case_id, days_past_due=60, sequence=3))
    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.status, visit.window_start) == ("scheduled", MONDAY_9)
    assert len(await outbox(scheduler_db)) == 1


async def test_cases_share_the_calendar_first_free_collector_first(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    handle = handler(scheduler_db)
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for case_id in (first, second, third):
        await deliver(handle, opened(case_id, days_past_due=40))
    placed = [(await visits_of(scheduler_db, case_id))[0] for case_id in (first, second, third)]
    assert [(v.collector_id, v.window_start) for v in placed] == [
        (teams["Team A"], MONDAY_9),
        (teams["Team B"], MONDAY_9),
        (teams["Team A"], MONDAY_10),
    ]


async def test_resolution_cancels_the_visit_and_announces_it(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, resolved(case_id, sequence=2))

    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "cancelled"
    assert visit.cancel_reason == "case resolved: cured"
    assert visit.cancelled_at == NOW
    messages = await outbox(scheduler_db)
    assert [m["event_type"] for m in messages] == [
        "doorstep.visit.scheduled.v1",
        "doorstep.visit.cancelled.v1",
    ]
    cancelled = messages[1]["data"]
    assert cancelled["visit_id"] == str(visit.id)
    assert cancelled["reason"] == "case resolved: cured"
    assert datetime.fromisoformat(cancelled["cancelled_at"]) == NOW


async def test_stale_or_repeated_events_after_resolution_change_nothing(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, resolved(case_id, sequence=2))
    # A second resolution with the same sequence (new event id), and the opening event
    # re-published late with a new id: both are older than what the scheduler holds.
    await deliver(handle, resolved(case_id, sequence=2))
    await deliver(handle, opened(case_id, days_past_due=35))

    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "cancelled"
    assert [m["event_type"] for m in await outbox(scheduler_db)] == [
        "doorstep.visit.scheduled.v1",
        "doorstep.visit.cancelled.v1",
    ]


async def test_without_collectors_the_visit_waits_unassigned_until_a_later_event(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "unassigned"
    assert visit.unassigned_reason == "no active collector"
    assert visit.collector_id is None
    assert await outbox(scheduler_db) == []

    teams = await add_collectors(scheduler_db, "Team A")
    await deliver(handle, updated(case_id, days_past_due=36, sequence=2))
    [replanned] = await visits_of(scheduler_db, case_id)
    assert replanned.id == visit.id
    assert (replanned.status, replanned.collector_id) == ("scheduled", teams["Team A"])
    assert replanned.unassigned_reason is None
    assert [m["event_type"] for m in await outbox(scheduler_db)] == ["doorstep.visit.scheduled.v1"]


async def test_resolving_an_unassigned_visit_cancels_it_without_an_event(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, resolved(case_id, sequence=2))
    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.status, visit.cancel_reason) == ("cancelled", "case resolved: cured")
    # Nobody was told about the unassigned visit, so there is nothing to retract.
    assert await outbox(scheduler_db) == []


async def test_every_case_event_type_reaches_the_handler() -> None:
    # Types left out are skipped by the consumer, and their state (a hold!) would be lost.
    assert {
        "doorstep.case.hold_placed.v1",
        "doorstep.case.hold_lifted.v1",
        "doorstep.case.arrangement_changed.v1",
        "doorstep.case.payment_received.v1",
        "doorstep.case.legal_referral_decided.v1",
        "doorstep.case.vulnerability_changed.v1",
    } <= HANDLED_CASE_TYPES


async def test_the_stage_not_the_days_past_due_calls_for_a_visit(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    # 45 days past due, but the ladder still waits for the overdue notice: no visit yet.
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=45, stage="reminder"))
    await deliver(handle, stage_changed(case_id, 45, 2, previous_stage="reminder", stage="contact"))
    assert await visits_of(scheduler_db, case_id) == []
    await deliver(handle, stage_changed(case_id, 52, 3, previous_stage="contact", stage="field"))
    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "scheduled"


async def test_a_hold_cancels_the_visit_at_once_and_plans_none_while_it_lasts(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, hold_placed(case_id, 35, sequence=2, hold_type="hardship"))

    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.status, visit.cancel_reason) == ("cancelled", "hold: hardship")
    messages = await outbox(scheduler_db)
    assert [m["event_type"] for m in messages] == [
        "doorstep.visit.scheduled.v1",
        "doorstep.visit.cancelled.v1",
    ]
    assert messages[1]["data"]["reason"] == "hold: hardship"

    # Later events of the held case (new arrears) plan nothing.
    held = {"holds": ("hardship",), "collection_paused": True}
    await deliver(handle, updated(case_id, days_past_due=40, sequence=3, **held))
    assert [v.status for v in await visits_of(scheduler_db, case_id)] == ["cancelled"]
    async with scheduler_db.sessionmaker() as session:
        view = await session.get(CaseView, case_id)
    assert view is not None
    assert (view.collection_paused, view.holds, view.treatment) == (
        True, ["hardship"], "field_visit"
    )  # fmt: skip


async def test_once_the_hold_is_lifted_the_case_gets_a_new_visit(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, hold_placed(case_id, 35, sequence=2))
    await deliver(handle, hold_lifted(case_id, 35, sequence=3))

    cancelled, replanned = await visits_of(scheduler_db, case_id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "hold: dispute")
    assert replanned.status == "scheduled"
    # The freed slot is the first free one again.
    assert (replanned.collector_id, replanned.window_start) == (teams["Team A"], MONDAY_9)
    assert [m["event_type"] for m in await outbox(scheduler_db)] == [
        "doorstep.visit.scheduled.v1",
        "doorstep.visit.cancelled.v1",
        "doorstep.visit.scheduled.v1",
    ]


async def test_an_active_arrangement_pauses_visits_too(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, arrangement_changed(case_id, 35, sequence=2, status="active"))
    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.status, visit.cancel_reason) == ("cancelled", "collection paused")


async def test_a_case_moved_to_legal_review_loses_its_visit(
    scheduler_db: SchedulerDb, teams: dict[str, uuid.UUID]
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=80))
    await deliver(handle, stage_changed(case_id, 95, sequence=2, previous_stage="field"))

    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.status, visit.cancel_reason) == ("cancelled", "case moved to legal review")
    assert [m["event_type"] for m in await outbox(scheduler_db)][-1] == (
        "doorstep.visit.cancelled.v1"
    )
    # Returned from legal review to the field stage: visited again.
    back = stage_changed(case_id, 96, sequence=3, previous_stage="legal", stage="field")
    await deliver(handle, back)
    assert [v.status for v in await visits_of(scheduler_db, case_id)] == ["cancelled", "scheduled"]
