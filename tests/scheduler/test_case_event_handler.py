"""Case events → visit requests and cancellations, through the real inbox guard, on SQLite and
PostgreSQL. (Planning the requests is tests/scheduler/test_planning_runs.py.)"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.db import inbox_table
from doorstep_scheduler.visits.handlers import HANDLED_CASE_TYPES
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.messaging.consumer import Handler
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
from tests.scheduler.planning_support import (
    NOW,
    Clock,
    add_team,
    case_handler,
    outbox,
    settings_for,
    visits_of,
)


def handler(db: SchedulerDb) -> Handler:
    return case_handler(db, settings_for(db), Clock())


async def schedule(db: SchedulerDb, visit_id: uuid.UUID) -> None:
    """As a planning run would have: the visit has a team and an announced window."""
    team_id, _ = await add_team(db, f"Team {uuid.uuid4().hex[:6]}")
    async with db.sessionmaker() as session, session.begin():
        visit = await session.get(Visit, visit_id)
        assert visit is not None
        visit.status = "scheduled"
        visit.team_id = team_id
        visit.window_start = NOW + timedelta(days=2)
        visit.window_end = NOW + timedelta(days=2, hours=2)
        visit.notice_status = "pending"


async def test_a_case_in_the_field_stage_gets_one_visit_request(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    event = opened(case_id, days_past_due=35)
    await deliver(handler(scheduler_db), event)

    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.status, visit.attempt, visit.trigger_event_id) == ("unassigned", 1, event.id)
    assert visit.unassigned_code == "awaiting_plan"
    assert await outbox(scheduler_db) == []  # nothing is announced before it is planned
    async with scheduler_db.sessionmaker() as session:
        view = await session.get(CaseView, case_id)
    assert view is not None
    assert (view.stage, view.total_due, view.currency) == ("field", Decimal(1200), "CNY")


async def test_a_redelivered_event_has_no_second_effect(scheduler_db: SchedulerDb) -> None:
    case_id = uuid.uuid4()
    event = opened(case_id, days_past_due=35)
    handle = handler(scheduler_db)
    await deliver(handle, event)
    await deliver(handle, event)

    assert len(await visits_of(scheduler_db, case_id)) == 1
    async with scheduler_db.engine.connect() as conn:
        claimed = await conn.scalar(select(func.count()).select_from(inbox_table))
    assert claimed == 1


async def test_the_stage_not_the_days_past_due_calls_for_a_visit(
    scheduler_db: SchedulerDb,
) -> None:
    # 45 days past due, but the ladder still waits for the overdue notice: no visit yet.
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=45, stage="reminder"))
    await deliver(handle, stage_changed(case_id, 45, 2, previous_stage="reminder", stage="contact"))
    assert await visits_of(scheduler_db, case_id) == []
    await deliver(handle, stage_changed(case_id, 52, 3, previous_stage="contact", stage="field"))
    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "unassigned"


async def test_further_events_keep_the_single_request(scheduler_db: SchedulerDb) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, updated(case_id, days_past_due=36, sequence=2))
    await deliver(handle, updated(case_id, days_past_due=60, sequence=3))
    assert len(await visits_of(scheduler_db, case_id)) == 1


async def test_resolution_cancels_a_planned_visit_and_announces_it(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    [visit] = await visits_of(scheduler_db, case_id)
    await schedule(scheduler_db, visit.id)

    await deliver(handle, resolved(case_id, sequence=2))

    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "cancelled"
    assert "resolved" in str(visit.cancel_reason)
    [message] = await outbox(scheduler_db, "doorstep.visit.cancelled.v1")
    assert message["data"]["visit_id"] == str(visit.id)


async def test_resolving_an_unplanned_request_cancels_it_without_an_event(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, resolved(case_id, sequence=2))
    [visit] = await visits_of(scheduler_db, case_id)
    assert visit.status == "cancelled"
    assert await outbox(scheduler_db) == []


async def test_stale_events_after_resolution_change_nothing(scheduler_db: SchedulerDb) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, resolved(case_id, sequence=3))
    await deliver(handle, updated(case_id, days_past_due=40, sequence=2))  # late, older
    assert [v.status for v in await visits_of(scheduler_db, case_id)] == ["cancelled"]


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


async def test_a_hold_cancels_the_visit_at_once_and_a_lifted_hold_asks_again(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    [first] = await visits_of(scheduler_db, case_id)
    await schedule(scheduler_db, first.id)

    await deliver(handle, hold_placed(case_id, 35, sequence=2, hold_type="hardship"))
    [first] = await visits_of(scheduler_db, case_id)
    assert first.status == "cancelled"
    assert "hardship" in str(first.cancel_reason)
    assert len(await outbox(scheduler_db, "doorstep.visit.cancelled.v1")) == 1
    await deliver(handle, updated(case_id, 36, sequence=3, holds=("hardship",)))
    assert len(await visits_of(scheduler_db, case_id)) == 1  # none while the hold lasts

    await deliver(handle, hold_lifted(case_id, 37, sequence=4, hold_type="hardship"))
    statuses = sorted(v.status for v in await visits_of(scheduler_db, case_id))
    assert statuses == ["cancelled", "unassigned"]


async def test_an_active_arrangement_pauses_visits_too(scheduler_db: SchedulerDb) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, arrangement_changed(case_id, 35, sequence=2, status="active"))
    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.status, visit.cancel_reason) == ("cancelled", "collection paused")


async def test_a_case_moved_to_legal_review_loses_its_visit(scheduler_db: SchedulerDb) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    await deliver(handle, stage_changed(case_id, 95, 2, previous_stage="field"))
    [visit] = await visits_of(scheduler_db, case_id)
    assert (visit.status, visit.cancel_reason) == ("cancelled", "case moved to legal review")


async def test_no_new_visit_once_every_attempt_of_the_stage_found_nobody_home(
    scheduler_db: SchedulerDb,
) -> None:
    case_id = uuid.uuid4()
    handle = handler(scheduler_db)
    await deliver(handle, opened(case_id, days_past_due=35))
    async with scheduler_db.sessionmaker() as session, session.begin():
        view = await session.get(CaseView, case_id)
        assert view is not None
        view.visits_exhausted_stage = "field"
        (visit,) = (await session.execute(select(Visit))).scalars().all()
        visit.status = "completed"
    await deliver(handle, updated(case_id, 40, sequence=2))
    assert [v.status for v in await visits_of(scheduler_db, case_id)] == ["completed"]
