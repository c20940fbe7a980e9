"""Instalment schedules: exact amounts in the currency's minor units, dates by frequency.

Pure functions, so the money arithmetic can be checked exhaustively (property tests).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from doorstep_shared.money import fits_minor_units, minor_units, quantum

Frequency = Literal["weekly", "fortnightly", "monthly"]

_DAYS_BETWEEN: dict[str, int] = {"weekly": 7, "fortnightly": 14}


def instalment_schedule(
    amount: Decimal, currency: str, count: int, frequency: Frequency, first_due: date
) -> list[tuple[date, Decimal]]:
    """``count`` instalments that sum exactly to ``amount``, the first due on ``first_due``.

    The amount is split in whole minor units; the units left over go one each to the first
    instalments, so instalments differ by at most one minor unit and the earliest carry it.
    """
    if count < 1:
        raise ValueError("a schedule needs at least one instalment")
    if amount < 0 or not fits_minor_units(amount, currency):
        raise ValueError(f"{amount} is not a non-negative amount in {currency}")
    unit = quantum(currency)
    base, remainder = divmod(int(amount.scaleb(minor_units(currency))), count)
    return [
        (due_date(first_due, frequency, number), (base + (1 if number < remainder else 0)) * unit)
        for number in range(count)
    ]


def due_date(first_due: date, frequency: Frequency, index: int) -> date:
    """The date of instalment ``index`` (0 for the first)."""
    if frequency == "monthly":
        return add_months(first_due, index)
    return first_due + timedelta(days=_DAYS_BETWEEN[frequency] * index)


def add_months(start: date, months: int) -> date:
    """Same day of month ``months`` later, clamped to the month's end (31 Jan → 28/29 Feb).

    Always counted from ``start``, never from the previous instalment, so a plan starting on
    the 31st returns to the 31st after February.
    """
    month_index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))
