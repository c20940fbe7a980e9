"""Time-of-day for tests: zones in which it is a given local hour now."""

from __future__ import annotations

from datetime import datetime

from doorstep_shared.clock import utc_now


def zone_at_hour(local_hour: int, now: datetime | None = None) -> str:
    """A fixed-offset IANA zone in which the local hour is ``local_hour`` at ``now``."""
    hour = (now or utc_now()).hour
    offset = (local_hour - hour + 12) % 24 - 12  # -12..11 hours east of UTC
    if offset == 0:
        return "Etc/UTC"
    # Etc/GMT zones have POSIX signs: Etc/GMT-8 is eight hours EAST of UTC.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def daytime_zone(now: datetime | None = None) -> str:
    """A zone where it is about noon now, so lawful contact hours are open.

    Tests of the dispatch machinery use it for their customers; the contact-rule tests pin
    their own zones and clocks instead.
    """
    return zone_at_hour(12, now)
