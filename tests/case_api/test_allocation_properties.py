"""Payment allocation: exact, bounded by what is owed, in policy order, in the currency's units."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doorstep_case_api.payments.allocation import PARTS, allocate
from doorstep_case_api.policy.model import ArrearsPart
from doorstep_shared.money import fits_minor_units, minor_units

CURRENCIES = ("USD", "JPY", "KWD")


Case = tuple[
    str, Decimal, dict[ArrearsPart, Decimal], dict[ArrearsPart, Decimal], tuple[ArrearsPart, ...]
]

# Small amounts as well as large ones, so partial payments, exact payoffs and overpayments
# all show up often.
MINOR_AMOUNTS = st.one_of(st.integers(0, 500), st.integers(0, 10**12))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    currency = draw(st.sampled_from(CURRENCIES))

    def in_currency(minor: int) -> Decimal:
        return Decimal(minor).scaleb(-minor_units(currency))

    outstanding: dict[ArrearsPart, Decimal] = {}
    charged: dict[ArrearsPart, Decimal] = {}
    for part in PARTS:
        owed = draw(MINOR_AMOUNTS)
        outstanding[part] = in_currency(owed)
        charged[part] = in_currency(draw(st.integers(0, owed)))
    order = tuple(draw(st.permutations(PARTS)))
    return currency, in_currency(draw(MINOR_AMOUNTS)), outstanding, charged, order


@given(cases())
def test_no_minor_unit_is_created_or_lost(case: Case) -> None:
    currency, amount, outstanding, charged, order = case
    result = allocate(amount, currency, outstanding, order, charged)
    assert result.allocated + result.unallocated == amount
    assert result.unallocated >= 0


@given(cases())
def test_no_part_gets_more_than_it_owes(case: Case) -> None:
    currency, amount, outstanding, charged, order = case
    result = allocate(amount, currency, outstanding, order, charged)
    for part in PARTS:
        paid = result.parts[part]
        assert 0 <= paid.total <= outstanding[part]
        assert 0 <= paid.charged <= charged[part]
        assert 0 <= paid.reported <= outstanding[part] - charged[part]


@given(cases())
def test_order_is_followed_and_charges_come_first(case: Case) -> None:
    currency, amount, outstanding, charged, order = case
    result = allocate(amount, currency, outstanding, order, charged)
    for position, part in enumerate(order):
        if result.to_part(part) > 0:
            for earlier in order[:position]:
                assert result.to_part(earlier) == outstanding[earlier]
        if result.parts[part].reported > 0:
            assert result.parts[part].charged == charged[part]
    if result.unallocated > 0:
        assert all(result.to_part(part) == outstanding[part] for part in PARTS)


@given(cases())
def test_results_fit_the_currency(case: Case) -> None:
    currency, amount, outstanding, charged, order = case
    result = allocate(amount, currency, outstanding, order, charged)
    amounts = [result.unallocated]
    for paid in result.parts.values():
        amounts += [paid.charged, paid.reported]
    assert all(fits_minor_units(value, currency) for value in amounts)
    shown = result.as_strings()
    assert set(shown) == {*PARTS, "unallocated"}
    assert sum(Decimal(value) for value in shown.values()) == amount


def test_default_order_example() -> None:
    outstanding: dict[ArrearsPart, Decimal] = {
        "penalties": Decimal("6.25"),  # 2.00 penalty interest + 4.25 reported
        "fees": Decimal("45.00"),  # 25.00 late fee + 20.00 reported
        "interest": Decimal("35.50"),
        "principal": Decimal("1200.00"),
    }
    charged: dict[ArrearsPart, Decimal] = {"penalties": Decimal("2.00"), "fees": Decimal("25.00")}
    result = allocate(
        Decimal("30.00"),
        "USD",
        outstanding,
        ("penalties", "fees", "interest", "principal"),
        charged,
    )
    assert result.parts["penalties"].charged == Decimal("2.00")
    assert result.parts["penalties"].reported == Decimal("4.25")
    assert result.parts["fees"].charged == Decimal("23.75")
    assert result.parts["fees"].reported == 0
    assert result.to_part("interest") == 0
    assert result.as_strings() == {
        "penalties": "6.25",
        "fees": "23.75",
        "interest": "0.00",
        "principal": "0.00",
        "unallocated": "0.00",
    }


@pytest.mark.parametrize(
    ("amount", "currency", "owed", "why"),
    [
        (Decimal("1.5"), "JPY", Decimal("10"), "more decimals than JPY"),
        (Decimal("1.0001"), "KWD", Decimal("10"), "more decimals than KWD"),
        (Decimal("-1"), "USD", Decimal("10"), "non-negative"),
        (Decimal("1"), "USD", Decimal("0.001"), "more decimals than USD"),
    ],
)
def test_amounts_the_currency_cannot_hold_are_refused(
    amount: Decimal, currency: str, owed: Decimal, why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        allocate(amount, currency, {"principal": owed}, PARTS)


def test_charge_larger_than_its_part_is_refused() -> None:
    with pytest.raises(ValueError, match="charged fees exceeds"):
        allocate(Decimal("1"), "USD", {"fees": Decimal("1")}, PARTS, {"fees": Decimal("2")})
