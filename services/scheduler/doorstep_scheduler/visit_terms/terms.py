"""What a visit keeps from case-api's answer (``Visit.terms``) and how planning reads it back.

Only what the door needs is stored: the name and address for the agenda, the zone and language
for the appointment, the stated windows and consent. Repayment capacity is reduced to a
category here; the amounts are never stored by the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Any, Literal

from doorstep_scheduler.planning.windows import CustomerWindow
from doorstep_scheduler.visit_terms.schemas import RepaymentCapacity, VisitContact
from doorstep_shared.contact_rules import TimezoneUnresolvedError, resolve_timezone

Capacity = Literal["none", "some", "unknown"]
SENSITIVE_PLACES = frozenset({"workplace", "hospital", "care_home"})
_ALL_WEEKDAYS = range(7)


def capacity_category(capacity: RepaymentCapacity | None) -> Capacity:
    """Whether the customer has money left each month after their obligations."""
    if capacity is None:
        return "unknown"
    spare = capacity.monthly_income - capacity.monthly_obligations
    return "some" if spare > Decimal(0) else "none"


def terms_from_contact(contact: VisitContact) -> dict[str, Any]:
    """The JSON stored on the visit. Raises ``TimezoneUnresolvedError`` without a usable zone."""
    address = contact.address
    latitude = address.latitude if address else None
    longitude = address.longitude if address else None
    zone = resolve_timezone(contact.timezone, latitude, longitude).zone
    stated = contact.visit_terms
    windows = [
        {
            "weekday": w.weekday,
            "start": w.start.isoformat("minutes"),
            "end": w.end.isoformat("minutes"),
        }
        for w in (stated.visit_windows if stated else [])
    ]
    if not windows and contact.contact_preferences.preferred_hours:
        # Hours the customer prefers to be contacted in hold on every day of the week.
        windows = [
            {
                "weekday": day,
                "start": h.start.isoformat("minutes"),
                "end": h.end.isoformat("minutes"),
            }
            for h in contact.contact_preferences.preferred_hours
            for day in _ALL_WEEKDAYS
        ]
    return {
        "timezone": zone,
        "language": contact.preferred_language,
        "customer_name": contact.name,
        "address": address.model_dump(exclude={"latitude", "longitude"}) if address else {},
        "address_kind": stated.address_kind if stated else "home",
        "visit_consent_recorded": stated.visit_consent_recorded if stated else False,
        "visit_windows": windows,
        "capacity": capacity_category(stated.repayment_capacity if stated else None),
    }


@dataclass(frozen=True, slots=True)
class StoredTerms:
    timezone: str
    language: str
    address_kind: str
    consent_recorded: bool
    windows: tuple[CustomerWindow, ...]
    capacity: Capacity


def read_terms(terms: dict[str, Any]) -> StoredTerms:
    return StoredTerms(
        timezone=str(terms["timezone"]),
        language=str(terms.get("language") or "en"),
        address_kind=str(terms.get("address_kind") or "home"),
        consent_recorded=bool(terms.get("visit_consent_recorded")),
        windows=tuple(
            CustomerWindow(
                weekday=int(w["weekday"]),
                start=time.fromisoformat(w["start"]),
                end=time.fromisoformat(w["end"]),
            )
            for w in terms.get("visit_windows") or []
        ),
        capacity=terms.get("capacity") or "unknown",
    )


__all__ = [
    "SENSITIVE_PLACES",
    "StoredTerms",
    "TimezoneUnresolvedError",
    "capacity_category",
    "read_terms",
    "terms_from_contact",
]
