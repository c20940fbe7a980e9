"""A deterministic, realistic planning instance, built the way the scheduler builds one.

Teams and collectors become team-days through ``build_team_days``; each visit's windows come
from ``lawful_visit_windows`` under the AU pack (face-to-face 09:00–21:00 local, national public
holidays) ∩ the customer's own windows, from the end of its notice period on. Three cities in
three zones (Brisbane keeps no summer time), addresses clustered in neighbourhoods.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

from doorstep_scheduler.planning.problem import (
    CollectorProfile,
    GeoPoint,
    PlanningProblem,
    TeamProfile,
    VisitDemand,
)
from doorstep_scheduler.planning.team_days import build_team_days
from doorstep_scheduler.planning.windows import CustomerWindow, lawful_visit_windows
from doorstep_shared.contact_rules import AU, visit_conduct

FIRST_DAY = date(2026, 11, 9)  # a Monday; no national holiday in AU that week
PACK = AU

# (name, lat, lon, share of visits, spread in km, zone)
CITIES: tuple[tuple[str, float, float, float, float, str], ...] = (
    ("Sydney", -33.8688, 151.2093, 0.45, 12.0, "Australia/Sydney"),
    ("Melbourne", -37.8136, 144.9631, 0.35, 10.0, "Australia/Melbourne"),
    ("Brisbane", -27.4698, 153.0251, 0.20, 8.0, "Australia/Brisbane"),
)

# What the customer said suits them: (label, share, local hours or None for "any time",
# days: "all" or "two" random weekdays). "late" is after every team's shift.
WINDOWS: tuple[tuple[str, float, tuple[time, time] | None, str], ...] = (
    ("any", 0.35, None, "all"),
    ("morning", 0.18, (time(9), time(12)), "all"),
    ("afternoon", 0.17, (time(13), time(17)), "all"),
    ("evening", 0.145, (time(17), time(21)), "all"),
    ("two weekdays", 0.15, (time(10), time(16)), "two"),
    ("late", 0.005, (time(20, 30), time(21)), "all"),
)
LATE_NOTICE = 0.15  # notice sent late: the first lawful moment is Tuesday noon

# (language, share of visits). No team speaks "vi": those visits say so.
LANGUAGES: tuple[tuple[str, float], ...] = (("en", 0.62), ("zh", 0.375), ("vi", 0.005))

SHIFTS: tuple[tuple[time, time], ...] = ((time(9), time(18)), (time(10), time(20)))
DAY_OFF = 0.04  # chance a collector is off on a given day


@dataclass(frozen=True, slots=True)
class Instance:
    problem: PlanningProblem
    visits_by_window: dict[str, int]
    excluded_team_days: int
    build_seconds: float


def _pick(rng: random.Random, weights: Sequence[float]) -> int:
    return rng.choices(range(len(weights)), weights=list(weights))[0]


def _scatter(rng: random.Random, lat: float, lon: float, spread_km: float) -> GeoPoint:
    r = abs(rng.gauss(0.0, spread_km))
    theta = rng.uniform(0.0, 2 * math.pi)
    dlat = r * math.cos(theta) / 111.0
    dlon = r * math.sin(theta) / (111.0 * math.cos(math.radians(lat)))
    return GeoPoint(lat + dlat, lon + dlon)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128))


def generate(visits: int, teams: int, days: int, seed: int) -> Instance:
    started = perf_counter()
    rng = random.Random(seed)
    horizon = [FIRST_DAY + timedelta(days=d) for d in range(days)]
    conduct = visit_conduct(PACK)
    hubs: list[tuple[int, GeoPoint, float]] = []  # neighbourhoods: (city, centre, spread)
    for c, (_, lat, lon, _share, spread, _zone) in enumerate(CITIES):
        hubs += [(c, _scatter(rng, lat, lon, spread), spread / 4) for _ in range(6)]

    team_profiles: list[TeamProfile] = []
    members: list[CollectorProfile] = []
    for j in range(teams):
        city = j % len(CITIES) if j < len(CITIES) else _pick(rng, [c[3] for c in CITIES])
        name, lat, lon, _, spread, zone_name = CITIES[city]
        roll = rng.random()
        spoken = [{"en"}, {"zh"}] if roll < 0.35 else [{"en"}, {"en"}] if roll < 0.85 else [{"zh"}]
        team = TeamProfile(
            team_id=_uuid(rng),
            name=f"{name} {j}",
            region=None,
            base=_scatter(rng, lat, lon, spread * 1.5),
            max_visits_per_day=rng.choice((5, 6, 7)),
            holiday_country=PACK.country,
        )
        team_profiles.append(team)
        start, end = SHIFTS[j % len(SHIFTS)]
        for languages in [*spoken, spoken[-1]][:2]:
            off = frozenset(d for d in horizon if rng.random() < DAY_OFF)
            members.append(
                CollectorProfile(
                    collector_id=_uuid(rng),
                    team_id=team.team_id,
                    timezone=zone_name,
                    work_start=start,
                    work_end=end,
                    working_weekdays=frozenset(range(5)),
                    days_off=off,
                    languages=frozenset(languages),
                    skills=frozenset(),
                    max_visits_per_day=10,
                )
            )
    team_days, excluded = build_team_days(
        team_profiles, members, horizon, min_team_size=conduct.min_team_size
    )

    demands: list[VisitDemand] = []
    by_window: dict[str, int] = {}
    for _ in range(visits):
        city = _pick(rng, [c[3] for c in CITIES])
        zone = ZoneInfo(CITIES[city][5])
        _, centre, spread = rng.choice([h for h in hubs if h[0] == city])
        label, _, hours, which = WINDOWS[_pick(rng, [w[1] for w in WINDOWS])]
        weekdays = range(5) if which == "all" else sorted(rng.sample(range(5), 2))
        theirs = [CustomerWindow(d, *hours) for d in weekdays] if hours else []
        notice_ends = datetime(2026, 11, 1, tzinfo=UTC)
        if rng.random() < LATE_NOTICE:
            notice_ends = datetime.combine(horizon[min(1, days - 1)], time(12), zone)
        service = timedelta(minutes=rng.randint(20, 40))
        windows = lawful_visit_windows(PACK, zone, horizon, theirs, notice_ends, service)
        by_window[label] = by_window.get(label, 0) + 1
        demands.append(
            VisitDemand(
                visit_id=_uuid(rng),
                case_id=_uuid(rng),
                location=_scatter(rng, centre.lat, centre.lon, spread),
                service=service,
                priority=rng.randint(1, 5),
                language=LANGUAGES[_pick(rng, [lang[1] for lang in LANGUAGES])][0],
                windows=windows.windows,
                no_window_reason=windows.reason,
                no_window_reason_code=windows.reason_code,
            )
        )
    problem = PlanningProblem(
        team_days=tuple(team_days),
        demands=tuple(demands),
        excluded_team_days=tuple(excluded),
        min_team_size=conduct.min_team_size,
    )
    return Instance(problem, by_window, len(excluded), perf_counter() - started)
