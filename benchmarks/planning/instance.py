"""Deterministic generator of realistic planning instances, and the travel-time interface.

Times are seconds since local midnight. Every working day has the same customer windows and team
shifts, so a visit can be planned on any day; the day is the choice of a team-day.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

HOUR = 3600

# (name, lat, lon, share of visits, spread in km)
CITIES: tuple[tuple[str, float, float, float, float], ...] = (
    ("Sydney", -33.8688, 151.2093, 0.45, 12.0),
    ("Melbourne", -37.8136, 144.9631, 0.35, 10.0),
    ("Brisbane", -27.4698, 153.0251, 0.20, 8.0),
)

# (label, start, end, share). "late" is deliberately outside every team's hours.
WINDOWS: tuple[tuple[str, int, int, float], ...] = (
    ("day", 9 * HOUR, 21 * HOUR, 0.40),
    ("morning", 9 * HOUR, 12 * HOUR, 0.20),
    ("afternoon", 13 * HOUR, 17 * HOUR, 0.20),
    ("evening", 17 * HOUR, 21 * HOUR, 0.195),
    ("late", 20 * HOUR + 30 * 60, 21 * HOUR, 0.005),
)

# (language, share of visits). "vi" is spoken by no team: those visits cannot be planned.
LANGUAGES: tuple[tuple[str, float], ...] = (("en", 0.62), ("zh-CN", 0.375), ("vi", 0.005))

SHIFTS: tuple[tuple[int, int], ...] = ((9 * HOUR, 18 * HOUR), (10 * HOUR, 20 * HOUR))


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Visit:
    id: str
    point: Point
    window_start: int
    window_end: int  # the visit must be over by then
    window_label: str
    language: str
    service: int


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    home: Point
    shift_start: int
    shift_end: int  # back at the home base by then
    languages: frozenset[str]
    max_visits_per_day: int


class TravelTimes(Protocol):
    """Travel time in whole seconds between every pair of points (row: from, column: to)."""

    def matrix(self, points: Sequence[Point]) -> list[list[int]]: ...


@dataclass(frozen=True, slots=True)
class HaversineTravelTimes:
    """Great-circle distance times a detour factor, at a constant speed. A road-time matrix
    (OSRM, Valhalla, a vendor API) replaces it behind the same ``matrix`` method."""

    speed_kmh: float = 30.0
    detour: float = 1.3

    def matrix(self, points: Sequence[Point]) -> list[list[int]]:
        lat = np.radians(np.array([p.lat for p in points]))
        lon = np.radians(np.array([p.lon for p in points]))
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        )
        km = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.detour
        seconds = np.rint(km / self.speed_kmh * HOUR).astype(np.int64)
        return seconds.tolist()  # type: ignore[no-any-return]


@dataclass(slots=True)
class Instance:
    visits: list[Visit]
    teams: list[Team]
    days: int
    travel: TravelTimes = field(default_factory=HaversineTravelTimes)
    _matrix: list[list[int]] | None = None

    @property
    def points(self) -> list[Point]:
        """Team home bases first (index = team index), then visits (index = len(teams) + i)."""
        return [t.home for t in self.teams] + [v.point for v in self.visits]

    def matrix(self) -> list[list[int]]:
        if self._matrix is None:
            self._matrix = self.travel.matrix(self.points)
        return self._matrix

    def team_node(self, team_index: int) -> int:
        return team_index

    def visit_node(self, visit_index: int) -> int:
        return len(self.teams) + visit_index


def _pick(rng: random.Random, options: Sequence[tuple[object, ...]], weight_at: int) -> int:
    return rng.choices(range(len(options)), weights=[float(o[weight_at]) for o in options])[0]  # type: ignore[arg-type]


def _scatter(rng: random.Random, lat: float, lon: float, spread_km: float) -> Point:
    # A city is a few dense neighbourhoods around the centre, not one uniform blob.
    r = abs(rng.gauss(0.0, spread_km))
    theta = rng.uniform(0.0, 2 * math.pi)
    dlat = r * math.cos(theta) / 111.0
    dlon = r * math.sin(theta) / (111.0 * math.cos(math.radians(lat)))
    return Point(lat + dlat, lon + dlon)


def generate(
    visits: int, teams: int, days: int, seed: int, travel: TravelTimes | None = None
) -> Instance:
    rng = random.Random(seed)
    hubs: list[tuple[int, Point, float]] = []  # neighbourhood centres: (city, centre, spread)
    for c, (_, lat, lon, _share, spread) in enumerate(CITIES):
        for _ in range(6):
            hubs.append((c, _scatter(rng, lat, lon, spread), spread / 4))

    out_visits: list[Visit] = []
    for i in range(visits):
        city = _pick(rng, CITIES, 3)
        _, centre, spread = rng.choice([h for h in hubs if h[0] == city])
        label, w_start, w_end, _ = WINDOWS[_pick(rng, WINDOWS, 3)]
        language = LANGUAGES[_pick(rng, LANGUAGES, 1)][0]
        out_visits.append(
            Visit(
                id=f"v{i:05d}",
                point=_scatter(rng, centre.lat, centre.lon, spread),
                window_start=w_start,
                window_end=w_end,
                window_label=label,
                language=language,
                service=rng.randint(20, 40) * 60,
            )
        )

    out_teams: list[Team] = []
    for j in range(teams):
        city = j % len(CITIES) if j < len(CITIES) else _pick(rng, CITIES, 3)
        _, lat, lon, _, spread = CITIES[city]
        shift_start, shift_end = SHIFTS[j % len(SHIFTS)]
        roll = rng.random()
        languages = (
            frozenset({"en"})
            if roll < 0.5
            else frozenset({"en", "zh-CN"})
            if roll < 0.85
            else frozenset({"zh-CN"})
        )
        out_teams.append(
            Team(
                id=f"t{j:03d}",
                home=_scatter(rng, lat, lon, spread * 1.5),
                shift_start=shift_start,
                shift_end=shift_end,
                languages=languages,
                max_visits_per_day=rng.choice((5, 6, 7)),
            )
        )
    return Instance(out_visits, out_teams, days, travel or HaversineTravelTimes())
