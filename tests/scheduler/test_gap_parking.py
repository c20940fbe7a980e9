"""Per-case order in the scheduler: a stale case event is dropped, one that skips ahead is parked
until the missing one arrives (or gap_wait_seconds pass), never applied out of order. Through
the real inbox-guarded handler and the real gap worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.cli import MIGRATIONS
from doorstep_scheduler.db import parking_table
from doorstep_scheduler.visits.handlers import case_event_order
from doorstep_shared.db.migrations import downgrade
from doorstep_shared.events.contracts import parse_data
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.case_order import GapWorker
from doorstep_shared.messaging.consumer import Handler
from tests.scheduler.case_events import hold_placed, opened, resolved, stage_changed, updated
from tests.scheduler.conftest import SchedulerDb
from tests.scheduler.planning_support import NOW, Clock, case_handler, settings_for, visits_of
from tests.support.infra import wait_until

GAP_WAIT = 300.0


async def deliver(handle: Handler, sent: EventEnvelope) -> bool:
    """Hand ``sent`` to the handler as the consumer would: through the Kafka wire format."""
    wire = EventEnvelope.from_kafka(sent.kafka_headers(), sent.kafka_value())
    data = parse_data(wire)
    assert data is not None
    return await handle(wire, data)


def handler(db: SchedulerDb) -> Handler:
    return case_handler(db, settings_for(db, gap_wait_seconds=GAP_WAIT), Clock())


def gap_worker(db: SchedulerDb, waited: float, poll_seconds: float = 5.0) -> GapWorker:
    """The gap worker ``waited`` seconds after the events were parked (at NOW)."""
    settings = settings_for(db, gap_wait_seconds=GAP_WAIT)
    return GapWorker(
        db.sessionmaker,
        case_event_order(settings),
        settings.gap_wait_seconds,
        clock=Clock(NOW + timedelta(seconds=waited)),
        poll_seconds=poll_seconds,
    )


async def view_sequence(db: SchedulerDb, case_id: uuid.UUID) -> int | None:
    async with db.sessionmaker() as session:
        view = await session.get(CaseView, case_id)
        return None if view is None else view.last_sequence


async def parked(db: SchedulerDb) -> list[tuple[str, int]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(parking_table.c.subject, parking_table.c.sequence).order_by(
                parking_table.c.subject, parking_table.c.sequence
            )
        )
        return [(row.subject, row.sequence) for row in rows]


async def test_an_event_ahead_of_a_missing_one_waits_then_follows_it_in_order(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=20))  # contact stage: no visit
    hold = hold_placed(case_id, 35, sequence=3, hold_type="hardship")

    assert await deliver(handle, hold)  # recorded as processed: the consumer moves on
    assert await view_sequence(scheduler_db, case_id) == 1
    assert await parked(scheduler_db) == [(str(case_id), 3)]

    field = stage_changed(case_id, 35, 2)
    await deliver(handle, field)

    assert await view_sequence(scheduler_db, case_id) == 3
    # 2 asked for a visit, then 3 cancelled it: in the other order there would be none.
    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.trigger_event_id, visit.status) == (field.id, "cancelled")
    assert "hardship" in str(visit.cancel_reason)
    assert await parked(scheduler_db) == []


async def test_a_parked_event_causes_no_visit_request_until_it_is_applied(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=20))
    field = stage_changed(case_id, 35, 3)
    await deliver(handle, field)
    assert await visits_of(scheduler_db, case_id) == []

    assert await deliver(handle, field) is False  # the same event id: the inbox
    await deliver(handle, stage_changed(case_id, 35, 3))  # the same state, a new event id
    assert await parked(scheduler_db) == [(str(case_id), 3)]

    await deliver(handle, updated(case_id, 25, sequence=2))
    assert await view_sequence(scheduler_db, case_id) == 3
    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.trigger_event_id, visit.status) == (field.id, "unassigned")
    assert await parked(scheduler_db) == []


async def test_a_stale_event_is_dropped(scheduler_db: SchedulerDb) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, resolved(case_id, sequence=2))
    assert await deliver(handle, updated(case_id, 40, sequence=2))  # a replay, a new id

    assert await view_sequence(scheduler_db, case_id) == 2
    assert [v.status for v in await visits_of(scheduler_db, case_id)] == ["cancelled"]
    assert await parked(scheduler_db) == []


async def test_a_gap_never_filled_is_given_up_after_the_wait(
    scheduler_db: SchedulerDb, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=20))
    field = stage_changed(case_id, 35, 3)
    await deliver(handle, field)
    await deliver(handle, updated(case_id, 36, sequence=4))

    assert await gap_worker(scheduler_db, waited=GAP_WAIT - 1).release_overdue() == 0
    assert await view_sequence(scheduler_db, case_id) == 1
    assert await visits_of(scheduler_db, case_id) == []

    with caplog.at_level(logging.WARNING, logger="doorstep_shared.messaging.case_order"):
        assert await gap_worker(scheduler_db, waited=GAP_WAIT + 1).release_overdue() == 2

    assert await view_sequence(scheduler_db, case_id) == 4
    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.trigger_event_id, visit.status) == (field.id, "unassigned")
    assert await parked(scheduler_db) == []
    [warning] = [
        r for r in caplog.records if r.getMessage() == "gave up waiting for missing case events"
    ]
    assert (warning.__dict__["case_id"], warning.__dict__["sequence"]) == (str(case_id), 3)
    assert (warning.__dict__["missing_from"], warning.__dict__["missing_to"]) == (2, 2)

    # The missing event turns up after all: it is stale now.
    await deliver(handle, hold_placed(case_id, 35, sequence=2))
    assert await view_sequence(scheduler_db, case_id) == 4
    assert [v.status for v in await visits_of(scheduler_db, case_id)] == ["unassigned"]


async def test_the_gap_worker_runs_until_asked_to_stop(scheduler_db: SchedulerDb) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=20))
    await deliver(handle, stage_changed(case_id, 35, 3))
    worker = gap_worker(scheduler_db, waited=GAP_WAIT + 1, poll_seconds=0.05)
    task = asyncio.create_task(worker.run())

    async def moved_on() -> bool:
        return await view_sequence(scheduler_db, case_id) == 3

    await wait_until(moved_on, timeout=20, message="the gap worker to release case 3")
    worker.request_stop()
    await asyncio.wait_for(task, timeout=20)
    assert task.exception() is None


async def test_the_migrations_add_and_remove_the_parking_table(scheduler_db: SchedulerDb) -> None:
    async def tables() -> set[str]:
        async with scheduler_db.engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))

    assert "parked_event" in await tables()
    await scheduler_db.engine.dispose()
    await asyncio.to_thread(downgrade, MIGRATIONS, scheduler_db.url)
    assert "parked_event" not in await tables()
