"""Rule kinds. A pack is a list of these; ``engine.decide`` evaluates them.

Three kinds:

* ``SuppressionRule`` — says no for good (waiting does not help).
* ``TimeRule`` — says no *now*, and knows the earliest instant at or after a given one at which
  it would say yes on its own (``next_ok``). The engine chases the latest of those until every
  time rule agrees, which yields the earliest instant that satisfies all of them.
* Requirements (``OptOutRequirement``, ``Requirement``) — never block; add a requirement to the
  decision (an opt-out in the message, notice before a visit...).

Every rule has a ``rule_id`` named after its source; the pack (``packs.py``) holds the source note.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from doorstep_shared.contact_rules.localtime import (
    add_months,
    hhmm,
    seconds_of_day,
    wall_instant,
)
from doorstep_shared.contact_rules.model import Channel, ContactAttempt, PastContact

ALL_CHANNELS = frozenset(Channel)
# Letters are posted: the moment we hand them over says nothing about when they are read.
TIMED_CHANNELS = frozenset(Channel) - {Channel.LETTER}

MinuteRange = tuple[int, int]  # [start, end) in minutes of the local day, end <= 1440

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Verdict:
    rule_id: str
    reason: str


# --- suppression ---------------------------------------------------------------------------


class SuppressionRule(ABC):
    rule_id: str

    @abstractmethod
    def check(self, attempt: ContactAttempt) -> Verdict | None:
        """A verdict when the attempt must never be made as things stand."""


@dataclass(frozen=True)
class ResolvedRule(SuppressionRule):
    rule_id: str

    def check(self, attempt: ContactAttempt) -> Verdict | None:
        if attempt.resolved:
            return Verdict(self.rule_id, "the case is resolved: no further collection contact")
        return None


@dataclass(frozen=True)
class HoldRule(SuppressionRule):
    """Any active hold stops contact; known hold types map to their own rule ids."""

    rule_id: str
    rule_ids_by_hold: Mapping[str, str] = field(default_factory=dict)

    def check(self, attempt: ContactAttempt) -> Verdict | None:
        for hold in attempt.holds:
            rule_id = self.rule_ids_by_hold.get(hold, self.rule_id)
            return Verdict(rule_id, f"the case is on hold ({hold}): contact is stopped")
        return None


@dataclass(frozen=True)
class CeaseContactRule(SuppressionRule):
    rule_id: str

    def check(self, attempt: ContactAttempt) -> Verdict | None:
        if attempt.preferences.cease_contact:
            return Verdict(self.rule_id, "the customer asked us to stop contacting them")
        return None


@dataclass(frozen=True)
class RefusedChannelRule(SuppressionRule):
    rule_id: str

    def check(self, attempt: ContactAttempt) -> Verdict | None:
        if attempt.channel in attempt.preferences.refused_channels:
            return Verdict(self.rule_id, f"the customer refused contact by {attempt.channel.value}")
        return None


# --- requirements --------------------------------------------------------------------------


@dataclass(frozen=True)
class OptOutRequirement:
    """Electronic messages must carry a simple way to opt out of that medium."""

    rule_id: str
    channels: frozenset[Channel] = frozenset({Channel.EMAIL, Channel.SMS})
    text: str = "the message must carry a simple way to opt out of this medium"

    def applies(self, attempt: ContactAttempt) -> bool:
        return attempt.channel in self.channels


@dataclass(frozen=True)
class Requirement:
    """A condition the contact must meet when it is made, e.g. notice before a field visit.

    The engine cannot check it (it knows nothing of the visit's team or notice letters); it puts
    the requirement on the decision for the caller (the visit planner) to enforce.
    """

    rule_id: str
    channels: frozenset[Channel]
    text: str

    def applies(self, attempt: ContactAttempt) -> bool:
        return attempt.channel in self.channels


# --- time rules ----------------------------------------------------------------------------


class TimeRule(ABC):
    rule_id: str

    @abstractmethod
    def applies(self, attempt: ContactAttempt) -> bool:
        """Whether this rule has anything to say about the attempt at all."""

    @abstractmethod
    def blocked(self, attempt: ContactAttempt, at: datetime) -> str | None:
        """Why the attempt may not happen at ``at`` (None: this rule is satisfied)."""

    @abstractmethod
    def next_ok(self, attempt: ContactAttempt, at: datetime) -> datetime | None:
        """Earliest instant >= ``at`` satisfying this rule alone; None if there is none."""


def _in_ranges(ranges: tuple[MinuteRange, ...], local: datetime) -> bool:
    secs = seconds_of_day(local)
    return any(start * 60 <= secs < end * 60 for start, end in ranges)


def _next_opening(
    ranges_for: Mapping[int, tuple[MinuteRange, ...]], zone: ZoneInfo, at: datetime
) -> datetime | None:
    """Earliest instant >= ``at`` whose local time falls in the window of its weekday."""
    local = at.astimezone(zone)
    if _in_ranges(ranges_for.get(local.weekday(), ()), local):
        return at
    today = local.date()
    for offset in range(9):
        day: date = today + timedelta(days=offset)
        for start, _end in sorted(ranges_for.get(day.weekday(), ())):
            candidate = wall_instant(day, start, zone)
            if candidate < at:
                continue
            cand_local = candidate.astimezone(zone)
            if _in_ranges(ranges_for.get(cand_local.weekday(), ()), cand_local):
                return candidate
    return None


def _describe_ranges(ranges: tuple[MinuteRange, ...]) -> str:
    return ", ".join(f"{hhmm(s)}–{hhmm(e)}" for s, e in sorted(ranges)) or "no hours"


@dataclass(frozen=True)
class LocalHoursRule(TimeRule):
    """Contact only inside per-weekday local windows (weekday 0 = Monday)."""

    rule_id: str
    ranges_by_weekday: Mapping[int, tuple[MinuteRange, ...]]
    channels: frozenset[Channel] = TIMED_CHANNELS
    waivable_by_consent: bool = False  # the source allows other times with the consent
    label: str = ""  # what the rule is, for the reason: "CN: no collection at night"

    def __post_init__(self) -> None:
        for weekday, ranges in self.ranges_by_weekday.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
            for start, end in ranges:
                if not 0 <= start < end <= 1440:
                    raise ValueError(f"bad minute range {(start, end)}: need 0 <= start < end")

    def applies(self, attempt: ContactAttempt) -> bool:
        if attempt.channel not in self.channels:
            return False
        return not (self.waivable_by_consent and attempt.preferences.consent_out_of_hours)

    def blocked(self, attempt: ContactAttempt, at: datetime) -> str | None:
        local = at.astimezone(attempt.zone)
        ranges = self.ranges_by_weekday.get(local.weekday(), ())
        if _in_ranges(ranges, local):
            return None
        suffix = f" ({self.label})" if self.label else ""
        clock = f"{local:%H:%M} {attempt.timezone}"
        uniform = len({tuple(r) for r in self.ranges_by_weekday.values()}) == 1 and (
            len(self.ranges_by_weekday) == 7
        )
        if not uniform:
            clock += f" on a {_WEEKDAY_NAMES[local.weekday()]}"
        return f"{clock} is outside {_describe_ranges(ranges)}{suffix}"

    def next_ok(self, attempt: ContactAttempt, at: datetime) -> datetime | None:
        return _next_opening(self.ranges_by_weekday, attempt.zone, at)


def every_day(*ranges: MinuteRange) -> dict[int, tuple[MinuteRange, ...]]:
    return dict.fromkeys(range(7), tuple(ranges))


def hm(hour: int, minute: int = 0) -> int:
    return hour * 60 + minute


@dataclass(frozen=True)
class PreferredHoursRule(TimeRule):
    """The customer's own preferred local hours, when they stated any."""

    rule_id: str
    channels: frozenset[Channel] = TIMED_CHANNELS

    def applies(self, attempt: ContactAttempt) -> bool:
        return attempt.channel in self.channels and attempt.preferences.preferred_hours is not None

    def _ranges(self, attempt: ContactAttempt) -> dict[int, tuple[MinuteRange, ...]]:
        windows = attempt.preferences.preferred_hours or ()
        ranges = tuple(r for window in windows for r in window.minute_ranges())
        return every_day(*ranges)

    def blocked(self, attempt: ContactAttempt, at: datetime) -> str | None:
        local = at.astimezone(attempt.zone)
        ranges = self._ranges(attempt)[0]
        if _in_ranges(ranges, local):
            return None
        windows = ", ".join(
            f"{w.start:%H:%M}–{w.end:%H:%M}" for w in attempt.preferences.preferred_hours or ()
        )
        clock = f"{local:%H:%M} {attempt.timezone}"
        return f"{clock} is outside the customer's preferred hours ({windows})"

    def next_ok(self, attempt: ContactAttempt, at: datetime) -> datetime | None:
        return _next_opening(self._ranges(attempt), attempt.zone, at)


@lru_cache(maxsize=16)
def _country_holidays(country: str) -> holidays.HolidayBase:
    # National holidays only (no subdivision); years are filled in lazily on lookup.
    return holidays.country_holidays(country)


# Filling in a year mutates the shared calendar: one lookup at a time.
_HOLIDAY_LOCK = threading.Lock()


@dataclass(frozen=True)
class PublicHolidayRule(TimeRule):
    rule_id: str
    country: str
    channels: frozenset[Channel] = TIMED_CHANNELS

    def applies(self, attempt: ContactAttempt) -> bool:
        return attempt.channel in self.channels

    def _holiday(self, day: date) -> str | None:
        with _HOLIDAY_LOCK:
            name = _country_holidays(self.country).get(day)
        return str(name) if name else None

    def blocked(self, attempt: ContactAttempt, at: datetime) -> str | None:
        day = at.astimezone(attempt.zone).date()
        name = self._holiday(day)
        if name is None:
            return None
        return (
            f"{day.isoformat()} ({attempt.timezone}) is a national public holiday in "
            f"{self.country} ({name}): no contact"
        )

    def next_ok(self, attempt: ContactAttempt, at: datetime) -> datetime | None:
        zone = attempt.zone
        day = at.astimezone(zone).date()
        if self._holiday(day) is None:
            return at
        for offset in range(1, 31):
            candidate_day = day + timedelta(days=offset)
            if self._holiday(candidate_day) is None:
                return wall_instant(candidate_day, 0, zone)
        return None


class Counted(StrEnum):
    """Which past contacts a cap counts."""

    CONNECTED = "connected"  # reached the number/address (busy/error/bounce excluded)
    CONVERSATION = "conversation"  # a live exchange took place
    UNANSWERED = "unanswered"  # no live exchange (includes attempts that never connected)
    CONTACT = "contact"  # a call with a conversation, or any other connected contact


def _counts(kind: Counted, contact: PastContact) -> bool:
    if kind is Counted.CONNECTED:
        return contact.connected
    if kind is Counted.CONVERSATION:
        return contact.conversation
    if kind is Counted.UNANSWERED:
        return not contact.conversation
    if contact.channel is Channel.CALL:
        return contact.conversation
    return contact.connected


@lru_cache(maxsize=65_536)
def _expiry(at: datetime, zone: ZoneInfo, days: int, months: int) -> datetime:
    """When a contact made at ``at`` stops counting (pure; cached: histories are re-read often)."""
    by_days = at.astimezone(UTC) + timedelta(days=days)
    if not months:
        return by_days
    local = at.astimezone(zone)
    later = add_months(local, months)
    by_months = wall_instant(later.date(), later.hour * 60 + later.minute, zone) + timedelta(
        seconds=later.second, microseconds=later.microsecond
    )
    return max(by_days, by_months) if days else by_months


@dataclass(frozen=True)
class RollingCapRule(TimeRule):
    """Fewer than ``limit`` counted contacts in the rolling period ending at the instant.

    A contact at ``t`` counts until ``t + days`` (exact elapsed time) or, for ``months``, until
    the same local wall time ``months`` later (day clamped to the month's end). With both, it
    counts until the later of the two (e.g. "10 a month" read as a calendar month but never
    less than 30 days). ``limit=1`` with a counted kind such as conversations makes a quiet
    period after each such contact.
    """

    rule_id: str
    applies_to: frozenset[Channel]
    counted_channels: frozenset[Channel]
    counted: Counted
    limit: int
    days: int = 0
    months: int = 0
    what: str = "contacts"  # for the reason: "calls", "telephone communications"...
    period_text: str = ""
    excludes_consented: bool = False  # contacts made with prior consent do not count

    def __post_init__(self) -> None:
        if self.limit < 1 or self.days < 0 or self.months < 0 or not (self.days or self.months):
            raise ValueError("a rolling cap needs limit >= 1 and a period in days and/or months")

    def applies(self, attempt: ContactAttempt) -> bool:
        return attempt.channel in self.applies_to

    def _counts(self, contact: PastContact) -> bool:
        if contact.channel not in self.counted_channels or not _counts(self.counted, contact):
            return False
        return not (self.excludes_consented and contact.with_consent)

    def _expiry(self, contact: PastContact, zone: ZoneInfo) -> datetime:
        return _expiry(contact.at, zone, self.days, self.months)

    def _live(self, attempt: ContactAttempt, at: datetime) -> list[datetime]:
        """Sorted expiry instants of the contacts counting against the cap at ``at``."""
        zone = attempt.zone
        # no contact counts longer than this: skip old ones without the wall-clock arithmetic
        oldest = at - timedelta(days=max(self.days, 32 * self.months))
        expiries = []
        for contact in attempt.history:
            if contact.at <= oldest or contact.at > at or not self._counts(contact):
                continue
            expiry = self._expiry(contact, zone)
            if expiry > at:
                expiries.append(expiry)
        return sorted(expiries)

    def blocked(self, attempt: ContactAttempt, at: datetime) -> str | None:
        live = self._live(attempt, at)
        if len(live) < self.limit:
            return None
        period = self.period_text or (f"{self.days} days" if self.days else f"{self.months} month")
        if self.limit == 1:
            last = max(
                contact.at
                for contact in attempt.history
                if self._counts(contact)
                and contact.at <= at
                and self._expiry(contact, attempt.zone) > at
            )
            when = last.astimezone(attempt.zone).strftime("%H:%M on %a %Y-%m-%d")
            return f"within {period} after a {self.what} (the {self.what.split()[-1]} at {when})"
        return f"already {len(live)} {self.what} in the last {period} (limit {self.limit})"

    def next_ok(self, attempt: ContactAttempt, at: datetime) -> datetime | None:
        live = self._live(attempt, at)
        if len(live) < self.limit:
            return at
        return live[len(live) - self.limit]


@dataclass(frozen=True)
class DailyCapRule(TimeRule):
    """Fewer than ``limit`` counted contacts on the customer's local calendar day."""

    rule_id: str
    applies_to: frozenset[Channel]
    counted_channels: frozenset[Channel]
    counted: Counted
    limit: int
    what: str = "contacts"

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("a daily cap needs limit >= 1")

    def applies(self, attempt: ContactAttempt) -> bool:
        return attempt.channel in self.applies_to

    def _count(self, attempt: ContactAttempt, at: datetime) -> int:
        zone = attempt.zone
        day = at.astimezone(zone).date()
        return sum(
            1
            for contact in attempt.history
            if contact.channel in self.counted_channels
            and _counts(self.counted, contact)
            and contact.at <= at
            and contact.at.astimezone(zone).date() == day
        )

    def blocked(self, attempt: ContactAttempt, at: datetime) -> str | None:
        count = self._count(attempt, at)
        if count < self.limit:
            return None
        day = at.astimezone(attempt.zone).date().isoformat()
        return f"already {count} {self.what} on {day} {attempt.timezone} (limit {self.limit} a day)"

    def next_ok(self, attempt: ContactAttempt, at: datetime) -> datetime | None:
        if self._count(attempt, at) < self.limit:
            return at
        day = at.astimezone(attempt.zone).date()
        return wall_instant(day + timedelta(days=1), 0, attempt.zone)


Rule = SuppressionRule | TimeRule | OptOutRequirement | Requirement
