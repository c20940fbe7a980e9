"""Planning runs end to end inside the scheduler: case events request visits, the real solver
plans them, the answer is stored and announced — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from doorstep_scheduler.planning.solver import PyVrpPlanner
from doorstep_scheduler.planning.travel import HaversineTravel
from doorstep_scheduler.plans.service import PlanningService
from doorstep_scheduler.visits.field_exceptions import VisitStateConflictError
from doorstep_scheduler.visits.models import Visit, VisitPlan
from doorstep_scheduler.visits.service import VisitReplanService
from doorstep_shared.contact_rules import Channel, ContactAttempt, decide, pack_for
from doorstep_shared.events.contracts import VisitNoticeFailed, VisitNoticeSent, to_envelope
from tests.scheduler.case_events import deliver, opened, resolved
from tests.scheduler.conftest import SchedulerDb
from tests.scheduler.planning_support import (
    NOW,
    Clock,
    VisitDataBook,
    active_visit,
    add_team,
    case_handler,
    mark_absent,
    notice_handler,
    outbox,
    settings_for,
    visits_of,
    worker,
)

LONDON = ZoneInfo("Europe/London")


async def request(db: SchedulerDb, clock: Clock, book: VisitDataBook, **terms: object) -> uuid.UUID:
    case_id = uuid.uuid4()
    book.add(case_id, **terms)  # type: ignore[arg-type]
    await deliver(case_handler(db, settings_for(db), clock), opened(case_id, days_past_due=45))
    return case_id


async def test_a_requested_visit_is_planned_lawfully_and_announced(
    scheduler_db: SchedulerDb,
) -> None:
    clock, book = Clock(), VisitDataBook()
    team_id, _ = await add_team(scheduler_db, "North")
    case_id = await request(scheduler_db, clock, book)
    waiting = await active_visit(scheduler_db, case_id)
    assert (waiting.status, waiting.unassigned_code) == ("unassigned", "awaiting_plan")

    plan = await worker(scheduler_db, settings_for(scheduler_db), book, clock).run_once("test")

    assert plan is not None
    assert plan.planned == 1
    assert plan.unplanned == 0
    visit = await active_visit(scheduler_db, case_id)
    assert visit.status == "scheduled"
    assert visit.team_id == team_id
    assert visit.window_start is not None
    assert visit.window_end is not None
    # Not before the UK pack's 48-hour notice period, inside the pack's visit hours locally.
    assert visit.window_start >= NOW + timedelta(hours=48)
    pack = pack_for("UK")
    for moment in (visit.window_start, visit.window_end - timedelta(minutes=1)):
        decision = decide(
            pack,
            ContactAttempt(channel=Channel.VISIT, now=moment, timezone="Europe/London"),
        )
        assert decision.outcome == "allowed", (moment.astimezone(LONDON), decision)
    assert visit.service_start is not None
    arrival = visit.service_start.astimezone(LONDON)
    assert arrival.date() == visit.plan_day
    assert arrival.hour >= 9
    assert visit.window_start <= visit.service_start < visit.window_end
    announced = await outbox(scheduler_db, "doorstep.visit.scheduled.v1")
    assert len(announced) == 1
    assert announced[0]["data"]["visit_id"] == str(visit.id)
    assert announced[0]["data"]["collector_id"] == str(team_id)
    assert visit.notice_event_id == announced[0]["id"]
    assert "Alex" not in str(announced[0]["data"])  # no personal data on the topic


async def test_a_visit_nobody_can_make_says_why(scheduler_db: SchedulerDb) -> None:
    clock, book = Clock(), VisitDataBook()
    await add_team(scheduler_db, "English only")
    polish = await request(scheduler_db, clock, book, language="pl")
    at_work = await request(scheduler_db, clock, book, address_kind="workplace")
    agreed = await request(scheduler_db, clock, book, address_kind="workplace", consent=True)

    plan = await worker(scheduler_db, settings_for(scheduler_db), book, clock).run_once("test")

    assert plan is not None
    assert plan.unplanned_by_reason == {"no_language": 1, "consent_required": 1}
    assert (await active_visit(scheduler_db, polish)).unassigned_code == "no_language"
    refused = await active_visit(scheduler_db, at_work)
    assert refused.unassigned_code == "consent_required"
    assert "workplace" in str(refused.unassigned_reason)
    assert (await active_visit(scheduler_db, agreed)).status == "scheduled"


async def test_the_cn_pack_sends_no_team_smaller_than_two(scheduler_db: SchedulerDb) -> None:
    clock, book = Clock(), VisitDataBook()
    shanghai = (31.2304, 121.4737)
    await add_team(
        scheduler_db,
        "Solo",
        members=1,
        languages=("zh-CN",),
        base=shanghai,
        timezone="Asia/Shanghai",
        holiday_country="CN",
    )
    case_id = await request(
        scheduler_db, clock, book, at=shanghai, timezone="Asia/Shanghai", language="zh-CN"
    )
    settings = settings_for(scheduler_db, contact_rule_pack="CN")

    await worker(scheduler_db, settings, book, clock).run_once("test")
    assert (await active_visit(scheduler_db, case_id)).status == "unassigned"

    pair, _ = await add_team(
        scheduler_db,
        "Pair",
        members=2,
        languages=("zh-CN",),
        base=shanghai,
        timezone="Asia/Shanghai",
        holiday_country="CN",
    )
    await worker(scheduler_db, settings, book, clock).run_once("test")
    visit = await active_visit(scheduler_db, case_id)
    assert (visit.status, visit.team_id) == ("scheduled", pair)


async def test_no_visit_is_planned_on_a_public_holiday(scheduler_db: SchedulerDb) -> None:
    # Wednesday before Christmas: Friday 25 and Monday 28 (Boxing Day substitute) are holidays.
    clock, book = Clock(datetime(2026, 12, 21, 8, 0, tzinfo=UTC)), VisitDataBook()
    await add_team(scheduler_db, "North", max_visits_per_day=1)
    cases = [await request(scheduler_db, clock, book) for _ in range(5)]
    settings = settings_for(scheduler_db, planning_days=6)

    await worker(scheduler_db, settings, book, clock).run_once("test")

    days = [(await active_visit(scheduler_db, c)).plan_day for c in cases]
    planned = [d for d in days if d is not None]
    assert planned, days
    assert date(2026, 12, 25) not in planned
    assert date(2026, 12, 28) not in planned
    assert len(set(planned)) == len(planned)  # one a day: the team's capacity


async def test_replanning_keeps_appointments_already_given(scheduler_db: SchedulerDb) -> None:
    clock, book = Clock(), VisitDataBook()
    await add_team(scheduler_db, "North", max_visits_per_day=3)
    first = [
        await request(scheduler_db, clock, book, at=(51.50 + i / 100, -0.12)) for i in range(4)
    ]
    await worker(scheduler_db, settings_for(scheduler_db), book, clock).run_once("test")
    before = {c: await active_visit(scheduler_db, c) for c in first}

    # One case cures (its visit is cancelled), an urgent new one arrives, time moves on.
    cured = first[0]
    await deliver(
        case_handler(scheduler_db, settings_for(scheduler_db), clock),
        resolved(cured, sequence=2),
    )
    urgent = await request(scheduler_db, clock, book, at=(51.55, -0.10))
    clock.now += timedelta(hours=1)
    plan = await worker(scheduler_db, settings_for(scheduler_db), book, clock).run_once("test")

    assert plan is not None
    assert plan.kept == 3
    assert plan.planned == 1
    assert plan.moved == 0
    for case_id in first[1:]:
        now = await active_visit(scheduler_db, case_id)
        was = before[case_id]
        assert (now.team_id, now.plan_day, now.window_start, now.window_end) == (
            was.team_id,
            was.plan_day,
            was.window_start,
            was.window_end,
        )
    assert (await active_visit(scheduler_db, urgent)).status == "scheduled"
    scheduled = await outbox(scheduler_db, "doorstep.visit.scheduled.v1")
    assert len(scheduled) == 5  # four first, then only the urgent one
    assert len(await outbox(scheduler_db, "doorstep.visit.cancelled.v1")) == 1


async def test_a_collector_off_sick_moves_only_that_teams_appointment(
    scheduler_db: SchedulerDb,
) -> None:
    clock, book = Clock(), VisitDataBook()
    north, (north_member,) = await add_team(scheduler_db, "North", max_visits_per_day=1)
    case_id = await request(scheduler_db, clock, book)
    await worker(scheduler_db, settings_for(scheduler_db), book, clock).run_once("test")
    planned = await active_visit(scheduler_db, case_id)
    assert planned.team_id == north
    assert planned.plan_day is not None

    south, _ = await add_team(scheduler_db, "South", max_visits_per_day=1)
    await mark_absent(scheduler_db, north_member, planned.plan_day, planned.plan_day)
    plan = await worker(scheduler_db, settings_for(scheduler_db), book, clock).run_once("test")

    assert plan is not None
    assert plan.moved == 1
    moved = await active_visit(scheduler_db, case_id)
    assert moved.id == planned.id
    assert moved.status == "scheduled"
    assert (moved.team_id, moved.plan_day) != (north, planned.plan_day)
    assert moved.notice_status == "pending"
    announcements = await outbox(scheduler_db, "doorstep.visit.scheduled.v1")
    # The same visit announced again with its new window: the notifier sends a new notice.
    assert [a["data"]["visit_id"] for a in announcements] == [str(planned.id)] * 2
    assert moved.notice_event_id == announcements[-1]["id"]
    assert south  # a team was free to take it


async def test_a_cure_arriving_mid_plan_wins_over_the_plan(scheduler_db: SchedulerDb) -> None:
    clock, book = Clock(), VisitDataBook()
    settings = settings_for(scheduler_db)
    await add_team(scheduler_db, "North")
    case_id = await request(scheduler_db, clock, book)
    run = worker(scheduler_db, settings, book, clock)
    await run._refresh_visit_data()
    async with scheduler_db.sessionmaker() as session, session.begin():
        prepared = await PlanningService(session, settings).prepare(clock())
    planner = PyVrpPlanner(HaversineTravel(25.0), time_budget_seconds=1.0)
    result = planner.plan(prepared.problem)
    assert [s.case_id for s in result.stops] == [case_id]

    # While the solver ran, the customer paid: the case resolved and the visit was cancelled.
    await deliver(case_handler(scheduler_db, settings, clock), resolved(case_id, sequence=2))
    async with scheduler_db.sessionmaker() as session, session.begin():
        plan = await PlanningService(session, settings).apply(prepared, result, "test", clock())

    assert plan is not None
    assert plan.planned == 0
    (visit,) = await visits_of(scheduler_db, case_id)
    assert visit.status == "cancelled"
    assert visit.team_id is None
    assert await outbox(scheduler_db, "doorstep.visit.scheduled.v1") == []


async def test_a_visit_goes_ahead_only_on_a_notice_sent_in_time(scheduler_db: SchedulerDb) -> None:
    clock, book = Clock(), VisitDataBook()
    settings = settings_for(scheduler_db)
    await add_team(scheduler_db, "North", max_visits_per_day=2)
    on_time, too_late, failed = [await request(scheduler_db, clock, book) for _ in range(3)]
    await worker(scheduler_db, settings, book, clock).run_once("test")
    notices = notice_handler(scheduler_db, settings, clock)

    async def tell(case_id: uuid.UUID, sent_at: datetime | None = None, ok: bool = True) -> None:
        visit = await active_visit(scheduler_db, case_id)
        assert visit.notice_event_id is not None
        common = {
            "case_id": case_id,
            "visit_id": visit.id,
            "notification_id": uuid.uuid4(),
            "channel": "sms",
            "trigger_event_id": visit.notice_event_id,
        }
        data = (
            VisitNoticeSent(**common, sent_at=sent_at or clock.now)
            if ok
            else VisitNoticeFailed(**common, reason="no channel allowed", failed_at=clock.now)
        )
        await deliver(notices, to_envelope(data, "urn:doorstep:notifier"))

    await tell(on_time)
    late_visit = await active_visit(scheduler_db, too_late)
    assert late_visit.window_start is not None
    await tell(too_late, sent_at=late_visit.window_start - timedelta(hours=47))
    await tell(failed, ok=False)

    assert (await active_visit(scheduler_db, on_time)).notice_status == "sent"
    assert (await active_visit(scheduler_db, too_late)).notice_status == "late"
    by_status = {v.status: v for v in await visits_of(scheduler_db, failed)}
    withdrawn, waiting = by_status["cancelled"], by_status["unassigned"]
    assert withdrawn.status == "cancelled"
    assert withdrawn.notice_status == "failed"
    assert (waiting.status, waiting.unassigned_code) == ("unassigned", "notice_failed")

    clock.now = late_visit.window_start - timedelta(hours=47)  # when the late notice went
    plan = await worker(scheduler_db, settings, book, clock).run_once("test")
    assert plan is not None
    assert plan.moved == 1
    assert plan.kept == 1
    moved = await active_visit(scheduler_db, too_late)
    assert moved.id == late_visit.id
    assert moved.notice_status == "pending"
    assert moved.window_start is not None
    assert moved.window_start >= clock.now + timedelta(hours=48)
    # The failed one is left for operations, not announced again and again.
    assert (await active_visit(scheduler_db, failed)).status == "unassigned"


async def test_a_case_is_not_visited_again_within_the_minimum_gap(
    scheduler_db: SchedulerDb,
) -> None:
    clock, book = Clock(), VisitDataBook()
    await add_team(scheduler_db, "North")
    case_id = await request(scheduler_db, clock, book)
    async with scheduler_db.sessionmaker() as session, session.begin():
        # An earlier attempt found nobody home on Tuesday noon (the notice period alone would
        # allow Wednesday morning).
        session.add(
            Visit(
                id=uuid.uuid4(),
                case_id=case_id,
                trigger_event_id="earlier",
                status="completed",
                outcome="not_home",
                outcome_at=datetime(2026, 12, 8, 12, 0, tzinfo=UTC),
                created_at=NOW - timedelta(days=7),
            )
        )
    settings = settings_for(scheduler_db, min_days_between_visits=2)
    await worker(scheduler_db, settings, book, clock).run_once("test")
    planned = await active_visit(scheduler_db, case_id)
    assert planned.window_start is not None
    assert planned.window_start >= datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


async def test_the_plan_log_counts_what_each_run_did(scheduler_db: SchedulerDb) -> None:
    clock, book = Clock(), VisitDataBook()
    await add_team(scheduler_db, "North")
    await request(scheduler_db, clock, book)
    missing = uuid.uuid4()  # case-api does not know this one
    await deliver(
        case_handler(scheduler_db, settings_for(scheduler_db), clock), opened(missing, 45)
    )
    await worker(scheduler_db, settings_for(scheduler_db), book, clock).run_once("test")
    async with scheduler_db.sessionmaker() as session:
        (plan,) = (await session.execute(select(VisitPlan))).scalars().all()
    assert (plan.planned, plan.unplanned) == (1, 1)
    assert plan.unplanned_by_reason == {"visit_data_unavailable": 1}
    assert plan.solver.startswith("pyvrp")
    waiting = await active_visit(scheduler_db, missing)
    assert "case-api has no contact data" in str(waiting.unassigned_reason)


async def test_operations_put_a_waiting_visit_back_in_line_after_fixing_the_cause(
    scheduler_db: SchedulerDb,
) -> None:
    clock, book = Clock(), VisitDataBook()
    await add_team(scheduler_db, "North")
    case_id = await request(scheduler_db, clock, book, address_kind="workplace")
    run = worker(scheduler_db, settings_for(scheduler_db), book, clock)
    await run.run_once("test")
    waiting = await active_visit(scheduler_db, case_id)
    assert waiting.unassigned_code == "consent_required"

    book.add(case_id, address_kind="workplace", consent=True)  # consent recorded in case-api
    await run.run_once("test")  # terms are not re-read before they are old: still waiting
    assert (await active_visit(scheduler_db, case_id)).unassigned_code == "consent_required"

    async with scheduler_db.sessionmaker() as session, session.begin():
        await VisitReplanService(session).replan(waiting.id)
    await run.run_once("test")
    assert (await active_visit(scheduler_db, case_id)).status == "scheduled"
    async with scheduler_db.sessionmaker() as session, session.begin():
        with pytest.raises(VisitStateConflictError):
            await VisitReplanService(session).replan(waiting.id)


async def test_a_plan_computed_beside_another_replicas_is_not_applied_over_it(
    scheduler_db: SchedulerDb,
) -> None:
    clock, book = Clock(), VisitDataBook()
    settings = settings_for(scheduler_db)
    await add_team(scheduler_db, "North", max_visits_per_day=1)
    first = await request(scheduler_db, clock, book)
    run = worker(scheduler_db, settings, book, clock)
    await run._refresh_visit_data()
    planner = PyVrpPlanner(HaversineTravel(25.0), time_budget_seconds=1.0)
    # Two replicas read the same state and solve it independently.
    prepared = []
    for _ in range(2):
        async with scheduler_db.sessionmaker() as session, session.begin():
            prepared.append(await PlanningService(session, settings).prepare(clock()))
    answers = [planner.plan(p.problem) for p in prepared]
    clock.now += timedelta(seconds=5)
    async with scheduler_db.sessionmaker() as session, session.begin():
        won = await PlanningService(session, settings).apply(prepared[0], answers[0], "a", clock())
    async with scheduler_db.sessionmaker() as session, session.begin():
        lost = await PlanningService(session, settings).apply(prepared[1], answers[1], "b", clock())

    assert won is not None
    assert won.planned == 1
    assert lost is None
    assert len(await outbox(scheduler_db, "doorstep.visit.scheduled.v1")) == 1
    assert (await active_visit(scheduler_db, first)).plan_id == won.id


async def test_when_teams_are_short_the_latest_case_is_visited_first(
    scheduler_db: SchedulerDb,
) -> None:
    clock, book = Clock(), VisitDataBook()
    await add_team(scheduler_db, "North", max_visits_per_day=1)
    handle = case_handler(scheduler_db, settings_for(scheduler_db), clock)
    lighter, later = uuid.uuid4(), uuid.uuid4()
    for case_id, dpd in ((lighter, 35), (later, 85)):
        book.add(case_id)
        await deliver(handle, opened(case_id, days_past_due=dpd))
    # Monday to Wednesday; the notice period leaves only Wednesday: room for one visit.
    settings = settings_for(scheduler_db, planning_days=3)

    plan = await worker(scheduler_db, settings, book, clock).run_once("test")

    assert plan is not None
    assert plan.unplanned_by_reason == {"capacity": 1}
    assert (await active_visit(scheduler_db, later)).status == "scheduled"
    waiting = await active_visit(scheduler_db, lighter)
    assert waiting.unassigned_code == "capacity"
    assert waiting.priority < (await active_visit(scheduler_db, later)).priority


async def test_the_notice_period_runs_from_when_the_notice_can_lawfully_go(
    scheduler_db: SchedulerDb,
) -> None:
    # 03:00 in London: the notice waits for 08:00, so the visit is 48 h after that at least.
    clock, book = Clock(datetime(2026, 12, 7, 3, 0, tzinfo=UTC)), VisitDataBook()
    await add_team(scheduler_db, "North", hours=(time(7), time(21)))
    case_id = await request(scheduler_db, clock, book)
    await worker(scheduler_db, settings_for(scheduler_db), book, clock).run_once("test")
    visit = await active_visit(scheduler_db, case_id)
    assert visit.window_start is not None
    assert visit.window_start >= datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
    assert visit.window_start.minute % 15 == 0
    assert visit.window_start.second == 0


async def test_a_notice_refused_as_too_late_moves_the_visit_instead_of_dropping_it(
    scheduler_db: SchedulerDb,
) -> None:
    clock, book = Clock(), VisitDataBook()
    settings = settings_for(scheduler_db)
    await add_team(scheduler_db, "North")
    case_id = await request(scheduler_db, clock, book)
    await worker(scheduler_db, settings, book, clock).run_once("test")
    planned = await active_visit(scheduler_db, case_id)
    assert planned.window_start is not None
    assert planned.notice_event_id is not None
    refused = VisitNoticeFailed(
        case_id=case_id,
        visit_id=planned.id,
        notification_id=uuid.uuid4(),
        channel="sms",
        trigger_event_id=planned.notice_event_id,
        reason="too late for the 48 h notice period",
        failed_at=planned.window_start - timedelta(hours=40),
    )
    await deliver(
        notice_handler(scheduler_db, settings, clock), to_envelope(refused, "urn:doorstep:notifier")
    )
    assert (await active_visit(scheduler_db, case_id)).notice_status == "late"

    plan = await worker(scheduler_db, settings, book, clock).run_once("test")
    assert plan is not None
    assert plan.moved == 1
    moved = await active_visit(scheduler_db, case_id)
    assert moved.id == planned.id
    assert moved.status == "scheduled"
    assert moved.notice_status == "pending"


async def test_an_appointment_missed_by_the_team_gets_a_new_one(scheduler_db: SchedulerDb) -> None:
    clock, book = Clock(), VisitDataBook()
    await add_team(scheduler_db, "North")
    case_id = await request(scheduler_db, clock, book)
    run = worker(scheduler_db, settings_for(scheduler_db), book, clock)
    await run.run_once("test")
    planned = await active_visit(scheduler_db, case_id)
    assert planned.window_end is not None

    clock.now = planned.window_end + timedelta(hours=1)  # nobody checked in
    plan = await run.run_once("test")

    assert plan is not None
    assert plan.moved == 1
    again = await active_visit(scheduler_db, case_id)
    assert again.id == planned.id
    assert again.window_start is not None
    assert again.window_start > clock.now
    assert len(await outbox(scheduler_db, "doorstep.visit.scheduled.v1")) == 2
