"""Value types of the contact-rule engine: what is about to happen and what was decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    CALL = "call"
    LETTER = "letter"
    VISIT = "visit"


class HoldType(StrEnum):
    """Hold types the packs know by name (domain glossary); other strings still stop contact."""

    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    CEASE_CONTACT = "cease_contact"
    BREATHING_SPACE = "breathing_space"
    MENTAL_HEALTH_CRISIS = "mental_health_crisis"  # UK mental-health crisis moratorium
    BANKRUPTCY = "bankruptcy"
    DECEASED = "deceased"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DEFERRED = "deferred"  # allowed later: see ``Decision.not_before``
    SUPPRESSED = "suppressed"  # waiting does not help (hold, resolved, cease, refused channel)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError when it is not a known zone."""
    if not name:
        raise ValueError("empty timezone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {name!r}") from exc


@dataclass(frozen=True, slots=True)
class LocalWindow:
    """A window of local wall-clock time, ``start`` inclusive, ``end`` exclusive.

    ``end`` of ``00:00`` means midnight at the end of the day; ``start > end`` wraps past
    midnight (``20:00``–``02:00``). ``start == end`` is rejected (ambiguous: empty or whole day).
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("a local window needs start != end")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("local window bounds are wall-clock times without tzinfo")
        for bound in (self.start, self.end):
            if bound.second or bound.microsecond:
                # minute_ranges() works in whole minutes: refuse what it would silently drop
                raise ValueError(f"local window bounds are whole minutes, got {bound.isoformat()}")

    def minute_ranges(self) -> tuple[tuple[int, int], ...]:
        """Half-open [start, end) ranges in minutes of the day, split at midnight."""
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        if end == 0:
            end = 1440
        if start < end:
            return ((start, end),)
        return ((start, 1440), (0, end))


@dataclass(frozen=True, slots=True)
class ContactPreferences:
    """What the customer told us about being contacted."""

    preferred_hours: tuple[LocalWindow, ...] | None = None  # None: no stated preference
    refused_channels: frozenset[Channel] = frozenset()
    cease_contact: bool = False
    # consent to contact outside the pack's hours, where the pack's source allows consent
    consent_out_of_hours: bool = False

    def __post_init__(self) -> None:
        if self.preferred_hours is not None and not self.preferred_hours:
            raise ValueError("preferred_hours must be None or hold at least one window")


@dataclass(frozen=True, slots=True)
class PastContact:
    """One earlier contact (or attempt) about this debt.

    ``connected``: the attempt reached the dialed number / address (it rang through, was answered,
    went to voicemail, the message or letter was delivered). False for busy signals, network
    errors, bounced messages: such attempts never count towards caps on contacts; they do count
    towards caps on *unanswered attempts* (China's 6 unanswered calls a day).
    ``conversation``: a live exchange with the customer took place (a call was answered, a visit
    met the customer). China's "effective" (connected) calls are calls with a conversation.
    ``with_consent``: placed with the customer's prior consent to that contact; the US call cap
    (12 CFR 1006.14(b)(3)) does not count such calls.
    """

    channel: Channel
    at: datetime
    connected: bool = True
    conversation: bool = False
    with_consent: bool = False

    def __post_init__(self) -> None:
        _require_aware(self.at, "PastContact.at")
        if self.conversation and not self.connected:
            raise ValueError("a contact with a conversation must be connected")


@dataclass(frozen=True, slots=True)
class ContactAttempt:
    """A contact we are about to make, with everything the rules need to judge it."""

    channel: Channel
    now: datetime
    timezone: str  # the customer's IANA zone (see ``resolve_timezone``)
    preferences: ContactPreferences = field(default_factory=ContactPreferences)
    # active hold types on the case (see ``HoldType``); any hold stops contact, known ones
    # are reported under their own rule id where the pack has one
    holds: tuple[str, ...] = ()
    resolved: bool = False
    # past contacts and attempts, any order (one stamped after ``now`` counts as made ``now``).
    # Caps count per debt (US, US-MA) or per account (AU); CN counts per debtor, so for a CN
    # pack pass the debtor's contacts across all their debts.
    history: tuple[PastContact, ...] = ()
    # how ``timezone`` was obtained ("record", "coordinates", "phone"), echoed on the decision
    timezone_source: str = "record"

    def __post_init__(self) -> None:
        _require_aware(self.now, "ContactAttempt.now")
        load_zone(self.timezone)
        for hold in self.holds:
            if not hold:
                raise ValueError("hold types must be non-empty strings")

    @property
    def zone(self) -> ZoneInfo:
        return load_zone(self.timezone)


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer, fit for a decision log (``to_dict``)."""

    outcome: Outcome
    rule_id: str  # the rule that decided (for ``allowed``: ``<pack>.allowed``)
    pack_id: str
    pack_version: str
    reason: str
    channel: Channel
    evaluated_at: datetime
    timezone: str
    not_before: datetime | None = None  # aware; set only when deferred
    requires_opt_out: bool = False  # message must carry a simple opt-out (US 1006.6(e))
    # requirements the contact must meet when it is made (opt-out, visit notice...), with a
    # human-readable text for each, in the same order
    requirement_rule_ids: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    # every rule that pushed ``not_before`` later while searching (first is ``rule_id``)
    blocking_rule_ids: tuple[str, ...] = ()
    timezone_source: str = "record"

    def __post_init__(self) -> None:
        _require_aware(self.evaluated_at, "Decision.evaluated_at")
        if (self.outcome is Outcome.DEFERRED) != (self.not_before is not None):
            raise ValueError("not_before is set exactly when the outcome is deferred")
        if self.not_before is not None:
            _require_aware(self.not_before, "Decision.not_before")
        if len(self.requirements) != len(self.requirement_rule_ids):
            raise ValueError("one requirement text per requirement rule id")

    @property
    def is_allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "rule_id": self.rule_id,
            "pack_id": self.pack_id,
            "pack_version": self.pack_version,
            "reason": self.reason,
            "channel": self.channel.value,
            "evaluated_at": self.evaluated_at.isoformat(),
            "timezone": self.timezone,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "requires_opt_out": self.requires_opt_out,
            "requirement_rule_ids": list(self.requirement_rule_ids),
            "requirements": list(self.requirements),
            "blocking_rule_ids": list(self.blocking_rule_ids),
            "timezone_source": self.timezone_source,
        }
