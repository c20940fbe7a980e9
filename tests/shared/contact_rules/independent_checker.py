"""An independent reading of the domain brief's contact-rule table (shared/domain.md §3).

Written apart from the engine on purpose: plain functions over a log of contacts that were made,
using only ``zoneinfo`` and the ``holidays`` calendar — no engine rule class, no engine helper.
Where the table leaves a choice open, the reading is the one stated here (and in the report):

* hours are half-open local windows: 08:00 is allowed, 21:00 (US) / 22:00 (CN) / 19:00 (IN) not;
* "N in 7 days" is any window of 7×24 h of elapsed time: (t - 7 days, t]; likewise "within 7
  days after a conversation" at s means s < t < s + 7 days;
* AU "10 a month" must hold for every 30-day window *and* every local calendar month;
* AU counts contacts actually made (connected), on every channel but face-to-face visits;
* CN counts per local calendar day: calls with a conversation (≤ 3) and calls without (≤ 6).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class Sent:
    """One contact made: the channel's name ("call", "sms", "email", "letter", "visit")."""

    channel: str
    at: datetime
    connected: bool = True
    conversation: bool = False
    with_consent: bool = False


MIN = 60  # seconds in a minute
WEEK = timedelta(days=7)

# pack -> channel -> weekday (0 = Monday) -> [start, end) in minutes; letters are never timed
_EIGHT_TO_NINE = [(8 * 60, 21 * 60)]
_TABLE_HOURS: dict[str, dict[str, list[list[tuple[int, int]]]]] = {
    "CN": {ch: [[(8 * 60, 22 * 60)]] * 7 for ch in ("call", "sms", "email", "visit")},
    "US": {ch: [_EIGHT_TO_NINE] * 7 for ch in ("call", "sms", "email", "visit")},
    "US-MA": {ch: [_EIGHT_TO_NINE] * 7 for ch in ("call", "sms", "email", "visit")},
    "UK": {ch: [_EIGHT_TO_NINE] * 7 for ch in ("call", "sms", "email", "visit")},
    "IN": {ch: [[(8 * 60, 19 * 60)]] * 7 for ch in ("call", "sms", "email", "visit")},
    "AU": {
        **{
            ch: [[(7 * 60 + 30, 21 * 60)]] * 5 + [[(9 * 60, 21 * 60)]] * 2
            for ch in ("call", "sms", "email")
        },
        "visit": [[(9 * 60, 21 * 60)]] * 7,
    },
}


@cache
def _au_national_holidays(year: int) -> frozenset[object]:
    return frozenset(holidays.country_holidays("AU", years=year).keys())


def _second_of_day(local: datetime) -> float:
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def _inside(windows: Sequence[tuple[int, int]], local: datetime) -> bool:
    """Whether ``local`` is in one of the [start, end) windows; end <= start wraps past midnight."""
    s = _second_of_day(local)
    for start, end in windows:
        if start < end:
            if start * MIN <= s < end * MIN:
                return True
        elif s >= start * MIN or s < end * MIN:
            return True
    return False


def hours_violation(
    pack: str,
    zone: ZoneInfo,
    item: Sent,
    preferred: Sequence[tuple[int, int]] | None = None,
) -> str | None:
    local = item.at.astimezone(zone)
    by_day = _TABLE_HOURS[pack].get(item.channel)
    if by_day is None:
        return None  # letters
    if not _inside(by_day[local.weekday()], local):
        return f"{pack} {item.channel} at {local:%a %Y-%m-%d %H:%M:%S} {zone.key}: outside hours"
    if preferred is not None and not _inside(preferred, local):
        return f"{pack} {item.channel} at {local:%H:%M} {zone.key}: outside preferred hours"
    if pack == "AU" and local.date() in _au_national_holidays(local.year):
        return f"AU {item.channel} on national public holiday {local.date()}"
    return None


def _count(log: Sequence[Sent], keep: Callable[[Sent], bool], lo: datetime, hi: datetime) -> int:
    """Contacts in (lo, hi] that ``keep`` accepts."""
    return sum(1 for s in log if lo < s.at <= hi and keep(s))


def cap_violations(pack: str, zone: ZoneInfo, prior: Sequence[Sent], item: Sent) -> list[str]:
    """What goes wrong by making ``item`` after the contacts in ``prior`` (all earlier)."""
    found: list[str] = []
    log = [*prior, item]
    t = item.at
    if pack in ("US", "US-MA") and item.channel == "call":
        if item.connected and not item.with_consent:
            n = _count(
                log,
                lambda s: s.channel == "call" and s.connected and not s.with_consent,
                t - WEEK,
                t,
            )
            if n > 7:
                found.append(f"{pack}: {n} connected calls in 7 days up to {t.isoformat()}")
        talks = [s for s in prior if s.channel == "call" and s.conversation and t - WEEK < s.at < t]
        if talks:
            found.append(
                f"{pack}: call at {t.isoformat()} within 7 days after the conversation at "
                f"{talks[-1].at.isoformat()}"
            )
    if pack == "US-MA" and item.channel in ("call", "sms") and item.connected:
        n = _count(log, lambda s: s.channel in ("call", "sms") and s.connected, t - WEEK, t)
        if n > 2:
            found.append(f"US-MA: {n} telephone communications in 7 days up to {t.isoformat()}")
    if pack == "CN" and item.channel == "call":
        day = t.astimezone(zone).date()
        same_day = [s for s in log if s.channel == "call" and s.at.astimezone(zone).date() == day]
        talks_today = sum(1 for s in same_day if s.conversation)
        unanswered = sum(1 for s in same_day if not s.conversation)
        if item.conversation and talks_today > 3:
            found.append(f"CN: {talks_today} connected calls on {day}")
        if not item.conversation and unanswered > 6:
            found.append(f"CN: {unanswered} unanswered calls on {day}")
    if pack == "AU" and item.channel != "visit" and item.connected:

        def counts(s: Sent) -> bool:
            return s.channel != "visit" and s.connected

        week = _count(log, counts, t - WEEK, t)
        if week > 3:
            found.append(f"AU: {week} contacts in 7 days up to {t.isoformat()}")
        days30 = _count(log, counts, t - timedelta(days=30), t)
        if days30 > 10:
            found.append(f"AU: {days30} contacts in 30 days up to {t.isoformat()}")
        local = t.astimezone(zone)
        month = sum(
            1
            for s in log
            if counts(s)
            and s.at <= t
            and (s.at.astimezone(zone).year, s.at.astimezone(zone).month)
            == (local.year, local.month)
        )
        if month > 10:
            found.append(f"AU: {month} contacts in calendar month {local:%Y-%m}")
    return found


def violations(
    pack: str,
    zone_name: str,
    log: Sequence[Sent],
    *,
    preferred: Sequence[tuple[int, int]] | None = None,
    refused: frozenset[str] = frozenset(),
    stop_at: datetime | None = None,
    only_last: bool = False,
) -> list[str]:
    """Every breach of the table in ``log`` (sorted by time); ``only_last``: by its last item."""
    zone = ZoneInfo(zone_name)
    ordered = sorted(log, key=lambda s: s.at)
    found: list[str] = []
    indexes = [len(ordered) - 1] if only_last else range(len(ordered))
    for i in indexes:
        item = ordered[i]
        if stop_at is not None and item.at >= stop_at:
            found.append(f"{item.channel} at {item.at.isoformat()} after contact was stopped")
        if item.channel in refused:
            found.append(f"{item.channel} at {item.at.isoformat()} on a refused channel")
        why = hours_violation(pack, zone, item, preferred)
        if why:
            found.append(why)
        found.extend(cap_violations(pack, zone, ordered[:i], item))
    return found
