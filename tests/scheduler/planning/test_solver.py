"""The PyVRP planner on small instances; every plan also passes the independent checker."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from doorstep_scheduler.planning.checker import check_plan
from doorstep_scheduler.planning.problem import (
    CollectorProfile,
    ExcludedTeamDay,
    GeoPoint,
    PinnedVisit,
    PlannedStop,
    PlanningProblem,
    PlanResult,
    TeamProfile,
    TimeWindow,
    VisitDemand,
)
from doorstep_scheduler.planning.solver import PyVrpPlanner
from doorstep_scheduler.planning.team_days import build_team_days
from doorstep_scheduler.planning.windows import CustomerWindow, lawful_visit_windows
from doorstep_shared.contact_rules import CN, visit_conduct
from tests.scheduler.planning.support import (
    BUDGET,
    MONDAY,
    TRAVEL,
    at,
    demand,
    near,
    pin,
    team_day,
    window,
)

TUESDAY = MONDAY + timedelta(days=1)


def solve(problem: PlanningProblem) -> PlanResult:
    result = PyVrpPlanner(TRAVEL, time_budget_seconds=BUDGET).plan(problem)
    assert check_plan(problem, result, TRAVEL) == []
    return result


def by_visit(result: PlanResult) -> dict[uuid.UUID, PlannedStop]:
    return {s.visit_id: s for s in result.stops}


def test_an_empty_problem_gives_an_empty_plan() -> None:
    result = solve(PlanningProblem(team_days=(team_day(1),), demands=()))
    assert (result.stops, result.unplanned, result.travel) == ((), (), timedelta(0))


def test_visits_go_only_to_teams_that_speak_their_language() -> None:
    english, french = team_day(1), team_day(2, languages=frozenset({"fr"}))
    visits = [demand(i, language="fr" if i % 3 == 0 else "en") for i in range(9)]
    german = demand(99, language="de")
    result = solve(PlanningProblem((english, french), (*visits, german)))

    teams = {s.visit_id: s.team_id for s in result.stops}
    for visit in visits:
        expected = french if visit.language == "fr" else english
        assert teams[visit.visit_id] == expected.team_id
    assert [(u.visit_id, u.reason_code) for u in result.unplanned] == [
        (german.visit_id, "no_language")
    ]


def test_short_capacity_leaves_out_the_lowest_priority_visit() -> None:
    visits = [demand(1, priority=5), demand(2, priority=1), demand(3, priority=3)]
    result = solve(PlanningProblem((team_day(1, capacity=2),), tuple(visits)))

    assert {s.visit_id for s in result.stops} == {visits[0].visit_id, visits[2].visit_id}
    (left_out,) = result.unplanned
    assert (left_out.visit_id, left_out.reason_code) == (visits[1].visit_id, "capacity")
    assert left_out.reason == "no room on a compatible team-day in the horizon"


def test_a_visit_with_windows_on_several_days_takes_the_day_with_room() -> None:
    monday_only = [demand(i, window(MONDAY, 9, 17), priority=9) for i in range(2)]
    flexible = demand(7, window(MONDAY, 10, 12), window(TUESDAY, 14, 16))
    team_days = (team_day(1, MONDAY, capacity=2), team_day(1, TUESDAY, capacity=2))
    result = solve(PlanningProblem(team_days, (*monday_only, flexible)))

    stop = next(s for s in result.stops if s.visit_id == flexible.visit_id)
    assert stop.day == TUESDAY
    assert at(TUESDAY, 14) <= stop.service_start <= at(TUESDAY, 15, 30)
    assert window(TUESDAY, 14, 16).contains(stop.window)
    assert stop.window.duration == timedelta(hours=2)


def test_routes_fit_the_shift_and_the_appointment_windows_hold_the_visits() -> None:
    visits = [demand(i, window(MONDAY, 9 + i % 4, 13 + i % 4)) for i in range(10)]
    result = solve(PlanningProblem((team_day(1, hours=(9, 16), capacity=10),), tuple(visits)))

    assert len(result.stops) == 10
    stops = sorted(result.stops, key=lambda s: s.position)
    assert [s.position for s in stops] == list(range(1, 11))
    assert all(s.window.duration == timedelta(hours=2) for s in stops)
    last = next(v.location for v in visits if v.visit_id == stops[-1].visit_id)
    back = timedelta(seconds=TRAVEL.seconds(last, team_day(1).base))
    assert result.travel == sum((s.travel_from_previous for s in stops), timedelta()) + back
    assert result.solver.startswith("pyvrp ")


def test_reasons_name_what_no_team_offers() -> None:
    teams = (
        team_day(1, languages=frozenset({"en"}), skills=frozenset({"legal"}), region="north"),
        team_day(2, languages=frozenset({"fr"}), region="south", hours=(9, 12)),
    )
    visits = (
        demand(1, language="es"),
        demand(2, skills=frozenset({"repossession"})),
        demand(3, region="south"),
        demand(4, window(MONDAY, 13, 15), language="fr"),
        VisitDemand(
            visit_id=uuid.UUID(int=55),
            case_id=uuid.UUID(int=56),
            location=GeoPoint(51.5, -0.1),
            service=timedelta(minutes=30),
            priority=1,
            language="en",
            no_window_reason="every day of the planning horizon is a public holiday",
            no_window_reason_code="public_holiday",
        ),
    )
    result = solve(PlanningProblem(teams, visits))

    assert result.stops == ()
    assert [u.reason_code for u in result.unplanned] == [
        "no_language",
        "no_skill",
        "no_team_in_region",
        "window_outside_team_hours",
        "public_holiday",
    ]
    assert all(u.reason for u in result.unplanned)


def test_the_drive_back_to_base_counts_against_the_shift() -> None:
    far = VisitDemand(
        visit_id=uuid.UUID(int=77),
        case_id=uuid.UUID(int=78),
        location=GeoPoint(51.75, -0.34),  # ~30 km: an hour's drive at 30 km/h
        service=timedelta(minutes=30),
        priority=1,
        language="en",
        windows=(window(MONDAY, 9, 17),),
    )
    tight = solve(PlanningProblem((team_day(1, hours=(9, 11)),), (far,)))
    assert [u.reason_code for u in tight.unplanned] == ["window_outside_team_hours"]
    roomy = solve(PlanningProblem((team_day(1, hours=(9, 13)),), (far,)))
    assert len(roomy.stops) == 1


def test_chinese_visits_keep_to_lawful_local_hours_and_two_person_teams() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    conduct = visit_conduct(CN)
    team = TeamProfile(uuid.UUID(int=1), "Jing'an", None, GeoPoint(31.23, 121.45), 8, "CN")
    members = [
        CollectorProfile(
            collector_id=uuid.UUID(int=10 + n),
            team_id=team.team_id,
            timezone="Asia/Shanghai",
            work_start=time(7),
            work_end=time(23),
            working_weekdays=frozenset(range(7)),
            days_off=frozenset({TUESDAY}) if n == 1 else frozenset(),
            languages=frozenset({"zh"}),
            skills=frozenset(),
            max_visits_per_day=8,
        )
        for n in range(2)
    ]
    days = [MONDAY, TUESDAY]
    team_days, excluded = build_team_days([team], members, days, min_team_size=2)
    assert [e.day for e in excluded] == [TUESDAY]  # one of two collectors is off
    sent = at(MONDAY, 0) - timedelta(days=2)
    theirs = [CustomerWindow(0, time(19), time(23)), CustomerWindow(1, time(9), time(12))]
    visits = []
    for n in range(4):
        windows = lawful_visit_windows(
            CN, zone, days, theirs, sent + conduct.notice_period, timedelta(minutes=40)
        )
        visits.append(
            VisitDemand(
                visit_id=uuid.UUID(int=100 + n),
                case_id=uuid.UUID(int=200 + n),
                location=GeoPoint(31.23 + 0.01 * n, 121.47),
                service=timedelta(minutes=40),
                priority=1,
                language="zh",
                windows=windows.windows,
            )
        )
    problem = PlanningProblem(
        tuple(team_days),
        tuple(visits),
        excluded_team_days=tuple(excluded),
        min_team_size=conduct.min_team_size,
    )
    result = solve(problem)

    assert len(result.stops) == 4  # 19:00–22:00 on Monday holds four 40-minute visits
    for stop in result.stops:
        start = stop.service_start.astimezone(zone)
        end = (stop.service_start + timedelta(minutes=40)).astimezone(zone)
        assert start.date() == MONDAY
        assert time(19) <= start.time()
        assert end.time() <= time(22)
        assert stop.window.start.astimezone(zone).time() >= time(19)
        assert stop.window.end.astimezone(zone).time() <= time(22)
        assert stop.day == MONDAY


def test_replanning_keeps_given_appointments_when_an_urgent_visit_arrives() -> None:
    team_days = (team_day(1), team_day(2), team_day(1, TUESDAY), team_day(2, TUESDAY))
    both_days = (window(MONDAY, 9, 17), window(TUESDAY, 9, 17))
    visits = [demand(i, *both_days) for i in range(12)]
    first = solve(PlanningProblem(team_days, tuple(visits)))
    assert len(first.stops) == 12
    kept = tuple(pin(s, visits[i]) for i, s in enumerate(_in_order(first, visits)))

    urgent = demand(50, window(MONDAY, 9, 12), priority=10)
    second = solve(PlanningProblem(team_days, (urgent,), pinned=kept))
    stops = by_visit(second)
    assert urgent.visit_id in stops
    for appointment in kept:
        stop = stops[appointment.visit_id]
        assert stop.pinned
        assert (stop.team_id, stop.day, stop.window) == (
            appointment.team_id,
            appointment.day,
            appointment.window,
        )

    cancelled = kept[0].visit_id
    third = solve(PlanningProblem(team_days, (), pinned=kept[1:]))
    assert cancelled not in by_visit(third)
    for appointment in kept[1:]:
        stop = by_visit(third)[appointment.visit_id]
        assert (stop.team_id, stop.day, stop.window) == (
            appointment.team_id,
            appointment.day,
            appointment.window,
        )


def _in_order(result: PlanResult, visits: list[VisitDemand]) -> list[PlannedStop]:
    stops = by_visit(result)
    return [stops[v.visit_id] for v in visits]


def test_an_appointment_whose_team_day_is_gone_is_reported_for_replanning() -> None:
    visits = [demand(i) for i in range(3)]
    first = solve(PlanningProblem((team_day(1), team_day(2)), tuple(visits)))
    kept = tuple(pin(s, visits[i]) for i, s in enumerate(_in_order(first, visits)))
    sick = kept[0].team_id
    remaining = tuple(t for t in (team_day(1), team_day(2)) if t.team_id != sick)
    excluded = (ExcludedTeamDay(sick, MONDAY, "team_below_minimum", "a collector is off sick"),)

    result = solve(PlanningProblem(remaining, (), pinned=kept, excluded_team_days=excluded))

    gone = {a.visit_id for a in kept if a.team_id == sick}
    assert {u.visit_id for u in result.unplanned} == gone
    assert {u.reason_code for u in result.unplanned} == {"team_day_unavailable"}
    assert {s.visit_id for s in result.stops} == {a.visit_id for a in kept} - gone


def test_appointments_that_no_longer_fit_together_are_reported_not_forced() -> None:
    visits = [demand(i, window(MONDAY, 10, 12)) for i in range(2)]
    first = solve(PlanningProblem((team_day(1),), tuple(visits)))
    kept = tuple(pin(s, visits[i]) for i, s in enumerate(_in_order(first, visits)))

    shorter = team_day(1, capacity=1)  # the team-day now takes one visit only
    result = solve(PlanningProblem((shorter,), (), pinned=kept))

    assert len(result.stops) == 1
    assert result.stops[0].pinned
    assert [u.reason_code for u in result.unplanned] == ["team_day_unavailable"]


def test_a_larger_instance_plans_every_visit_across_teams_and_days() -> None:
    team_days = tuple(team_day(t, MONDAY + timedelta(days=d)) for t in range(5) for d in range(2))
    both = (window(MONDAY, 9, 17), window(TUESDAY, 9, 17))
    visits = tuple(demand(i, *both) for i in range(60))
    result = solve(PlanningProblem(team_days, visits))
    assert len(result.stops) == 60


def test_appointments_that_clash_in_time_keep_one_and_report_the_other() -> None:
    announced = TimeWindow(at(MONDAY, 10), at(MONDAY, 10, 40))
    clashing = tuple(
        PinnedVisit(
            visit_id=uuid.UUID(int=300 + n),
            case_id=uuid.UUID(int=400 + n),
            team_id=uuid.UUID(int=1),
            day=MONDAY,
            window=announced,
            location=near(n * 6),
            service=timedelta(minutes=30),
        )
        for n in range(2)
    )
    result = solve(PlanningProblem((team_day(1),), (), pinned=clashing))

    assert [s.pinned for s in result.stops] == [True]
    assert [u.reason_code for u in result.unplanned] == ["team_day_unavailable"]
    assert {result.stops[0].visit_id, result.unplanned[0].visit_id} == {
        p.visit_id for p in clashing
    }


def test_cities_no_team_can_cross_are_planned_apart_and_each_visit_stays_home() -> None:
    manchester = GeoPoint(53.4808, -2.2426)
    london_teams = (team_day(1), team_day(2))
    manchester_teams = tuple(replace(team_day(t), base=manchester) for t in (3, 4))
    london_visits = [demand(i) for i in range(6)]
    manchester_visits = [
        replace(demand(20 + i), location=GeoPoint(manchester.lat + 0.01 * i, manchester.lon))
        for i in range(6)
    ]
    problem = PlanningProblem(
        (*london_teams, *manchester_teams), (*london_visits, *manchester_visits)
    )
    result = solve(problem)

    assert len(result.stats["parts"]) == 2  # type: ignore[arg-type]
    teams = {s.visit_id: s.team_id for s in result.stops}
    assert {teams[v.visit_id] for v in london_visits} <= {t.team_id for t in london_teams}
    assert {teams[v.visit_id] for v in manchester_visits} <= {t.team_id for t in manchester_teams}
