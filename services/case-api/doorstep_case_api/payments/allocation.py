"""Where a payment goes: the arrears parts in policy order, the rest is overpayment.

Pure arithmetic on exact decimals. Each part takes what it is owed or what is left, whichever
is smaller, so no minor unit is created or lost and a later part is paid only when every
earlier one is clear. Inside a part, Doorstep's own charge (penalty interest inside
"penalties", the late fee inside "fees") is paid before the amount core banking reported: the
split is returned so the case columns can be reduced exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from doorstep_case_api.policy.model import ArrearsPart
from doorstep_shared.money import fits_minor_units, to_minor_digits

PARTS: tuple[ArrearsPart, ...] = ("penalties", "fees", "interest", "principal")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PartPayment:
    """What one part received: first its Doorstep charge, then the reported amount."""

    charged: Decimal
    reported: Decimal

    @property
    def total(self) -> Decimal:
        return self.charged + self.reported


@dataclass(frozen=True, slots=True)
class Allocation:
    currency: str
    parts: Mapping[ArrearsPart, PartPayment]
    unallocated: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((paid.total for paid in self.parts.values()), _ZERO)

    def to_part(self, part: ArrearsPart) -> Decimal:
        return self.parts[part].total

    def as_strings(self) -> dict[str, str]:
        """Part totals and overpayment as decimal strings with the currency's digits."""
        shown = {part: self.to_part(part) for part in PARTS} | {"unallocated": self.unallocated}
        return {name: str(to_minor_digits(value, self.currency)) for name, value in shown.items()}


def allocate(
    amount: Decimal,
    currency: str,
    outstanding: Mapping[ArrearsPart, Decimal],
    order: tuple[ArrearsPart, ...],
    charged: Mapping[ArrearsPart, Decimal] | None = None,
) -> Allocation:
    """Split ``amount`` over the parts in ``order``.

    ``outstanding[part]`` is everything owed in the part, Doorstep's charge included;
    ``charged[part]`` is the share of it that is Doorstep's charge (paid first). Missing parts
    owe nothing. Raises ValueError for amounts the currency cannot hold or that do not add up.
    """
    charged = charged or {}
    if sorted(order) != sorted(PARTS):
        raise ValueError("order must name each arrears part exactly once")
    _check(amount, currency, "amount")
    remaining = amount
    parts: dict[ArrearsPart, PartPayment] = {}
    for part in order:
        owed = outstanding.get(part, _ZERO)
        owed_charge = charged.get(part, _ZERO)
        _check(owed, currency, f"outstanding {part}")
        _check(owed_charge, currency, f"charged {part}")
        if owed_charge > owed:
            raise ValueError(f"charged {part} exceeds outstanding {part}")
        paid = min(remaining, owed)
        to_charge = min(paid, owed_charge)
        parts[part] = PartPayment(charged=to_charge, reported=paid - to_charge)
        remaining -= paid
    return Allocation(currency, MappingProxyType(parts), remaining)


def _check(value: Decimal, currency: str, what: str) -> None:
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} is not a non-negative amount")
    if not fits_minor_units(value, currency):
        raise ValueError(f"{what} has more decimals than {currency} allows")
