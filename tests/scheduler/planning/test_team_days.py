"""Team-days: who is there, their common hours, and which team-days cannot work."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time

from doorstep_scheduler.planning.problem import CollectorProfile, GeoPoint, TeamProfile
from doorstep_scheduler.planning.team_days import (
    INACTIVE,
    NO_COMMON_HOURS,
    PUBLIC_HOLIDAY,
    TEAM_BELOW_MINIMUM,
    build_team_days,
)

MONDAY = date(2026, 11, 9)
TUESDAY = date(2026, 11, 10)
TEAM = TeamProfile(
    team_id=uuid.UUID(int=1),
    name="Pudong 1",
    region="east",
    base=GeoPoint(31.23, 121.47),
    max_visits_per_day=8,
    holiday_country="CN",
)


def collector(n: int, **changes: object) -> CollectorProfile:
    member = CollectorProfile(
        collector_id=uuid.UUID(int=100 + n),
        team_id=TEAM.team_id,
        timezone="Asia/Shanghai",
        work_start=time(9),
        work_end=time(18),
        working_weekdays=frozenset(range(5)),
        days_off=frozenset(),
        languages=frozenset({"zh"}),
        skills=frozenset(),
        max_visits_per_day=10,
    )
    return replace(member, **changes)  # type: ignore[arg-type]


def test_a_team_day_is_its_available_members_together() -> None:
    members = [
        collector(1, work_start=time(8), languages=frozenset({"zh", "en"}), max_visits_per_day=6),
        collector(2, work_end=time(17), skills=frozenset({"legal"})),
    ]
    team_days, excluded = build_team_days([TEAM], members, [MONDAY], min_team_size=2)

    assert excluded == []
    (team_day,) = team_days
    assert team_day.key == (TEAM.team_id, MONDAY)
    # 09:00–17:00 Shanghai: the later start, the earlier end
    assert team_day.shift.start == datetime(2026, 11, 9, 1, tzinfo=UTC)
    assert team_day.shift.end == datetime(2026, 11, 9, 9, tzinfo=UTC)
    assert team_day.size == 2
    assert team_day.capacity == 6
    assert team_day.languages == {"zh", "en"}
    assert team_day.skills == {"legal"}
    assert (team_day.base, team_day.region) == (TEAM.base, "east")


def test_an_absent_member_shrinks_the_team_below_the_chinese_minimum() -> None:
    members = [collector(1), collector(2, days_off=frozenset({TUESDAY}))]
    team_days, excluded = build_team_days([TEAM], members, [MONDAY, TUESDAY], min_team_size=2)

    assert [t.day for t in team_days] == [MONDAY]
    assert [(e.day, e.reason_code) for e in excluded] == [(TUESDAY, TEAM_BELOW_MINIMUM)]
    # the same absence leaves a working team-day where one collector may visit alone
    alone, _ = build_team_days([TEAM], members, [TUESDAY], min_team_size=1)
    assert [t.size for t in alone] == [1]


def test_inactive_members_and_days_off_the_weekday_do_not_count() -> None:
    members = [
        collector(1),
        collector(2, active=False),
        collector(3, working_weekdays=frozenset({1, 2, 3})),
    ]
    team_days, _ = build_team_days([TEAM], members, [MONDAY], min_team_size=1)
    assert [t.size for t in team_days] == [1]


def test_no_team_day_on_the_teams_public_holidays() -> None:
    national_day = date(2026, 10, 1)
    team_days, excluded = build_team_days(
        [TEAM], [collector(1), collector(2)], [national_day], min_team_size=2
    )
    assert team_days == []
    assert [e.reason_code for e in excluded] == [PUBLIC_HOLIDAY]


def test_members_in_different_zones_share_only_their_common_hours() -> None:
    members = [collector(1), collector(2, timezone="Asia/Tokyo", work_end=time(11))]
    team_days, _ = build_team_days([TEAM], members, [MONDAY], min_team_size=2)
    # Tokyo 11:00 is Shanghai 10:00
    assert team_days[0].shift.end == datetime(2026, 11, 9, 2, tzinfo=UTC)

    apart = [collector(1), collector(2, timezone="Asia/Tokyo", work_end=time(10))]
    team_days, excluded = build_team_days([TEAM], apart, [MONDAY], min_team_size=2)
    assert team_days == []
    assert [e.reason_code for e in excluded] == [NO_COMMON_HOURS]


def test_an_inactive_team_has_no_team_day() -> None:
    team_days, excluded = build_team_days(
        [replace(TEAM, active=False)], [collector(1)], [MONDAY], min_team_size=1
    )
    assert team_days == []
    assert [e.reason_code for e in excluded] == [INACTIVE]
