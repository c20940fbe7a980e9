"""The simple slot rule, with a fixed "now" (no database)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from doorstep_scheduler.planning import build_planner
from doorstep_scheduler.planning.first_free_slot import FirstFreeSlotPlanner
from doorstep_scheduler.planning.model import (
    Assignment,
    Booking,
    Calendar,
    CollectorCapacity,
    TimeWindow,
    Unassigned,
    VisitRequest,
)
from doorstep_scheduler.planning.working_hours import WorkingHours
from doorstep_scheduler.settings import SchedulerSettings

FRIDAY_AFTERNOON = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
MONDAY = date(2026, 12, 7)
ALPHA = CollectorCapacity(uuid.UUID(int=1), "Alpha", max_visits_per_day=6)
BRAVO = CollectorCapacity(uuid.UUID(int=2), "Bravo", max_visits_per_day=6)


def planner(
    zone: str = "UTC", slot_minutes: int = 60, horizon_days: int = 14
) -> FirstFreeSlotPlanner:
    return FirstFreeSlotPlanner(
        WorkingHours(
            timezone=ZoneInfo(zone),
            day_start=time(9, 0),
            day_end=time(17, 0),
            slot=timedelta(minutes=slot_minutes),
            horizon_days=horizon_days,
        )
    )


def request(now: datetime = FRIDAY_AFTERNOON) -> VisitRequest:
    return VisitRequest(case_id=uuid.uuid4(), days_past_due=35, requested_at=now)


def at(day: date, hour: int, minute: int = 0, zone: str = "UTC") -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def booked(collector: CollectorCapacity, start: datetime, minutes: int = 60) -> Booking:
    return Booking(collector.collector_id, TimeWindow(start, start + timedelta(minutes=minutes)))


def assigned(result: Assignment | Unassigned) -> Assignment:
    assert isinstance(result, Assignment), result
    return result


def test_friday_request_skips_the_weekend_to_monday_morning() -> None:
    result = assigned(planner().plan_slot(request(), Calendar((ALPHA,), ())))
    assert result.collector_id == ALPHA.collector_id
    assert result.window == TimeWindow(at(MONDAY, 9), at(MONDAY, 10))


def test_never_the_same_day_even_early_in_the_morning() -> None:
    tuesday_dawn = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
    result = assigned(planner().plan_slot(request(tuesday_dawn), Calendar((ALPHA,), ())))
    assert result.window.start == at(date(2026, 12, 9), 9)


def test_days_and_hours_are_read_in_the_planning_timezone() -> None:
    # Friday 20:00 UTC is already Saturday 04:00 in Shanghai: the next working day is Monday,
    # and 09:00 there is 01:00 UTC.
    friday_evening_utc = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    result = assigned(
        planner("Asia/Shanghai").plan_slot(request(friday_evening_utc), Calendar((ALPHA,), ()))
    )
    assert result.window.start == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    # In New York the same instant is still Friday 15:00, so Monday 09:00 local is 14:00 UTC.
    result = assigned(
        planner("America/New_York").plan_slot(request(friday_evening_utc), Calendar((ALPHA,), ()))
    )
    assert result.window.start == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def test_first_collector_by_name_gets_the_earliest_slot() -> None:
    # Given out of order on purpose: the rule orders by name.
    result = assigned(planner().plan_slot(request(), Calendar((BRAVO, ALPHA), ())))
    assert result.collector_id == ALPHA.collector_id


def test_a_busy_first_collector_passes_the_slot_to_the_next() -> None:
    calendar = Calendar((ALPHA, BRAVO), (booked(ALPHA, at(MONDAY, 9)),))
    result = assigned(planner().plan_slot(request(), calendar))
    assert (result.collector_id, result.window.start) == (BRAVO.collector_id, at(MONDAY, 9))


def test_when_every_collector_is_busy_the_next_slot_is_taken() -> None:
    calendar = Calendar(
        (ALPHA, BRAVO), (booked(ALPHA, at(MONDAY, 9)), booked(BRAVO, at(MONDAY, 9)))
    )
    result = assigned(planner().plan_slot(request(), calendar))
    assert (result.collector_id, result.window.start) == (ALPHA.collector_id, at(MONDAY, 10))


def test_a_partly_overlapping_booking_blocks_the_slot() -> None:
    calendar = Calendar((ALPHA,), (booked(ALPHA, at(MONDAY, 9, 30), minutes=30),))
    result = assigned(planner().plan_slot(request(), calendar))
    assert result.window.start == at(MONDAY, 10)


def test_daily_capacity_moves_the_visit_to_the_next_collector_or_day() -> None:
    one_a_day = CollectorCapacity(uuid.UUID(int=3), "Alpha", max_visits_per_day=1)
    afternoon = booked(one_a_day, at(MONDAY, 15))
    result = assigned(planner().plan_slot(request(), Calendar((one_a_day,), (afternoon,))))
    assert result.window.start == at(date(2026, 12, 8), 9)  # Tuesday: Monday is full
    result = assigned(planner().plan_slot(request(), Calendar((one_a_day, BRAVO), (afternoon,))))
    assert (result.collector_id, result.window.start) == (BRAVO.collector_id, at(MONDAY, 9))


def test_repeated_planning_fills_only_working_hours_on_working_days() -> None:
    # 90-minute slots in 09:00–17:00: 09:00, 10:30, 12:00, 13:30, 15:00 (16:30 would end late).
    rule = planner("Europe/London", slot_minutes=90)
    collector = CollectorCapacity(uuid.UUID(int=4), "Solo", max_visits_per_day=99)
    bookings: list[Booking] = []
    for _ in range(12):
        result = assigned(rule.plan_slot(request(), Calendar((collector,), tuple(bookings))))
        bookings.append(Booking(collector.collector_id, result.window))
    zone = ZoneInfo("Europe/London")
    local = [(b.window.start.astimezone(zone), b.window.end.astimezone(zone)) for b in bookings]
    assert all(start.weekday() < 5 for start, _ in local)
    assert all(start.time() >= time(9) and end.time() <= time(17) for start, end in local)
    per_day = Counter(start.date() for start, _ in local)
    assert per_day == {MONDAY: 5, date(2026, 12, 8): 5, date(2026, 12, 9): 2}
    assert [start.strftime("%H:%M") for start, _ in local[:5]] == [
        "09:00", "10:30", "12:00", "13:30", "15:00",
    ]  # fmt: skip


def test_exhausted_horizon_leaves_the_visit_unassigned_with_a_reason() -> None:
    # Friday + 3 days reaches Monday only; Monday is fully booked.
    one_a_day = CollectorCapacity(uuid.UUID(int=5), "Alpha", max_visits_per_day=1)
    calendar = Calendar((one_a_day,), (booked(one_a_day, at(MONDAY, 12)),))
    result = planner(horizon_days=3).plan_slot(request(), calendar)
    assert isinstance(result, Unassigned)
    assert "3 days" in result.reason
    # One more day of horizon finds Tuesday.
    assert isinstance(planner(horizon_days=4).plan_slot(request(), calendar), Assignment)


def test_no_active_collector_is_unassigned_with_a_reason() -> None:
    result = planner().plan_slot(request(), Calendar((), ()))
    assert result == Unassigned("no active collector")


def test_search_window_covers_the_days_the_rule_may_use() -> None:
    window = planner("Asia/Shanghai", horizon_days=14).search_window(request())
    # Friday 15:00 UTC is Friday 23:00 in Shanghai: from Saturday 00:00 local for 14 days.
    assert window.start == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert window.end == window.start + timedelta(days=14)


def test_planner_is_built_from_settings() -> None:
    settings = SchedulerSettings(
        planning_timezone="Asia/Tokyo",
        working_day_start=time(10, 0),
        working_day_end=time(12, 0),
        visit_slot_minutes=120,
    )
    result = assigned(build_planner(settings).plan_slot(request(), Calendar((ALPHA,), ())))
    assert result.window == TimeWindow(
        at(MONDAY, 10, zone="Asia/Tokyo"), at(MONDAY, 12, zone="Asia/Tokyo")
    )


def test_settings_read_the_scheduler_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULER_PLANNING_TIMEZONE", "Europe/Paris")
    monkeypatch.setenv("SCHEDULER_WORKING_DAY_START", "08:30")
    monkeypatch.setenv("SCHEDULER_VISIT_SLOT_MINUTES", "45")
    settings = SchedulerSettings()
    assert settings.planning_timezone == "Europe/Paris"
    assert settings.working_day_start == time(8, 30)
    assert settings.visit_slot_minutes == 45


@pytest.mark.parametrize(
    "changes",
    [
        {"planning_timezone": "Mars/Olympus"},
        {"working_day_start": time(17, 0), "working_day_end": time(9, 0)},
        {"working_day_start": time(9, 0), "working_day_end": time(9, 30)},  # slot is 60 min
        {"planning_horizon_days": 0},
    ],
)
def test_invalid_planning_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        SchedulerSettings(**changes)  # type: ignore[arg-type]


def test_every_setting_is_documented() -> None:
    undocumented = [
        name for name, field in SchedulerSettings.model_fields.items() if not field.description
    ]
    assert undocumented == []
