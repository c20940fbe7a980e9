"""Which visits go first when the teams cannot make them all.

The score rises with how late the loan is, how much is owed and how often promises were broken,
and with whether the customer has money to spare (a visit can agree a plan); a customer with no
spare income is not pushed up, so the door is not knocked where a hardship conversation belongs
on the phone. Later attempts after nobody was home come slightly ahead: the customer has waited.
"""

from __future__ import annotations

import math
from decimal import Decimal

from doorstep_scheduler.visit_terms.terms import Capacity

_CAPACITY_BONUS: dict[str, int] = {"some": 60, "unknown": 20, "none": 0}


def visit_priority(
    *,
    days_past_due: int,
    total_due: Decimal | None,
    broken_promises: int,
    capacity: Capacity,
    attempt: int,
) -> int:
    lateness = min(max(days_past_due, 0), 180)
    # Orders of magnitude, not raw amounts: 100 → 40, 10,000 → 80 (currencies differ in scale).
    amount = 20 * math.log10(float(total_due) + 1) if total_due and total_due > 0 else 0
    promises = 25 * min(broken_promises, 4)
    return int(lateness + amount + promises + _CAPACITY_BONUS[capacity] + 10 * (attempt - 1))
