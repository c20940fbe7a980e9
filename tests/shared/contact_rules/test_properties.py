"""Properties of ``decide`` over random instants, zones, packs, channels and histories.

The judge of "lawful" is the independent reading of the domain table in
``independent_checker.py``, not the engine's own rule classes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import available_timezones

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

ZONES = sorted(available_timezones() - {"localtime", "Factory"})
PACKS = available_packs()
PROPERTY_SETTINGS = settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

instants = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2032, 12, 31),
    timezones=st.timezones(),
    allow_imaginary=False,
)


@st.composite
def past_contacts(draw: st.DrawFn, now: datetime) -> PastContact:
    # mostly recent (caps bite), sometimes up to 40 days back (monthly caps, expiries)
    ago = draw(st.one_of(st.integers(0, 2 * 86_400), st.integers(0, 40 * 86_400)))
    connected = draw(st.booleans())
    return PastContact(
        channel=draw(st.sampled_from(list(Channel))),
        at=now - timedelta(seconds=ago),
        connected=connected,
        conversation=connected and draw(st.booleans()),
        with_consent=draw(st.integers(0, 9)) == 0,
    )


quarter_hours = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def windows(draw: st.DrawFn) -> LocalWindow:
    start = draw(quarter_hours)
    end = draw(quarter_hours.filter(lambda t: t != start))
    return LocalWindow(start, end)


@st.composite
def attempts(draw: st.DrawFn) -> tuple[RulePack, ContactAttempt]:
    pack = draw(st.sampled_from(PACKS))
    now = draw(instants)
    preferred = draw(st.one_of(st.none(), st.lists(windows(), min_size=1, max_size=2)))
    attempt = ContactAttempt(
        channel=draw(st.sampled_from(list(Channel))),
        now=now,
        timezone=draw(st.sampled_from(ZONES)),
        preferences=ContactPreferences(
            preferred_hours=tuple(preferred) if preferred else None,
        ),
        history=tuple(draw(st.lists(past_contacts(now), max_size=14))),
    )
    return pack, attempt


def to_sent(contact: PastContact) -> Sent:
    return Sent(
        contact.channel.value,
        contact.at,
        contact.connected,
        contact.conversation,
        contact.with_consent,
    )


def preferred_minutes(attempt: ContactAttempt) -> list[tuple[int, int]] | None:
    windows = attempt.preferences.preferred_hours
    if windows is None:
        return None
    return [(w.start.hour * 60 + w.start.minute, w.end.hour * 60 + w.end.minute) for w in windows]


def breaches_if_sent(pack: RulePack, attempt: ContactAttempt, at: datetime) -> list[str]:
    """What the independent checker objects to, for any outcome the contact might have."""
    history = [to_sent(contact) for contact in attempt.history]
    outcomes = [(True, True), (True, False), (False, False)]
    found: list[str] = []
    for connected, conversation in outcomes:
        new = Sent(attempt.channel.value, at, connected, conversation)
        found += violations(
            pack.id,
            attempt.timezone,
            [*history, new],
            preferred=preferred_minutes(attempt),
            only_last=True,
        )
    return found


@PROPERTY_SETTINGS
@given(attempts())
def test_an_allowed_contact_breaks_no_rule_of_the_table(case: tuple[RulePack, ContactAttempt]):
    pack, attempt = case
    decision = decide(pack, attempt)
    if decision.outcome is Outcome.ALLOWED:
        assert breaches_if_sent(pack, attempt, attempt.now) == [], decision.reason


@PROPERTY_SETTINGS
@given(attempts(), st.floats(0, 1))
def test_a_deferral_is_later_earliest_and_allowed_when_it_comes(
    case: tuple[RulePack, ContactAttempt], fraction: float
):
    pack, attempt = case
    decision = decide(pack, attempt)
    if decision.outcome is not Outcome.DEFERRED:
        return
    not_before = decision.not_before
    assert not_before is not None
    assert not_before > attempt.now
    assert not_before.utcoffset() == timedelta(0)

    # at not_before, with the same history: allowed, and lawful by the independent reading
    again = decide(pack, replace(attempt, now=not_before))
    assert again.outcome is Outcome.ALLOWED, again.reason
    assert breaches_if_sent(pack, attempt, not_before) == []

    # nothing earlier was allowed: asking in between gives the same answer
    between = attempt.now + (not_before - attempt.now) * fraction
    if between < not_before:
        middle = decide(pack, replace(attempt, now=between))
        assert middle.outcome is Outcome.DEFERRED
        assert middle.not_before == not_before


@PROPERTY_SETTINGS
@given(attempts())
def test_without_holds_or_refusals_only_a_missing_window_suppresses(
    case: tuple[RulePack, ContactAttempt],
):
    pack, attempt = case
    decision = decide(pack, attempt)
    if decision.outcome is Outcome.SUPPRESSED:
        assert decision.rule_id == f"{pack.prefix}.no_lawful_window"
        assert attempt.preferences.preferred_hours is not None  # only preferences can do that


@settings(max_examples=100, deadline=None)
@given(
    attempts(),
    st.sampled_from(["resolved", "hold", "cease", "refused"]),
)
def test_holds_resolution_and_opt_outs_always_suppress(
    case: tuple[RulePack, ContactAttempt], kind: str
):
    pack, attempt = case
    if kind == "resolved":
        attempt = replace(attempt, resolved=True)
    elif kind == "hold":
        attempt = replace(attempt, holds=("breathing_space",))
    elif kind == "cease":
        attempt = replace(attempt, preferences=ContactPreferences(cease_contact=True))
    else:
        refused = ContactPreferences(refused_channels=frozenset({attempt.channel}))
        attempt = replace(attempt, preferences=refused)
    decision = decide(pack, attempt)
    assert decision.outcome is Outcome.SUPPRESSED
    assert decision.not_before is None
    assert decision.rule_id in pack.rule_ids


def test_the_zone_list_is_the_systems_iana_list() -> None:
    assert len(ZONES) > 300
    assert {"Asia/Shanghai", "Australia/Lord_Howe", "America/St_Johns"} <= set(ZONES)
