"""Money rules: currency minor units, exact display, no floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doorstep_shared.money import (
    CurrencyError,
    Money,
    fits_minor_units,
    minor_units,
    round_to_minor,
    to_minor_digits,
)


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("USD", 2), ("CNY", 2), ("KWD", 3)])
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(CurrencyError):
        minor_units("XYZ")
    with pytest.raises(CurrencyError):
        Money(Decimal("1"), "XYZ")


def test_floats_are_not_money() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "fits"),
    [
        ("12.34", "USD", True),
        ("12.345", "USD", False),
        ("12.340", "USD", True),
        ("100", "JPY", True),
        ("100.5", "JPY", False),
        ("1.234", "KWD", True),
    ],
)
def test_fits_minor_units(amount: str, currency: str, fits: bool) -> None:
    assert fits_minor_units(Decimal(amount), currency) is fits


def test_display_never_rounds_silently() -> None:
    assert str(to_minor_digits(Decimal("20"), "CNY")) == "20.00"
    with pytest.raises(ValueError, match="more decimals"):
        to_minor_digits(Decimal("20.005"), "CNY")


def test_adding_other_currencies_is_an_error() -> None:
    with pytest.raises(CurrencyError):
        Money(Decimal("1"), "USD") + Money(Decimal("1"), "EUR")


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False))
def test_rounding_lands_on_the_minor_unit_and_moves_less_than_half_of_it(amount: Decimal) -> None:
    rounded = round_to_minor(amount, "USD")
    assert fits_minor_units(rounded, "USD")
    assert abs(rounded - amount) <= Decimal("0.005")
