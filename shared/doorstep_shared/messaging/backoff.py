"""Capped exponential backoff with jitter for retries against the broker or the database, and
the pause between them."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass


@dataclass
class Backoff:
    initial: float = 0.1
    maximum: float = 10.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.maximum, self.initial * (2**self.attempt))
        self.attempt += 1
        return float(delay * random.uniform(0.8, 1.2))

    def reset(self) -> None:
        self.attempt = 0


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``stop`` is set meanwhile: a worker's pause between
    retries or rounds must not hold up a graceful shutdown."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
