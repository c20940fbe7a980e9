"""Visit windows: the pack's lawful visit hours ∩ the customer's windows, after the notice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from doorstep_scheduler.planning.windows import (
    AFTER_HORIZON,
    CUSTOMER_WINDOWS_OUTSIDE,
    NOTICE_PERIOD,
    PUBLIC_HOLIDAY,
    WINDOW_TOO_SHORT,
    CustomerWindow,
    VisitWindows,
    lawful_visit_windows,
)
from doorstep_shared.contact_rules import AU, CN, UK, Channel, ContactAttempt, RulePack, decide
from doorstep_shared.contact_rules.model import Outcome

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SYDNEY = ZoneInfo("Australia/Sydney")
HALF_HOUR = timedelta(minutes=30)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def week(first: date, n: int = 7) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def local(zone: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), zone)


def assert_every_minute_allowed(pack: RulePack, zone: ZoneInfo, result: VisitWindows) -> None:
    """The engine itself allows a visit at each minute of each window (start to end)."""
    assert result.windows
    for window in result.windows:
        at = window.start
        while at < window.end:
            attempt = ContactAttempt(channel=Channel.VISIT, now=at, timezone=zone.key)
            assert decide(pack, attempt).outcome is Outcome.ALLOWED, at.astimezone(zone)
            at += timedelta(minutes=7)


@pytest.mark.parametrize(
    ("pack", "zone", "opens", "closes"),
    [(UK, LONDON, time(8), time(21)), (CN, SHANGHAI, time(8), time(22))],
)
def test_windows_are_the_packs_visit_hours_in_the_customers_local_time(
    pack: RulePack, zone: ZoneInfo, opens: time, closes: time
) -> None:
    days = week(date(2026, 11, 9))  # no holiday in either country that week
    result = lawful_visit_windows(pack, zone, days, [], LONG_AGO, HALF_HOUR)

    assert [w.start.astimezone(zone).date() for w in result.windows] == days
    for window in result.windows:
        assert window.start.tzinfo is UTC
        assert window.start.astimezone(zone).time() == opens
        assert window.end.astimezone(zone).time() == closes
    assert_every_minute_allowed(pack, zone, result)


def test_windows_follow_the_clock_change_in_the_customers_zone() -> None:
    # the UK leaves summer time on Sunday 25 October 2026
    days = [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    result = lawful_visit_windows(UK, LONDON, days, [], LONG_AGO, HALF_HOUR)

    starts_utc = [w.start.astimezone(UTC).time() for w in result.windows]
    assert starts_utc == [time(7), time(8), time(8)]  # 08:00 BST, then 08:00 GMT
    assert all(w.start.astimezone(LONDON).time() == time(8) for w in result.windows)


def test_a_public_holiday_has_no_window() -> None:
    days = [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 29)]
    result = lawful_visit_windows(UK, LONDON, days, [], LONG_AGO, HALF_HOUR)

    planned_days = {w.start.astimezone(LONDON).date() for w in result.windows}
    assert planned_days == {date(2026, 12, 24), date(2026, 12, 29)}


def test_a_pack_with_its_own_holiday_rule_uses_it() -> None:
    # Australia Day, Monday 26 January 2026: the AU pack's own rule
    days = [date(2026, 1, 26), date(2026, 1, 27)]
    result = lawful_visit_windows(AU, SYDNEY, days, [], LONG_AGO, HALF_HOUR)

    assert [w.start.astimezone(SYDNEY) for w in result.windows] == [
        local(SYDNEY, date(2026, 1, 27), 9)
    ]


def test_only_holidays_in_the_horizon_say_so() -> None:
    result = lawful_visit_windows(CN, SHANGHAI, [date(2026, 10, 1)], [], LONG_AGO, HALF_HOUR)

    assert result.windows == ()
    assert result.reason_code == PUBLIC_HOLIDAY
    assert result.reason


def test_customer_windows_are_intersected_with_the_lawful_hours() -> None:
    monday, tuesday = date(2026, 11, 9), date(2026, 11, 10)
    theirs = [CustomerWindow(0, time(18), time(23, 30)), CustomerWindow(1, time(6), time(9))]
    result = lawful_visit_windows(CN, SHANGHAI, [monday, tuesday], theirs, LONG_AGO, HALF_HOUR)

    assert [(w.start.astimezone(SHANGHAI), w.end.astimezone(SHANGHAI)) for w in result.windows] == [
        (local(SHANGHAI, monday, 18), local(SHANGHAI, monday, 22)),
        (local(SHANGHAI, tuesday, 8), local(SHANGHAI, tuesday, 9)),
    ]


def test_customer_windows_outside_the_lawful_hours_give_no_window() -> None:
    night = [CustomerWindow(d, time(22), time(23, 59)) for d in range(7)]
    result = lawful_visit_windows(CN, SHANGHAI, week(date(2026, 11, 9)), night, LONG_AGO, HALF_HOUR)

    assert result.windows == ()
    assert result.reason_code == CUSTOMER_WINDOWS_OUTSIDE


def test_a_window_shorter_than_the_visit_is_dropped() -> None:
    monday = date(2026, 11, 9)
    theirs = [CustomerWindow(0, time(7, 30), time(8, 20))]  # 20 lawful minutes
    result = lawful_visit_windows(UK, LONDON, [monday], theirs, LONG_AGO, HALF_HOUR)

    assert result.reason_code == WINDOW_TOO_SHORT
    shorter = lawful_visit_windows(UK, LONDON, [monday], theirs, LONG_AGO, timedelta(minutes=20))
    assert [w.start.astimezone(LONDON).time() for w in shorter.windows] == [time(8)]


def test_nothing_starts_before_the_earliest_allowed_instant() -> None:
    days = week(date(2026, 11, 9), 3)
    earliest = local(LONDON, days[1], 15, 10)  # e.g. notice sent + the pack's notice period
    result = lawful_visit_windows(UK, LONDON, days, [], earliest, HALF_HOUR)

    assert [w.start for w in result.windows] == [earliest, local(LONDON, days[2], 8)]
    assert all(w.start >= earliest for w in result.windows)


def test_the_notice_period_can_leave_no_window() -> None:
    monday = date(2026, 11, 9)
    late = local(LONDON, monday, 20, 45)  # 15 lawful minutes left that day
    result = lawful_visit_windows(UK, LONDON, [monday], [], late, HALF_HOUR)
    assert result.reason_code == NOTICE_PERIOD

    after = lawful_visit_windows(UK, LONDON, [monday], [], local(LONDON, monday, 23), HALF_HOUR)
    assert after.reason_code == AFTER_HORIZON


def test_customer_window_rejects_an_empty_or_reversed_range() -> None:
    with pytest.raises(ValueError, match="ends after it starts"):
        CustomerWindow(0, time(12), time(11))
    assert CustomerWindow(0, time(20), time(0)).on(date(2026, 11, 9), LONDON).end == datetime(
        2026, 11, 10, tzinfo=UTC
    )
