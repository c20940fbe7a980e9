"""Per-credential token buckets (in process), for 429 with Retry-After."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``per_minute`` sustained, ``burst`` at once. Each replica counts on its own."""

    _MAX_BUCKETS = 100_000

    def __init__(self, per_minute: int, burst: int) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._buckets: dict[str, _Bucket] = {}

    def take(self, who: str, now: float | None = None) -> int | None:
        """None when allowed; otherwise the whole seconds to wait before the next try."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(who)
        if bucket is None:
            if len(self._buckets) >= self._MAX_BUCKETS:
                self._buckets.clear()  # crude, but bounded: forgetting only forgives
            bucket = self._buckets[who] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / self._rate))
