"""The appointment window told to the customer around a planned visit.

It is ``width`` wide (or the whole visit, if that is longer), holds the whole planned visit and
stays inside the window the visit was planned in; within that it is centred on the visit and,
where it can be, starts on a quarter hour ("between 10:15 and 12:15").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from doorstep_scheduler.planning.problem import TimeWindow

_QUARTER = timedelta(minutes=15)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def announced_window(
    service_start: datetime, service: timedelta, window: TimeWindow, width: timedelta
) -> TimeWindow:
    service_end = service_start + service
    if not (window.start <= service_start and service_end <= window.end):
        raise ValueError("the planned visit lies outside the window it was planned in")
    width = min(max(width, service), window.duration)
    # every start in [lowest, highest] holds the visit and stays inside ``window``
    lowest = max(service_end - width, window.start)
    highest = min(service_start, window.end - width)
    ideal = service_start - (width - service) / 2
    below = _EPOCH + _QUARTER * ((ideal - _EPOCH) // _QUARTER)
    quarters = [q for q in (below, below + _QUARTER) if lowest <= q <= highest]
    if quarters:
        start = min(quarters, key=lambda q: abs(q - ideal))
    else:
        start = min(max(ideal, lowest), highest)
    return TimeWindow(start, start + width)
