"""The contact-rule engine per pack, at the edges the domain brief's table draws (§3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from doorstep_shared.contact_rules import (
    AU,
    CN,
    IN,
    UK,
    US,
    US_MA,
    Channel,
    ContactAttempt,
    ContactPreferences,
    Decision,
    LocalWindow,
    Outcome,
    PastContact,
    RulePack,
    UnknownPackError,
    available_packs,
    decide,
    pack_for,
)
from doorstep_shared.contact_rules.localtime import wall_instant

SHANGHAI = "Asia/Shanghai"
NEW_YORK = "America/New_York"
BOSTON = "America/New_York"
LONDON = "Europe/London"
KOLKATA = "Asia/Kolkata"
SYDNEY = "Australia/Sydney"


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def ask(
    pack: RulePack,
    channel: Channel,
    now: datetime,
    zone: str,
    *,
    history: tuple[PastContact, ...] = (),
    preferences: ContactPreferences | None = None,
    holds: tuple[str, ...] = (),
    resolved: bool = False,
) -> Decision:
    return decide(
        pack,
        ContactAttempt(
            channel=channel,
            now=now,
            timezone=zone,
            preferences=preferences or ContactPreferences(),
            holds=holds,
            resolved=resolved,
            history=history,
        ),
    )


def assert_deferred_to(decision: Decision, rule_id: str, when: datetime) -> None:
    assert decision.outcome is Outcome.DEFERRED, decision.reason
    assert decision.rule_id == rule_id, decision.reason
    assert decision.not_before == when, (decision.not_before, when, decision.reason)


# --- hours at the edges (2026-03-03 is a Tuesday) --------------------------------------------

HOUR_EDGES = [
    # pack, zone, rule id, opening (h, m), closing (h, m)
    (US, NEW_YORK, "us.1006.6b1.hours", (8, 0), (21, 0)),
    (US_MA, BOSTON, "us.1006.6b1.hours", (8, 0), (21, 0)),
    (IN, KOLKATA, "in.rbi2022.hours", (8, 0), (19, 0)),
    (CN, SHANGHAI, "cn.cba2026.night", (8, 0), (22, 0)),
    (UK, LONDON, "uk.conc.reasonable_hours", (8, 0), (21, 0)),
    (AU, SYDNEY, "au.accc.phone_hours", (7, 30), (21, 0)),
]


@pytest.mark.parametrize(("pack", "zone", "rule_id", "opening", "closing"), HOUR_EDGES)
@pytest.mark.parametrize("channel", [Channel.CALL, Channel.SMS, Channel.EMAIL])
def test_one_minute_before_opening_is_deferred_to_the_opening(
    pack: RulePack,
    zone: str,
    rule_id: str,
    opening: tuple[int, int],
    closing: tuple[int, int],
    channel: Channel,
) -> None:
    opens = local(zone, 2026, 3, 3, *opening)
    decision = ask(pack, channel, opens - timedelta(minutes=1), zone)
    assert_deferred_to(decision, rule_id, opens)
    assert decision.pack_id == pack.id
    assert decision.pack_version == pack.version == "2026.1"
    assert f"{opening[0] - (1 if opening[1] == 0 else 0):02d}:" in decision.reason
    assert zone in decision.reason


@pytest.mark.parametrize(("pack", "zone", "rule_id", "opening", "closing"), HOUR_EDGES)
def test_the_opening_minute_and_the_last_minute_are_allowed(
    pack: RulePack, zone: str, rule_id: str, opening: tuple[int, int], closing: tuple[int, int]
) -> None:
    for now in (
        local(zone, 2026, 3, 3, *opening),
        local(zone, 2026, 3, 3, *closing) - timedelta(minutes=1),
    ):
        decision = ask(pack, Channel.CALL, now, zone)
        assert decision.outcome is Outcome.ALLOWED, decision.reason
        assert decision.rule_id == f"{pack.prefix}.allowed"  # "us-ma.allowed" for US-MA
        assert decision.not_before is None


@pytest.mark.parametrize(("pack", "zone", "rule_id", "opening", "closing"), HOUR_EDGES)
def test_the_closing_time_itself_is_deferred_to_the_next_opening(
    pack: RulePack, zone: str, rule_id: str, opening: tuple[int, int], closing: tuple[int, int]
) -> None:
    decision = ask(pack, Channel.CALL, local(zone, 2026, 3, 3, *closing), zone)
    assert_deferred_to(decision, rule_id, local(zone, 2026, 3, 4, *opening))
    assert "tomorrow" in decision.reason


def test_cn_reason_names_the_local_time_the_zone_and_the_window() -> None:
    decision = ask(CN, Channel.CALL, local(SHANGHAI, 2026, 3, 3, 22, 30), SHANGHAI)
    assert decision.reason.startswith("22:30 Asia/Shanghai is outside 08:00–22:00 (CN: no")
    assert "deferred to 08:00 tomorrow Asia/Shanghai" in decision.reason


def test_cn_night_rule_covers_visits_and_consent_waives_it() -> None:
    night = local(SHANGHAI, 2026, 3, 3, 23, 0)
    visit = ask(CN, Channel.VISIT, night, SHANGHAI)
    assert_deferred_to(visit, "cn.cba2026.night", local(SHANGHAI, 2026, 3, 4, 8))
    consented = ask(
        CN, Channel.CALL, night, SHANGHAI, preferences=ContactPreferences(consent_out_of_hours=True)
    )
    assert consented.outcome is Outcome.ALLOWED


def test_us_hours_are_not_waived_by_consent() -> None:
    decision = ask(
        US,
        Channel.CALL,
        local(NEW_YORK, 2026, 3, 3, 22),
        NEW_YORK,
        preferences=ContactPreferences(consent_out_of_hours=True),
    )
    assert decision.outcome is Outcome.DEFERRED


def test_letters_are_not_timed() -> None:
    for pack in available_packs():
        decision = ask(pack, Channel.LETTER, local(SHANGHAI, 2026, 3, 3, 3), SHANGHAI)
        assert decision.outcome is Outcome.ALLOWED, (pack.key, decision.reason)


# --- AU week/weekend hours, visits, public holidays --------------------------------------------


def test_au_phone_weekend_hours_start_at_nine() -> None:
    saturday = local(SYDNEY, 2026, 3, 7, 8, 59)
    decision = ask(AU, Channel.CALL, saturday, SYDNEY)
    assert_deferred_to(decision, "au.accc.phone_hours", local(SYDNEY, 2026, 3, 7, 9))
    assert "on a Saturday" in decision.reason
    assert ask(AU, Channel.CALL, local(SYDNEY, 2026, 3, 8, 9), SYDNEY).is_allowed


def test_au_friday_night_is_deferred_to_saturday_nine_not_seven_thirty() -> None:
    decision = ask(AU, Channel.SMS, local(SYDNEY, 2026, 3, 6, 21), SYDNEY)
    assert_deferred_to(decision, "au.accc.phone_hours", local(SYDNEY, 2026, 3, 7, 9))


def test_au_sunday_night_is_deferred_to_monday_seven_thirty() -> None:
    decision = ask(AU, Channel.CALL, local(SYDNEY, 2026, 3, 8, 21, 15), SYDNEY)
    assert_deferred_to(decision, "au.accc.phone_hours", local(SYDNEY, 2026, 3, 9, 7, 30))


def test_au_face_to_face_is_nine_to_nine_on_weekdays_too() -> None:
    decision = ask(AU, Channel.VISIT, local(SYDNEY, 2026, 3, 3, 8), SYDNEY)
    assert_deferred_to(decision, "au.accc.face_to_face_hours", local(SYDNEY, 2026, 3, 3, 9))
    assert ask(AU, Channel.VISIT, local(SYDNEY, 2026, 3, 3, 20, 59), SYDNEY).is_allowed


def test_au_national_public_holiday_defers_to_the_next_days_opening() -> None:
    australia_day = local(SYDNEY, 2026, 1, 26, 10)  # Monday
    decision = ask(AU, Channel.CALL, australia_day, SYDNEY)
    assert_deferred_to(decision, "au.accc.public_holiday", local(SYDNEY, 2026, 1, 27, 7, 30))
    assert "Australia Day" in decision.reason
    assert "au.accc.phone_hours" in decision.blocking_rule_ids


def test_au_good_friday_defers_to_saturday_weekend_opening() -> None:
    decision = ask(AU, Channel.CALL, local(SYDNEY, 2026, 4, 3, 12), SYDNEY)
    assert_deferred_to(decision, "au.accc.public_holiday", local(SYDNEY, 2026, 4, 4, 9))


def test_au_holiday_is_the_customers_local_date() -> None:
    # 25 Dec 10:00 in Perth is already Christmas Day; 24 Dec 23:30 UTC is not yet in London
    perth = ask(AU, Channel.CALL, local("Australia/Perth", 2026, 12, 25, 10), "Australia/Perth")
    assert perth.rule_id == "au.accc.public_holiday"
    london = ask(AU, Channel.CALL, datetime(2026, 12, 24, 11, 0, tzinfo=UTC), LONDON)
    assert london.is_allowed, london.reason


def test_no_other_pack_blocks_public_holidays() -> None:
    christmas = local(NEW_YORK, 2026, 12, 25, 10)
    assert ask(US, Channel.CALL, christmas, NEW_YORK).is_allowed


# --- DST --------------------------------------------------------------------------------------


def test_us_deferral_across_spring_forward_lands_on_eight_edt() -> None:
    # Sat 2026-03-07 21:30 EST; clocks jump 02:00 EST -> 03:00 EDT on Sun 2026-03-08
    decision = ask(US, Channel.CALL, local(NEW_YORK, 2026, 3, 7, 21, 30), NEW_YORK)
    assert decision.not_before == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT (-4)
    assert decision.not_before is not None
    assert decision.not_before.astimezone(ZoneInfo(NEW_YORK)).hour == 8


def test_uk_deferral_across_autumn_fall_back_lands_on_eight_gmt() -> None:
    # Sat 2026-10-24 21:30 BST; clocks go back 02:00 BST -> 01:00 GMT on Sun 2026-10-25
    decision = ask(UK, Channel.SMS, local(LONDON, 2026, 10, 24, 21, 30), LONDON)
    assert decision.not_before == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # 08:00 GMT (+0)
    assert "08:00 tomorrow" in decision.reason


def test_wall_instant_in_a_gap_is_the_jump_and_in_an_overlap_the_first_occurrence() -> None:
    new_york = ZoneInfo(NEW_YORK)
    assert wall_instant(date(2026, 3, 8), 150, new_york) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    london = ZoneInfo(LONDON)
    assert wall_instant(date(2026, 10, 25), 90, london) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_preferred_window_opening_inside_the_spring_gap_opens_at_the_jump() -> None:
    prefs = ContactPreferences(
        preferred_hours=(LocalWindow(time(2, 30), time(4, 0)),), consent_out_of_hours=True
    )
    decision = ask(CN, Channel.CALL, local(NEW_YORK, 2026, 3, 8, 1, 0), NEW_YORK, preferences=prefs)
    assert_deferred_to(
        decision, "cn.doorstep.preferred_hours", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    )


def test_us_seven_day_caps_count_elapsed_time_across_dst() -> None:
    # 7 connected calls, the first Mon 2026-03-02 10:00 EST (15:00 UTC): it stops counting
    # 7×24 h later, at 15:00 UTC on Mon 2026-03-09, which reads 11:00 EDT.
    first = local(NEW_YORK, 2026, 3, 2, 10)
    history = tuple(
        PastContact(Channel.CALL, first + timedelta(hours=2 * i), connected=True) for i in range(7)
    )
    decision = ask(US, Channel.CALL, local(NEW_YORK, 2026, 3, 9, 9), NEW_YORK, history=history)
    assert_deferred_to(
        decision, "us.1006.14b2.seven_calls_in_7_days", datetime(2026, 3, 9, 15, tzinfo=UTC)
    )


# --- caps ------------------------------------------------------------------------------------


def calls(*ats: datetime, connected: bool = True, conversation: bool = False) -> list[PastContact]:
    return [PastContact(Channel.CALL, at, connected, conversation) for at in ats]


def test_us_eighth_connected_call_in_seven_days_is_deferred() -> None:
    now = local(NEW_YORK, 2026, 3, 20, 12)
    ats = [local(NEW_YORK, 2026, 3, 14 + i, 10) for i in range(6)] + [now - timedelta(hours=1)]
    history = tuple(calls(*ats))
    decision = ask(US, Channel.CALL, now, NEW_YORK, history=history)
    assert_deferred_to(
        decision, "us.1006.14b2.seven_calls_in_7_days", local(NEW_YORK, 2026, 3, 21, 10)
    )
    assert "already 7 connected calls in the last 7 days (limit 7)" in decision.reason


def test_us_unconnected_and_consented_calls_do_not_count() -> None:
    now = local(NEW_YORK, 2026, 3, 20, 12)
    ats = [local(NEW_YORK, 2026, 3, 14 + i, 10) for i in range(6)]
    unconnected = calls(now - timedelta(hours=1), connected=False)
    consented = [PastContact(Channel.CALL, now - timedelta(hours=2), with_consent=True)]
    history = (*calls(*ats), *unconnected, *consented)
    assert ask(US, Channel.CALL, now, NEW_YORK, history=history).is_allowed


def test_us_call_within_seven_days_after_a_conversation_is_deferred() -> None:
    talk = local(NEW_YORK, 2026, 3, 17, 15, 20)
    history = tuple(calls(talk, conversation=True))
    now = local(NEW_YORK, 2026, 3, 20, 12)
    decision = ask(US, Channel.CALL, now, NEW_YORK, history=history)
    assert_deferred_to(decision, "us.1006.14b2.conversation_wait", talk + timedelta(days=7))
    assert "within 7 days after a telephone conversation" in decision.reason
    # a text is not a call: allowed, and it carries the opt-out
    text = ask(US, Channel.SMS, now, NEW_YORK, history=history)
    assert text.is_allowed
    assert text.requires_opt_out


def test_us_conversation_wait_that_ends_at_night_waits_for_the_morning() -> None:
    talk = local(NEW_YORK, 2026, 3, 6, 20, 45)
    history = tuple(calls(talk, conversation=True))
    decision = ask(US, Channel.CALL, local(NEW_YORK, 2026, 3, 13, 12), NEW_YORK, history=history)
    # 7×24 h after 20:45 EST is 21:45 EDT (DST began on the 8th): after hours, so 08:00 next day
    assert_deferred_to(decision, "us.1006.14b2.conversation_wait", local(NEW_YORK, 2026, 3, 14, 8))
    assert "conversation at 20:45 on Fri 2026-03-06" in decision.reason
    assert decision.blocking_rule_ids == (
        "us.1006.14b2.conversation_wait",
        "us.1006.6b1.hours",
    )


def test_ma_third_telephone_communication_in_seven_days_is_deferred() -> None:
    now = local(BOSTON, 2026, 3, 20, 12)
    history = (
        PastContact(Channel.CALL, local(BOSTON, 2026, 3, 16, 10), connected=True),
        PastContact(Channel.SMS, local(BOSTON, 2026, 3, 18, 10), connected=True),
    )
    for channel in (Channel.SMS, Channel.CALL):
        decision = ask(US_MA, channel, now, BOSTON, history=history)
        assert_deferred_to(
            decision,
            "us-ma.940cmr7_04_1f.two_telephone_in_7_days",
            local(BOSTON, 2026, 3, 23, 10),
        )
    # plain US rules allow the third text, and e-mail is not a telephone communication
    assert ask(US, Channel.SMS, now, BOSTON, history=history).is_allowed
    assert ask(US_MA, Channel.EMAIL, now, BOSTON, history=history).is_allowed


def test_cn_fourth_connected_call_of_the_day_waits_for_tomorrow_morning() -> None:
    ats = [local(SHANGHAI, 2026, 3, 3, h) for h in (9, 11, 14)]
    history = tuple(calls(*ats, conversation=True))
    decision = ask(CN, Channel.CALL, local(SHANGHAI, 2026, 3, 3, 16), SHANGHAI, history=history)
    assert_deferred_to(
        decision, "cn.nifa.3_connected_calls_per_day", local(SHANGHAI, 2026, 3, 4, 8)
    )
    assert decision.blocking_rule_ids == ("cn.nifa.3_connected_calls_per_day", "cn.cba2026.night")
    # an SMS is not a call
    assert ask(
        CN, Channel.SMS, local(SHANGHAI, 2026, 3, 3, 16), SHANGHAI, history=history
    ).is_allowed


def test_cn_calls_without_conversation_do_not_use_up_the_three_but_six_unanswered_do() -> None:
    now = local(SHANGHAI, 2026, 3, 3, 20)
    five = tuple(calls(*[local(SHANGHAI, 2026, 3, 3, 9 + i) for i in range(5)], connected=False))
    assert ask(CN, Channel.CALL, now, SHANGHAI, history=five).is_allowed
    six = (*five, *calls(local(SHANGHAI, 2026, 3, 3, 15), connected=True))
    decision = ask(CN, Channel.CALL, now, SHANGHAI, history=six)
    assert_deferred_to(
        decision, "cn.cba2026.6_unanswered_calls_per_day", local(SHANGHAI, 2026, 3, 4, 8)
    )


def test_au_fourth_contact_in_a_week_is_deferred() -> None:
    history = (
        PastContact(Channel.CALL, local(SYDNEY, 2026, 3, 2, 10), conversation=True),
        PastContact(Channel.SMS, local(SYDNEY, 2026, 3, 4, 10)),
        PastContact(Channel.LETTER, local(SYDNEY, 2026, 3, 5, 10)),
        PastContact(Channel.CALL, local(SYDNEY, 2026, 3, 6, 10), connected=False),  # attempt
        PastContact(Channel.VISIT, local(SYDNEY, 2026, 3, 6, 11), conversation=True),  # f2f
    )
    decision = ask(AU, Channel.EMAIL, local(SYDNEY, 2026, 3, 6, 12), SYDNEY, history=history)
    assert_deferred_to(decision, "au.accc.3_per_week", local(SYDNEY, 2026, 3, 9, 10))
    # face-to-face contact is outside the weekly cap
    assert ask(AU, Channel.VISIT, local(SYDNEY, 2026, 3, 6, 12), SYDNEY, history=history).is_allowed


def test_au_eleventh_contact_in_a_month_is_deferred() -> None:
    days = (2, 4, 7, 10, 12, 15, 17, 20, 23, 25)  # never more than 3 in any 7 days
    history = tuple(PastContact(Channel.CALL, local(SYDNEY, 2026, 3, d, 10)) for d in days)
    decision = ask(AU, Channel.CALL, local(SYDNEY, 2026, 3, 28, 10), SYDNEY, history=history)
    # the first contact stops counting one calendar month later (longer than 30 days here)
    assert_deferred_to(decision, "au.accc.10_per_month", local(SYDNEY, 2026, 4, 2, 10))
    assert "already 10 contacts" in decision.reason


def test_au_month_in_february_still_lasts_thirty_days() -> None:
    days = (2, 4, 7, 10, 12, 15, 17, 20, 23, 25)
    history = tuple(PastContact(Channel.SMS, local(SYDNEY, 2026, 2, d, 10)) for d in days)
    decision = ask(AU, Channel.SMS, local(SYDNEY, 2026, 3, 3, 10), SYDNEY, history=history)
    # 2 Feb + 1 month is 2 Mar, but + 30 days is 4 Mar: the later one wins
    assert_deferred_to(decision, "au.accc.10_per_month", local(SYDNEY, 2026, 3, 4, 10))


# --- preferences, suppression, requirements ----------------------------------------------------


def evening() -> ContactPreferences:
    return ContactPreferences(preferred_hours=(LocalWindow(time(18), time(20)),))


def test_uk_preferred_hours_defer_to_the_customers_window() -> None:
    decision = ask(UK, Channel.CALL, local(LONDON, 2026, 3, 3, 10), LONDON, preferences=evening())
    assert_deferred_to(decision, "uk.conc.7_3_10.preferences", local(LONDON, 2026, 3, 3, 18))
    assert "preferred hours (18:00–20:00)" in decision.reason
    inside = ask(UK, Channel.CALL, local(LONDON, 2026, 3, 3, 18, 30), LONDON, preferences=evening())
    assert inside.is_allowed
    after = ask(UK, Channel.CALL, local(LONDON, 2026, 3, 3, 20), LONDON, preferences=evening())
    assert_deferred_to(after, "uk.conc.7_3_10.preferences", local(LONDON, 2026, 3, 4, 18))


def test_preferred_hours_only_narrow_the_legal_hours() -> None:
    late = ContactPreferences(preferred_hours=(LocalWindow(time(20), time(23)),))
    decision = ask(UK, Channel.CALL, local(LONDON, 2026, 3, 3, 21, 30), LONDON, preferences=late)
    assert_deferred_to(decision, "uk.conc.reasonable_hours", local(LONDON, 2026, 3, 4, 20))


def test_preferred_hours_that_never_meet_the_legal_hours_suppress_with_no_lawful_window() -> None:
    night = ContactPreferences(preferred_hours=(LocalWindow(time(22), time(23)),))
    decision = ask(UK, Channel.CALL, local(LONDON, 2026, 3, 3, 10), LONDON, preferences=night)
    assert decision.outcome is Outcome.SUPPRESSED
    assert decision.rule_id == "uk.no_lawful_window"
    assert "no lawful window within 400 days" in decision.reason
    assert set(decision.blocking_rule_ids) == {
        "uk.conc.7_3_10.preferences",
        "uk.conc.reasonable_hours",
    }


@pytest.mark.parametrize("pack", [CN, US, US_MA, UK, IN, AU], ids=lambda p: p.id)
def test_every_pack_honours_preferred_hours(pack: RulePack) -> None:
    decision = ask(pack, Channel.SMS, local(LONDON, 2026, 3, 3, 10), LONDON, preferences=evening())
    assert decision.outcome is Outcome.DEFERRED
    assert decision.not_before == local(LONDON, 2026, 3, 3, 18)


SUPPRESSIONS = [
    # pack, attempt changes, rule id
    (US, {"preferences": ContactPreferences(cease_contact=True)}, "us.1006.6c.cease_communication"),
    (UK, {"preferences": ContactPreferences(cease_contact=True)}, "uk.doorstep.cease_contact"),
    (CN, {"preferences": ContactPreferences(cease_contact=True)}, "cn.doorstep.cease_contact"),
    (UK, {"holds": ("breathing_space",)}, "uk.drs.breathing_space"),
    (US, {"holds": ("cease_contact",)}, "us.1006.6c.cease_communication"),
    (CN, {"holds": ("cease_contact",)}, "cn.doorstep.cease_contact"),
    (UK, {"holds": ("mental_health_crisis",)}, "uk.drs.breathing_space"),
    (UK, {"holds": ("deceased",)}, "uk.doorstep.hold"),
    (US, {"holds": ("dispute",)}, "us.1006.38.dispute"),
    (AU, {"holds": ("bankruptcy",)}, "au.doorstep.hold"),
    (IN, {"resolved": True}, "in.doorstep.resolved"),
    (US_MA, {"resolved": True}, "us.doorstep.resolved"),
    (
        US,
        {"preferences": ContactPreferences(refused_channels=frozenset({Channel.CALL}))},
        "us.1006.14h.refused_medium",
    ),
    (
        UK,
        {"preferences": ContactPreferences(refused_channels=frozenset({Channel.CALL}))},
        "uk.conc.7_3_10.refused_channel",
    ),
    (
        AU,
        {"preferences": ContactPreferences(refused_channels=frozenset({Channel.CALL}))},
        "au.doorstep.refused_channel",
    ),
]


@pytest.mark.parametrize(("pack", "changes", "rule_id"), SUPPRESSIONS)
@pytest.mark.parametrize("hour", [3, 12])  # at night too: suppression wins over deferral
def test_suppression_is_immediate_and_names_its_rule(
    pack: RulePack, changes: dict[str, object], rule_id: str, hour: int
) -> None:
    decision = ask(pack, Channel.CALL, local(LONDON, 2026, 3, 3, hour), LONDON, **changes)  # type: ignore[arg-type]
    assert decision.outcome is Outcome.SUPPRESSED
    assert decision.rule_id == rule_id
    assert decision.not_before is None
    assert pack.source_for(rule_id)


def test_refused_channel_leaves_the_other_channels_open() -> None:
    no_calls = ContactPreferences(refused_channels=frozenset({Channel.CALL}))
    decision = ask(US, Channel.SMS, local(NEW_YORK, 2026, 3, 3, 12), NEW_YORK, preferences=no_calls)
    assert decision.is_allowed


@pytest.mark.parametrize("pack", [US, US_MA], ids=lambda p: p.id)
def test_us_email_and_sms_carry_the_opt_out_requirement(pack: RulePack) -> None:
    for channel in (Channel.EMAIL, Channel.SMS):
        for hour in (12, 23):  # allowed and deferred decisions both carry it
            decision = ask(pack, channel, local(NEW_YORK, 2026, 3, 3, hour), NEW_YORK)
            assert decision.requires_opt_out
            assert decision.requirement_rule_ids == ("us.1006.6e.opt_out",)
            assert "opt out" in decision.requirements[0]
    call = ask(pack, Channel.CALL, local(NEW_YORK, 2026, 3, 3, 12), NEW_YORK)
    assert not call.requires_opt_out
    assert call.requirement_rule_ids == ()


def test_other_packs_do_not_require_an_opt_out() -> None:
    for pack in (CN, UK, IN, AU):
        decision = ask(pack, Channel.SMS, local(LONDON, 2026, 3, 3, 12), LONDON)
        assert not decision.requires_opt_out


def test_visit_requirements_come_from_the_pack() -> None:
    uk = ask(UK, Channel.VISIT, local(LONDON, 2026, 3, 3, 12), LONDON)
    assert uk.is_allowed
    assert uk.requirement_rule_ids == ("uk.conc.7_9_12.visit_notice",)
    assert "notice" in uk.requirements[0]
    cn = ask(CN, Channel.VISIT, local(SHANGHAI, 2026, 3, 3, 12), SHANGHAI)
    assert cn.requirement_rule_ids == ("cn.cba2026.visit_conduct",)
    assert "not confirmed" in CN.source_for("cn.cba2026.visit_conduct").lower()


# --- packs and decisions -----------------------------------------------------------------------


def test_registry_lists_the_six_packs_and_resolves_names() -> None:
    assert [p.key for p in available_packs()] == [
        "AU@2026.1",
        "CN@2026.1",
        "IN@2026.1",
        "UK@2026.1",
        "US@2026.1",
        "US-MA@2026.1",
    ]
    assert pack_for("US-MA") is US_MA
    assert pack_for("us-ma") is US_MA
    assert pack_for("US-MA@2026.1") is US_MA
    assert pack_for("UK", "2026.1") is UK


def test_unknown_pack_or_version_is_a_clear_error() -> None:
    with pytest.raises(UnknownPackError, match=r"unknown contact-rule pack 'FR'; available: AU"):
        pack_for("FR")
    with pytest.raises(UnknownPackError, match=r"US has no version '2019.1'; available: 2026.1"):
        pack_for("US@2019.1")
    with pytest.raises(LookupError):
        pack_for("")


def test_every_rule_has_a_source_and_unconfirmed_figures_say_so() -> None:
    for pack in available_packs():
        for rule_id in pack.rule_ids:
            assert pack.source_for(rule_id).strip(), rule_id
            assert rule_id.split(".")[0] in {pack.prefix, pack.prefix.split("-")[0]}
    assert "NOT a confirmed figure" in UK.source_for("uk.conc.reasonable_hours")
    assert "US" in US_MA.country


def test_us_ma_is_the_us_pack_plus_the_massachusetts_cap() -> None:
    assert US_MA.rule_ids - US.rule_ids == {"us-ma.940cmr7_04_1f.two_telephone_in_7_days"}
    assert US.rule_ids <= US_MA.rule_ids
    assert US_MA.source_for("us.1006.6b1.hours") == US.source_for("us.1006.6b1.hours")


def test_a_pack_needs_a_source_for_every_rule_and_ids_under_its_prefix() -> None:
    unsourced = {k: v for k, v in IN.sources.items() if k != "in.doorstep.resolved"}
    with pytest.raises(ValueError, match=r"sources missing for \['in.doorstep.resolved'\]"):
        RulePack("IN", "2026.2", "IN", "t", IN.rules, unsourced)
    with pytest.raises(ValueError, match="must start with"):
        RulePack("UK", "2026.2", "GB", "t", CN.rules, CN.sources)
    with pytest.raises(ValueError, match=r"must look like '2026\.1'"):
        RulePack("IN", "v2", "IN", "t", IN.rules, IN.sources)


def test_decision_to_dict_is_a_complete_log_record() -> None:
    decision = ask(US, Channel.SMS, local(NEW_YORK, 2026, 3, 3, 23), NEW_YORK)
    record = decision.to_dict()
    assert record == {
        "outcome": "deferred",
        "rule_id": "us.1006.6b1.hours",
        "pack_id": "US",
        "pack_version": "2026.1",
        "reason": decision.reason,
        "channel": "sms",
        "evaluated_at": "2026-03-03T23:00:00-05:00",
        "timezone": NEW_YORK,
        "not_before": "2026-03-04T13:00:00+00:00",  # always UTC
        "requires_opt_out": True,
        "requirement_rule_ids": ["us.1006.6e.opt_out"],
        "requirements": [decision.requirements[0]],
        "blocking_rule_ids": ["us.1006.6b1.hours"],
        "timezone_source": "record",
    }


def test_not_before_is_aware_and_an_instant_not_a_wall_reading() -> None:
    decision = ask(CN, Channel.CALL, datetime(2026, 3, 3, 15, 0, tzinfo=UTC), SHANGHAI)  # 23:00
    assert decision.not_before == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 +08:00


def test_contacts_stamped_after_now_count_as_made_now() -> None:
    now = local(SHANGHAI, 2026, 3, 3, 12)
    skewed = tuple(calls(*[now + timedelta(seconds=s) for s in (1, 2, 3)], conversation=True))
    decision = ask(CN, Channel.CALL, now, SHANGHAI, history=skewed)
    assert decision.rule_id == "cn.nifa.3_connected_calls_per_day"


def test_attempts_validate_their_inputs() -> None:
    with pytest.raises(ValueError, match="aware"):
        ContactAttempt(channel=Channel.SMS, now=datetime(2026, 3, 3, 12), timezone=LONDON)
    with pytest.raises(ValueError, match="unknown IANA timezone"):
        ContactAttempt(channel=Channel.SMS, now=local(LONDON, 2026, 3, 3, 12), timezone="Mars/Base")
    with pytest.raises(ValueError, match="whole minutes"):
        LocalWindow(time(8, 0, 30), time(9))
