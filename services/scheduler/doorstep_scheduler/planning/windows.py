"""When a visit may take place: the pack's lawful visit hours ∩ the customer's windows, from the
earliest allowed start (notice period, per-case caps) on, over the days of the horizon.

The lawful hours are not copied from the pack: each day is walked with the pack's own time
rules for ``Channel.VISIT`` (``blocked`` / ``next_ok``, the engine's contract), so a pack's
hours, holidays and caps — and any rule added later — shape the windows exactly as they shape
``decide``. Packs without a holiday rule of their own still get the country's national public
holidays for visits: the visit planner never sends a team on a public holiday (Doorstep policy).

Windows are aware UTC intervals, each long enough for the whole visit.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from doorstep_scheduler.planning.problem import TimeWindow
from doorstep_shared.contact_rules.localtime import wall_instant
from doorstep_shared.contact_rules.model import Channel, ContactAttempt, PastContact
from doorstep_shared.contact_rules.packs import RulePack
from doorstep_shared.contact_rules.rules import PublicHolidayRule, TimeRule

NO_DAYS = "no_days"
PUBLIC_HOLIDAY = "public_holiday"
NO_LAWFUL_HOURS = "no_lawful_hours"
CUSTOMER_WINDOWS_OUTSIDE = "customer_windows_outside_lawful_hours"
WINDOW_TOO_SHORT = "window_too_short"
NOTICE_PERIOD = "notice_period"
AFTER_HORIZON = "after_horizon"

_MINUTE = timedelta(minutes=1)
_MAX_CHASE_STEPS = 100


@dataclass(frozen=True, slots=True)
class CustomerWindow:
    """When the customer said a visit suits them, in their local time; ``end`` of 00:00 is
    midnight at the end of the day."""

    weekday: int  # 0 = Monday
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("customer windows are wall-clock times without tzinfo")
        if self._end_minute <= self._start_minute:
            raise ValueError("a customer window ends after it starts, on the same day")

    @property
    def _start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def _end_minute(self) -> int:
        minute = self.end.hour * 60 + self.end.minute
        return minute or 1440

    def on(self, day: date, zone: ZoneInfo) -> TimeWindow:
        """This window on ``day`` (which must fall on its weekday), as an UTC interval."""
        start = wall_instant(day, self._start_minute, zone)
        start += timedelta(seconds=self.start.second, microseconds=self.start.microsecond)
        return TimeWindow(start, wall_instant(day, self._end_minute, zone))


@dataclass(frozen=True, slots=True)
class VisitWindows:
    windows: tuple[TimeWindow, ...]
    reason_code: str | None = None  # why ``windows`` is empty: a stable code
    reason: str | None = None  # the same for people, no personal data


def lawful_visit_windows(
    pack: RulePack,
    zone: ZoneInfo,
    days: Sequence[date],
    customer_windows: Sequence[CustomerWindow],
    earliest: datetime,
    service: timedelta,
    *,
    history: Sequence[PastContact] = (),
) -> VisitWindows:
    """The windows a visit of ``service`` length may take on ``days`` (the customer's local
    dates), starting no earlier than ``earliest``; ``history`` feeds the pack's contact caps."""
    if earliest.tzinfo is None:
        raise ValueError("earliest must be an aware datetime")
    ordered = sorted(set(days))
    if not ordered:
        return VisitWindows((), NO_DAYS, "the planning horizon has no day")
    attempt = ContactAttempt(
        channel=Channel.VISIT, now=earliest, timezone=zone.key, history=tuple(history)
    )
    rules = [rule for rule in pack.time_rules if rule.applies(attempt)]
    holiday_rules = [rule for rule in rules if isinstance(rule, PublicHolidayRule)]
    if not holiday_rules:
        holiday_rules = [_national_holidays(pack.country)]
    hour_rules = [rule for rule in rules if not isinstance(rule, PublicHolidayRule)]
    by_weekday: dict[int, list[CustomerWindow]] = {}
    for window in customer_windows:
        by_weekday.setdefault(window.weekday, []).append(window)

    working_days = lawful = 0
    agreed: list[TimeWindow] = []
    for day in ordered:
        day_start = wall_instant(day, 0, zone)
        if any(rule.blocked(attempt, day_start) for rule in holiday_rules):
            continue
        working_days += 1
        hours = _lawful_intervals(pack, hour_rules, attempt, day, day_start)
        lawful += len(hours)
        if customer_windows:
            theirs = [w.on(day, zone) for w in by_weekday.get(day.weekday(), ())]
            hours = [part for h in hours for c in theirs if (part := _meet(h, c)) is not None]
        agreed.extend(hours)
    agreed = _merge(agreed)
    cut = _merge([part for w in agreed if (part := _from(w, earliest)) is not None])
    windows = tuple(w for w in cut if w.duration >= service)
    if windows:
        return VisitWindows(windows)
    fitting = any(w.duration >= service for w in agreed)

    code, reason = (
        (PUBLIC_HOLIDAY, "every day of the planning horizon is a public holiday")
        if not working_days
        else (NO_LAWFUL_HOURS, f"{pack.key} allows no visit on the days of the planning horizon")
        if not lawful
        else (
            CUSTOMER_WINDOWS_OUTSIDE,
            "the customer's preferred visit windows fall outside the lawful visit hours",
        )
        if not agreed
        else (WINDOW_TOO_SHORT, "no lawful window in the horizon is long enough for the visit")
        if not fitting
        else (
            AFTER_HORIZON,
            "the earliest allowed visit time is after the last lawful window of the horizon",
        )
        if earliest >= agreed[-1].end
        else (
            NOTICE_PERIOD,
            "the notice period leaves no lawful window long enough for the visit in the horizon",
        )
    )
    return VisitWindows((), code, reason)


# --- walking a day with the pack's rules ---------------------------------------------------------

# Lawful hours depend only on the pack, the zone and the day unless contact history is involved:
# memoised, so planning thousands of visits in one city walks each day once.
_CACHE: dict[tuple[object, ...], tuple[TimeWindow, ...]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_LIMIT = 4096


def _lawful_intervals(
    pack: RulePack,
    rules: list[TimeRule],
    attempt: ContactAttempt,
    day: date,
    day_start: datetime,
) -> list[TimeWindow]:
    key = (pack.key, tuple(r.rule_id for r in rules), attempt.timezone, day, attempt.history)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is None:
        day_end = wall_instant(day + timedelta(days=1), 0, attempt.zone)
        cached = tuple(_walk(rules, attempt, day_start, day_end))
        with _CACHE_LOCK:
            if len(_CACHE) >= _CACHE_LIMIT:
                _CACHE.clear()
            _CACHE[key] = cached
    return list(cached)


def _walk(
    rules: list[TimeRule], attempt: ContactAttempt, day_start: datetime, day_end: datetime
) -> list[TimeWindow]:
    """The maximal intervals of [day_start, day_end) in which every rule allows the visit.

    Openings are exact (``next_ok``); an interval's end is the first whole minute of the local
    day at which some rule objects. Every pack's hours turn on whole minutes, so this is exact
    for them; a cap expiring mid-minute ends its interval up to a minute early, never late.
    """
    out: list[TimeWindow] = []
    at: datetime | None = day_start
    while at is not None and at < day_end:
        at = _earliest_allowed(rules, attempt, at, day_end)
        if at is None:
            break
        # first grid minute strictly after ``at`` (the grid starts at local midnight)
        step = day_start + _MINUTE * ((at - day_start) // _MINUTE + 1)
        while step < day_end and all(rule.blocked(attempt, step) is None for rule in rules):
            step += _MINUTE
        end = min(step, day_end)
        out.append(TimeWindow(at.astimezone(UTC), end.astimezone(UTC)))
        at = end
    return out


def _earliest_allowed(
    rules: list[TimeRule], attempt: ContactAttempt, at: datetime, limit: datetime
) -> datetime | None:
    """Earliest instant in [at, limit) every rule allows (the engine's chase), else None."""
    for _ in range(_MAX_CHASE_STEPS):
        latest = at
        for rule in rules:
            if rule.blocked(attempt, at) is None:
                continue
            nxt = rule.next_ok(attempt, at)
            if nxt is None or nxt >= limit:
                return None
            latest = max(latest, nxt)
        if latest == at:
            return at
        at = latest
    return None


def _national_holidays(country: str) -> PublicHolidayRule:
    return PublicHolidayRule(
        "doorstep.visit_public_holiday", country, channels=frozenset({Channel.VISIT})
    )


# --- interval arithmetic -----------------------------------------------------------------------


def _meet(a: TimeWindow, b: TimeWindow) -> TimeWindow | None:
    start, end = max(a.start, b.start), min(a.end, b.end)
    return TimeWindow(start, end) if start < end else None


def _from(window: TimeWindow, earliest: datetime) -> TimeWindow | None:
    start = max(window.start, earliest.astimezone(UTC))
    return TimeWindow(start, window.end) if start < window.end else None


def _merge(windows: list[TimeWindow]) -> list[TimeWindow]:
    """Sorted, overlapping or touching windows joined (a lawful stretch across midnight)."""
    merged: list[TimeWindow] = []
    for window in sorted(windows, key=lambda w: w.start):
        if merged and window.start <= merged[-1].end:
            last = merged.pop()
            window = TimeWindow(last.start, max(last.end, window.end))
        merged.append(window)
    return merged
