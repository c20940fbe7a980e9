"""Wall-clock arithmetic in the customer's zone that stays exact across DST changes."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def wall_instant(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    """The earliest instant whose local wall clock in ``zone`` reads ``day`` + ``minute_of_day``
    or later.

    An ambiguous wall time (clocks going back) gives its first occurrence. A wall time that does
    not exist (clocks going forward) gives the instant the clocks jump, which is the first
    instant whose local reading is past it. Returned in UTC.
    """
    day = day + timedelta(days=minute_of_day // 1440)
    minute_of_day %= 1440
    wall = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60))
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)
    # Nonexistent: fold=1 lands before the jump, fold=0 after it. Bisect to the jump instant.
    lo = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = first.astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0) if hi.microsecond else hi


def seconds_of_day(local: datetime) -> float:
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def add_months(local: datetime, months: int) -> datetime:
    """Same wall time ``months`` later, the day clamped to the month's end (naive result)."""
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day, tzinfo=None)


def describe_local(instant: datetime, zone: ZoneInfo, reference: datetime) -> str:
    """``08:00 tomorrow`` / ``08:00 today`` / ``08:00 on Mon 2026-12-28`` in ``zone``."""
    local = instant.astimezone(zone)
    ref_day = reference.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.second or local.microsecond:
        clock = local.strftime("%H:%M:%S")
    if local.date() == ref_day:
        return f"{clock} today"
    if local.date() == ref_day + timedelta(days=1):
        return f"{clock} tomorrow"
    return f"{clock} on {_DAY_NAMES[local.weekday()]} {local.date().isoformat()}"


def hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60 % 24:02d}:{minute_of_day % 60:02d}"
