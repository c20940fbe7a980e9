"""Per-case order in the notifier: a stale case event is dropped, one that skips ahead is parked
until the missing one arrives (or gap_wait_seconds pass), never applied out of order. Through
the real inbox-guarded handler and the real gap worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from doorstep_notifier.cases.models import CaseView
from doorstep_notifier.cli import MIGRATIONS
from doorstep_notifier.db import parking_table
from doorstep_notifier.notifications.handlers import CASE_ORDER
from doorstep_shared.clock import utc_now
from doorstep_shared.db.migrations import downgrade
from doorstep_shared.events.contracts import CaseState, parse_data
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.case_order import GapWorker
from doorstep_shared.messaging.consumer import Handler
from tests.notifier.conftest import NotifierDb
from tests.notifier.factories import envelope, opened, stage_changed, updated
from tests.support.infra import wait_until

GAP_WAIT = 300.0


async def deliver(handle: Handler, data: CaseState) -> tuple[EventEnvelope, bool]:
    """Hand ``data`` to the handler in a new envelope, through the Kafka wire format."""
    return await deliver_again(handle, envelope(data))


async def deliver_again(handle: Handler, sent: EventEnvelope) -> tuple[EventEnvelope, bool]:
    wire = EventEnvelope.from_kafka(sent.kafka_headers(), sent.kafka_value())
    data = parse_data(wire)
    assert data is not None
    return wire, await handle(wire, data)


async def view_sequence(db: NotifierDb, case_id: uuid.UUID) -> int | None:
    async with db.sessionmaker() as session:
        view = await session.get(CaseView, case_id)
        return None if view is None else view.last_sequence


async def parked(db: NotifierDb) -> list[tuple[str, int]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(parking_table.c.subject, parking_table.c.sequence).order_by(
                parking_table.c.subject, parking_table.c.sequence
            )
        )
        return [(row.subject, row.sequence) for row in rows]


def gap_worker(db: NotifierDb, clock: datetime) -> GapWorker:
    return GapWorker(db.sessionmaker, CASE_ORDER, GAP_WAIT, clock=lambda: clock)


def after_the_wait() -> datetime:
    return utc_now() + timedelta(seconds=GAP_WAIT + 1)


async def test_an_event_ahead_of_a_missing_one_waits_then_follows_it_in_order(
    notifier_db: NotifierDb, handle: Handler
) -> None:
    case_id = uuid.uuid4()
    first, _ = await deliver(handle, opened(case_id, stage="reminder", days_past_due=5))

    third, claimed = await deliver(
        handle, stage_changed(case_id, 3, stage="field", previous_stage="contact")
    )
    assert claimed  # recorded as processed: the consumer moves on
    assert await view_sequence(notifier_db, case_id) == 1
    assert [n.trigger_event_id for n in await notifier_db.notifications(case_id)] == [first.id]
    assert await parked(notifier_db) == [(str(case_id), 3)]

    second, _ = await deliver(
        handle,
        stage_changed(case_id, 2, stage="contact", previous_stage="reminder", days_past_due=20),
    )

    assert await view_sequence(notifier_db, case_id) == 3
    # Each stage's notice, each superseded by the next: 3 came after 2 (the notices of one
    # transaction share a creation time, so the supersession tells their order).
    notices = {n.stage: n for n in await notifier_db.notifications(case_id)}
    assert {stage: (n.trigger_event_id, n.status) for stage, n in notices.items()} == {
        "reminder": (first.id, "cancelled"),
        "contact": (second.id, "cancelled"),
        "field": (third.id, "pending"),
    }
    assert notices["contact"].status_reason == "superseded by a newer notice for this case"
    assert await parked(notifier_db) == []


async def test_a_parked_event_delivered_again_changes_nothing(
    notifier_db: NotifierDb, handle: Handler
) -> None:
    case_id = uuid.uuid4()
    await deliver(handle, opened(case_id, stage="contact", days_past_due=20))
    later = stage_changed(case_id, 3, stage="field", previous_stage="contact")
    third, _ = await deliver(handle, later)

    assert (await deliver_again(handle, third))[1] is False  # the same event id: the inbox
    await deliver(handle, later)  # the same state re-published under a new event id
    assert await parked(notifier_db) == [(str(case_id), 3)]
    assert len(await notifier_db.notifications(case_id)) == 1

    await deliver(handle, updated(case_id, 2, stage="contact", days_past_due=21))
    assert await view_sequence(notifier_db, case_id) == 3
    field_notices = [n for n in await notifier_db.notifications(case_id) if n.stage == "field"]
    assert [n.trigger_event_id for n in field_notices] == [third.id]
    assert await parked(notifier_db) == []


async def test_a_stale_event_is_dropped(notifier_db: NotifierDb, handle: Handler) -> None:
    case_id = uuid.uuid4()
    await deliver(handle, opened(case_id, stage="contact", days_past_due=20))
    await deliver(handle, stage_changed(case_id, 2, stage="field", previous_stage="contact"))
    # A replay of the opening under a new event id.
    _, claimed = await deliver(handle, opened(case_id, stage="contact", days_past_due=20))

    assert claimed
    assert await view_sequence(notifier_db, case_id) == 2
    assert [n.stage for n in await notifier_db.notifications(case_id)] == ["contact", "field"]
    assert await parked(notifier_db) == []


async def test_a_case_first_seen_mid_history_is_applied_at_once(
    notifier_db: NotifierDb, handle: Handler
) -> None:
    # The topic's retention may have removed its first events before this consumer read them.
    case_id = uuid.uuid4()
    await deliver(handle, stage_changed(case_id, 7, stage="field", previous_stage="contact"))

    assert await view_sequence(notifier_db, case_id) == 7
    assert [n.stage for n in await notifier_db.notifications(case_id)] == ["field"]


async def test_a_gap_never_filled_is_given_up_after_the_wait(
    notifier_db: NotifierDb, handle: Handler, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = uuid.uuid4()
    await deliver(handle, opened(case_id, stage="contact", days_past_due=20))
    third, _ = await deliver(
        handle, stage_changed(case_id, 3, stage="field", previous_stage="contact")
    )
    await deliver(handle, updated(case_id, 4, stage="field", days_past_due=40))
    await deliver(handle, updated(case_id, 6, stage="field", days_past_due=42))
    other_case = uuid.uuid4()
    await deliver(handle, opened(other_case, stage="contact", days_past_due=20))
    await deliver(handle, updated(other_case, 3, stage="contact", days_past_due=22))

    assert await gap_worker(notifier_db, utc_now()).release_overdue() == 0
    assert await view_sequence(notifier_db, case_id) == 1

    with caplog.at_level(logging.WARNING, logger="doorstep_shared.messaging.case_order"):
        released = await gap_worker(notifier_db, after_the_wait()).release_overdue()

    assert released == 4  # 3, 4, then 6 (it waited as long) of the one case, 3 of the other
    assert await view_sequence(notifier_db, case_id) == 6
    assert await view_sequence(notifier_db, other_case) == 3
    assert await parked(notifier_db) == []
    # The notice the stage change queued, brought up to date by 4 and then 6.
    field = [n for n in await notifier_db.notifications(case_id) if n.stage == "field"]
    assert [(n.trigger_event_id, n.status, n.days_past_due) for n in field] == [
        (third.id, "pending", 42)
    ]
    gave_up = sorted(
        (r.__dict__["case_id"], r.__dict__["missing_from"], r.__dict__["missing_to"])
        for r in caplog.records
        if r.getMessage() == "gave up waiting for missing case events"
    )
    assert gave_up == sorted([(str(case_id), 2, 2), (str(case_id), 5, 5), (str(other_case), 2, 2)])

    # The missing event turns up after all: it is stale now.
    await deliver(handle, stage_changed(case_id, 2, stage="contact", previous_stage="contact"))
    assert await view_sequence(notifier_db, case_id) == 6
    assert [n.stage for n in await notifier_db.notifications(case_id)] == ["contact", "field"]


async def test_the_gap_worker_runs_until_asked_to_stop(
    notifier_db: NotifierDb, handle: Handler
) -> None:
    case_id = uuid.uuid4()
    await deliver(handle, opened(case_id, stage="contact", days_past_due=20))
    await deliver(handle, stage_changed(case_id, 3, stage="field", previous_stage="contact"))
    worker = GapWorker(
        notifier_db.sessionmaker,
        CASE_ORDER,
        GAP_WAIT,
        clock=after_the_wait,
        poll_seconds=0.05,
    )
    task = asyncio.create_task(worker.run())

    async def moved_on() -> bool:
        return await view_sequence(notifier_db, case_id) == 3

    await wait_until(moved_on, timeout=20, message="the gap worker to release case 3")
    worker.request_stop()
    await asyncio.wait_for(task, timeout=20)
    assert task.exception() is None


async def test_the_migrations_add_and_remove_the_parking_table(notifier_db: NotifierDb) -> None:
    async def tables() -> set[str]:
        async with notifier_db.engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))

    assert "parked_event" in await tables()
    async with notifier_db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(parking_table)) == 0
    await notifier_db.engine.dispose()
    await asyncio.to_thread(downgrade, MIGRATIONS, notifier_db.url)
    assert "parked_event" not in await tables()
