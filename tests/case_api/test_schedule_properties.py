"""Instalment schedules: exact money in minor units, dates that follow the frequency."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doorstep_case_api.arrangements.schedule import Frequency, add_months, instalment_schedule
from doorstep_shared.money import fits_minor_units, minor_units, quantum

CURRENCIES = ("USD", "JPY", "KWD")
FREQUENCIES: tuple[Frequency, ...] = ("weekly", "fortnightly", "monthly")


@st.composite
def amounts(draw: st.DrawFn) -> tuple[Decimal, str]:
    currency = draw(st.sampled_from(CURRENCIES))
    units = draw(st.integers(min_value=0, max_value=10**13))
    return Decimal(units).scaleb(-minor_units(currency)), currency


schedules = st.tuples(
    amounts(),
    st.integers(min_value=1, max_value=120),
    st.sampled_from(FREQUENCIES),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
)


@given(schedules)
def test_instalments_sum_exactly_and_differ_by_at_most_one_minor_unit(
    case: tuple[tuple[Decimal, str], int, Frequency, date],
) -> None:
    (amount, currency), count, frequency, first_due = case
    schedule = instalment_schedule(amount, currency, count, frequency, first_due)

    values = [value for _, value in schedule]
    assert len(schedule) == count
    assert sum(values, Decimal(0)) == amount
    assert all(value >= 0 and fits_minor_units(value, currency) for value in values)
    assert max(values) - min(values) <= quantum(currency)
    # The leftover units go to the first instalments.
    assert values == sorted(values, reverse=True)


@given(schedules)
def test_dates_start_on_first_due_and_strictly_increase(
    case: tuple[tuple[Decimal, str], int, Frequency, date],
) -> None:
    (amount, currency), count, frequency, first_due = case
    dates = [due for due, _ in instalment_schedule(amount, currency, count, frequency, first_due)]

    assert dates[0] == first_due
    assert all(earlier < later for earlier, later in pairwise(dates))
    if frequency == "monthly":
        # Same day of month, or the month's last day when the month is shorter.
        for later in dates:
            assert later.day == first_due.day or (
                later.day < first_due.day and (later + timedelta(days=1)).day == 1
            )
    else:
        step = 7 if frequency == "weekly" else 14
        assert all((b - a).days == step for a, b in pairwise(dates))


def test_remainder_goes_to_the_first_instalments() -> None:
    schedule = instalment_schedule(Decimal("100.00"), "USD", 3, "weekly", date(2026, 12, 1))
    assert schedule == [
        (date(2026, 12, 1), Decimal("33.34")),
        (date(2026, 12, 8), Decimal("33.33")),
        (date(2026, 12, 15), Decimal("33.33")),
    ]


def test_monthly_dates_clamp_to_month_end_and_return_to_the_31st() -> None:
    dates = [
        due for due, _ in instalment_schedule(Decimal(4), "JPY", 4, "monthly", date(2027, 1, 31))
    ]
    assert dates == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)  # leap year
    assert add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)


@pytest.mark.parametrize(
    ("amount", "currency", "count"),
    [
        (Decimal("10.001"), "USD", 2),  # more decimals than USD has
        (Decimal("1.5"), "JPY", 1),
        (Decimal("-1.00"), "USD", 1),
        (Decimal("10.00"), "USD", 0),
    ],
)
def test_refuses_amounts_the_currency_cannot_hold_and_empty_schedules(
    amount: Decimal, currency: str, count: int
) -> None:
    with pytest.raises(ValueError, match=r"schedule|amount|USD|JPY"):
        instalment_schedule(amount, currency, count, "monthly", date(2026, 12, 1))
