"""A month of collection contact for 1,000 customers, audited by an independent checker.

Each simulated case wants to send SMS or calls several times a day. The simulator asks
``decide``, sends when allowed, waits until ``not_before`` when deferred and records what it
sent (with a random outcome: unanswered, answered, conversation...). Then
``independent_checker`` — written from the domain table, not from the engine — audits every
case's log for hours, preferred hours, caps, public holidays, conversation waits, holds and
refused channels.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from doorstep_shared.contact_rules import (
    Channel,
    ContactAttempt,
    ContactPreferences,
    LocalWindow,
    Outcome,
    PastContact,
    RulePack,
    available_packs,
    decide,
)
from tests.shared.contact_rules.independent_checker import Sent, violations

SEED = 20260301
CASES = 1_000
DAYS = 30
FIRST_START = datetime(2026, 3, 1, tzinfo=UTC)  # starts spread over 20 days: US, UK, AU DST
# changes (8 Mar, 29 Mar, 5 Apr) and AU Good Friday / Easter Monday (3 and 6 Apr) fall inside

PACK_ZONES = {
    "CN": ["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong"],
    "US": [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ],
    "US-MA": ["America/New_York"],
    "UK": ["Europe/London"],
    "IN": ["Asia/Kolkata"],
    "AU": [
        "Australia/Sydney",
        "Australia/Melbourne",
        "Australia/Brisbane",
        "Australia/Adelaide",
        "Australia/Perth",
        "Australia/Darwin",
        "Australia/Lord_Howe",
    ],
}
# customers who live abroad: the rules still apply in their local time
ABROAD = ["Europe/Berlin", "Asia/Tokyo", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham"]


@dataclass
class Case:
    pack: RulePack
    zone: str
    start: datetime
    wants: list[tuple[datetime, Channel]]
    preferred: tuple[LocalWindow, ...] | None = None
    refused: frozenset[Channel] = frozenset()
    stop_at: datetime | None = None  # a breathing-space hold from then on
    sent: list[Sent] = field(default_factory=list)


def make_case(rng: random.Random, pack: RulePack) -> Case:
    zone = rng.choice(ABROAD) if rng.random() < 0.1 else rng.choice(PACK_ZONES[pack.id])
    start = FIRST_START + timedelta(days=rng.randrange(20), seconds=rng.randrange(86_400))
    per_day = 9 if rng.random() < 0.15 else 3  # some cases push hard on the caps
    wants = sorted(
        (
            start + timedelta(days=day, seconds=rng.randrange(86_400)),
            Channel.CALL if rng.random() < 0.6 else Channel.SMS,
        )
        for day in range(DAYS)
        for _ in range(per_day)
    )
    case = Case(pack, zone, start, wants)
    if rng.random() < 0.15:
        opens = rng.randrange(6 * 4, 20 * 4) * 15  # minutes
        closes = (opens + rng.randrange(2 * 4, 8 * 4) * 15) % 1440
        case.preferred = (
            LocalWindow(time(opens // 60, opens % 60), time(closes // 60, closes % 60)),
        )
    if rng.random() < 0.05:
        case.refused = frozenset({rng.choice([Channel.CALL, Channel.SMS])})
    if rng.random() < 0.05:
        case.stop_at = start + timedelta(days=rng.uniform(3, 27))
    return case


def outcome(rng: random.Random, channel: Channel) -> tuple[bool, bool]:
    """(connected, conversation) of a contact once made."""
    r = rng.random()
    if channel is Channel.CALL:
        return (r >= 0.25, r >= 0.6)
    return (r < 0.92, False)


def run(case: Case, rng: random.Random, stats: Counter[str]) -> None:
    end = case.start + timedelta(days=DAYS)
    prefs = ContactPreferences(preferred_hours=case.preferred, refused_channels=case.refused)
    history: list[PastContact] = []
    clock = case.start
    for wanted_at, channel in case.wants:
        at = max(wanted_at, clock)
        deferrals = 0
        while at < end:
            holds = ("breathing_space",) if case.stop_at and at >= case.stop_at else ()
            decision = decide(
                case.pack,
                ContactAttempt(
                    channel=channel,
                    now=at,
                    timezone=case.zone,
                    preferences=prefs,
                    holds=holds,
                    history=tuple(history),
                ),
            )
            stats[decision.outcome.value] += 1
            stats[f"rule:{decision.rule_id.split('.', 1)[1]}"] += 1
            for rule_id in decision.blocking_rule_ids:
                stats[f"blocked_by:{rule_id.split('.', 1)[1]}"] += 1
            if decision.outcome is Outcome.ALLOWED:
                connected, conversation = outcome(rng, channel)
                history.append(PastContact(channel, at, connected, conversation))
                case.sent.append(Sent(channel.value, at, connected, conversation))
                clock = at
                break
            if decision.outcome is Outcome.SUPPRESSED:
                break
            assert decision.not_before is not None
            assert decision.not_before > at
            if deferrals:
                stats["deferred_again_at_not_before"] += 1
            deferrals += 1
            at = decision.not_before  # wait until then, ask again


def test_a_month_of_contacts_for_1000_cases_has_no_violation() -> None:
    rng = random.Random(SEED)
    packs = available_packs()
    cases = [make_case(rng, packs[i % len(packs)]) for i in range(CASES)]
    stats: Counter[str] = Counter()
    for case in cases:
        run(case, rng, stats)

    found: list[str] = []
    for case in cases:
        preferred = (
            [
                (w.start.hour * 60 + w.start.minute, w.end.hour * 60 + w.end.minute)
                for w in case.preferred
            ]
            if case.preferred
            else None
        )
        found += [
            f"{case.pack.id} {case.zone}: {v}"
            for v in violations(
                case.pack.id,
                case.zone,
                case.sent,
                preferred=preferred,
                refused=frozenset(c.value for c in case.refused),
                stop_at=case.stop_at,
            )
        ]
    assert found == [], f"{len(found)} violations, first: {found[:5]}"

    # a re-ask at not_before is always allowed: the engine never defers twice in a row
    assert stats["deferred_again_at_not_before"] == 0
    # the simulation really went through the rules the checker audits
    sent = sum(len(case.sent) for case in cases)
    assert sent > 20_000, stats
    assert stats["deferred"] > 10_000, stats
    for rule in (
        "1006.6b1.hours",
        "1006.14b2.conversation_wait",
        "1006.14b2.seven_calls_in_7_days",
        "940cmr7_04_1f.two_telephone_in_7_days",
        "cba2026.night",
        "nifa.3_connected_calls_per_day",
        "cba2026.6_unanswered_calls_per_day",
        "rbi2022.hours",
        "conc.reasonable_hours",
        "conc.7_3_10.preferences",
        "accc.phone_hours",
        "accc.public_holiday",
        "accc.3_per_week",
        "accc.10_per_month",
        "drs.breathing_space",
    ):
        hits = stats[f"blocked_by:{rule}"] + stats[f"rule:{rule}"]
        assert hits > 0, f"the simulation never hit {rule}: {stats}"
