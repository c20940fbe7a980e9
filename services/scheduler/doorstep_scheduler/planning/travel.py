"""Travel times from coordinates: great-circle distance, a detour factor and a constant speed.

The default ``TravelModel``. A road-time matrix from a routing engine replaces it behind the same
two methods; the planner never looks inside.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from doorstep_scheduler.planning.problem import GeoPoint

EARTH_RADIUS_METERS = 6_371_000.0


def haversine_meters(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance between two points on a spherical Earth."""
    lat_a, lat_b = math.radians(a.lat), math.radians(b.lat)
    half_dlat = (lat_b - lat_a) / 2
    half_dlon = math.radians(b.lon - a.lon) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_METERS * math.asin(math.sqrt(min(1.0, h)))


class HaversineTravel:
    """Straight-line distance × ``detour_factor`` (roads are not straight) at ``speed_kmh``."""

    def __init__(self, speed_kmh: float, detour_factor: float = 1.3) -> None:
        if speed_kmh <= 0 or detour_factor < 1:
            raise ValueError("speed must be positive and the detour factor at least 1")
        self.speed_kmh = speed_kmh
        self.detour_factor = detour_factor
        self._meters_per_second = speed_kmh * 1000 / 3600

    def __repr__(self) -> str:
        return f"HaversineTravel(speed_kmh={self.speed_kmh}, detour_factor={self.detour_factor})"

    def seconds(self, origin: GeoPoint, destination: GeoPoint) -> int:
        meters = haversine_meters(origin, destination) * self.detour_factor
        return round(meters / self._meters_per_second)

    def matrix(self, points: list[GeoPoint]) -> list[list[int]]:
        return self.array(points).tolist()  # type: ignore[no-any-return]

    def array(self, points: list[GeoPoint]) -> npt.NDArray[np.int64]:
        """``matrix`` as a numpy array, vectorised: the planner's fast path for thousands of
        points (the same formula as ``seconds``; results agree to the second)."""
        lat = np.radians(np.fromiter((p.lat for p in points), dtype=np.float64, count=len(points)))
        lon = np.radians(np.fromiter((p.lon for p in points), dtype=np.float64, count=len(points)))
        half_dlat = (lat[None, :] - lat[:, None]) / 2
        half_dlon = (lon[None, :] - lon[:, None]) / 2
        cos_lat = np.cos(lat)
        h = np.sin(half_dlat) ** 2 + cos_lat[:, None] * cos_lat[None, :] * np.sin(half_dlon) ** 2
        meters = 2 * EARTH_RADIUS_METERS * np.arcsin(np.sqrt(np.minimum(1.0, h)))
        seconds: npt.NDArray[np.int64] = np.rint(
            meters * self.detour_factor / self._meters_per_second
        ).astype(np.int64)
        return seconds
