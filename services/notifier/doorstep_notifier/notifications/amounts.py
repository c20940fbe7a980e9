"""Amounts shown with their currency's minor digits."""

from __future__ import annotations

from decimal import Decimal

from doorstep_shared.money import CurrencyError, quantum


def in_currency_digits(amount: Decimal, currency: str) -> Decimal:
    """``1200.0000`` CNY (as PostgreSQL's NUMERIC returns it) -> ``1200.00``."""
    try:
        return amount.quantize(quantum(currency))
    except CurrencyError:
        # Not an ISO 4217 code we know: show the amount as it came rather than guess.
        return amount
