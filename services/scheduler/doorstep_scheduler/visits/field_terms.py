"""The visit terms the planner fetched from case-api, read defensively for the field API.

``Visit.terms`` is JSON filled from another service: any key may be missing, null or of an
unexpected type (an older fetch, a partly known address). Nothing here raises on bad terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from doorstep_scheduler.visits.models import Visit
from doorstep_shared.contact_rules.model import load_zone

ADDRESS_KEYS = ("line1", "line2", "city", "region", "postal_code", "country")


@dataclass(frozen=True, slots=True)
class FieldTerms:
    zone: ZoneInfo | None = None
    language: str | None = None
    customer_name: str | None = None
    address: dict[str, str | None] | None = None
    address_kind: str | None = None

    def local(self, instant: datetime | None) -> datetime | None:
        """``instant`` on the customer's wall clock (None without a known zone)."""
        if instant is None or self.zone is None:
            return None
        return instant.astimezone(self.zone)

    def today(self, now: datetime) -> date:
        """The customer's local date; the UTC date when their zone is unknown."""
        return (now.astimezone(self.zone) if self.zone is not None else now).date()


def field_terms(visit: Visit) -> FieldTerms:
    terms = visit.terms if isinstance(visit.terms, dict) else {}
    return FieldTerms(
        zone=_zone(terms.get("timezone")),
        language=_text(terms.get("language")),
        customer_name=_text(terms.get("customer_name")),
        address=_address(terms.get("address")),
        address_kind=_text(terms.get("address_kind")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _zone(value: object) -> ZoneInfo | None:
    name = _text(value)
    if name is None:
        return None
    try:
        return load_zone(name)
    except ValueError:
        return None


def _address(value: object) -> dict[str, str | None] | None:
    if not isinstance(value, dict):
        return None
    lines = {key: _text(value.get(key)) for key in ADDRESS_KEYS}
    return lines if any(lines.values()) else None
