"""The customer's IANA timezone: from their record, else their coordinates, else their phone.

``resolve_timezone`` says which source gave the zone (``ResolvedZone.source``) and, in
``detail``, anything a reviewer should know (a skipped source, a pick among several zones).
The detail never repeats the phone number: only its country calling code.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import phonenumbers
from phonenumbers import timezone as phone_timezone

from doorstep_shared.contact_rules.model import load_zone

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

ZoneSource = Literal["record", "coordinates", "phone"]

_UNKNOWN_ZONE = "Etc/Unknown"  # what phonenumbers answers when it cannot tell


class TimezoneUnresolvedError(ValueError):
    """Neither the record, the coordinates nor the phone number gives a usable zone."""


@dataclass(frozen=True, slots=True)
class ResolvedZone:
    zone: str  # IANA name, loadable by zoneinfo
    source: ZoneSource
    detail: str  # human-readable: "phone (first of 8 zones for +61)"


_finder: TimezoneFinder | None = None
_finder_lock = threading.Lock()


def _timezone_finder() -> TimezoneFinder:
    """One ``TimezoneFinder`` per process, built on first use (building it is slow)."""
    global _finder
    with _finder_lock:
        if _finder is None:
            from timezonefinder import TimezoneFinder

            _finder = TimezoneFinder()
        return _finder


def resolve_timezone(
    record_zone: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
    phone: str | None = None,
    *,
    phone_region: str | None = None,
) -> ResolvedZone:
    """The zone to judge contacts in, trying the record, then coordinates, then the phone.

    ``phone`` is in international format (``+86 138 0013 8000``) or, with ``phone_region``
    (ISO 3166 alpha-2, e.g. ``"GB"``), in that region's national format. A source that is
    present but unusable (an unknown zone name, coordinates out of range, an unparsable number)
    is skipped and the skip is reported in ``detail``. Raises ``TimezoneUnresolvedError`` when
    no source gives a zone.
    """
    skipped: list[str] = []

    def resolved(zone: str, source: ZoneSource, how: str) -> ResolvedZone:
        note = f"{how}; skipped: {'; '.join(skipped)}" if skipped else how
        return ResolvedZone(zone, source, f"{source} ({note})")

    if record_zone is not None and record_zone.strip():
        name = record_zone.strip()
        try:
            load_zone(name)
        except ValueError:
            skipped.append(f"record zone {name!r} is not an IANA zone")
        else:
            return ResolvedZone(name, "record", "record")

    if latitude is not None or longitude is not None:
        zone, why = _from_coordinates(latitude, longitude)
        if zone is not None:
            return resolved(zone, "coordinates", why)
        skipped.append(why)

    if phone is not None and phone.strip():
        zone, why = _from_phone(phone, phone_region)
        if zone is not None:
            return resolved(zone, "phone", why)
        skipped.append(why)

    if not skipped:
        raise TimezoneUnresolvedError(
            "no timezone: the customer record has no zone, coordinates or phone number"
        )
    raise TimezoneUnresolvedError(f"no timezone: {'; '.join(skipped)}")


def _from_coordinates(latitude: float | None, longitude: float | None) -> tuple[str | None, str]:
    if latitude is None or longitude is None:
        return None, "coordinates need both latitude and longitude"
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None, "coordinates are not finite numbers"
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, f"coordinates ({latitude}, {longitude}) are out of range"
    zone = _timezone_finder().timezone_at(lng=longitude, lat=latitude)
    if not zone:
        return None, f"no zone at coordinates ({latitude:.4f}, {longitude:.4f})"
    try:
        load_zone(zone)
    except ValueError:
        return None, f"coordinates give {zone!r}, unknown to this system's tz database"
    return zone, f"{latitude:.4f}, {longitude:.4f}"


def _from_phone(phone: str, region: str | None) -> tuple[str | None, str]:
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        hint = "" if region else " (give it in +<country code> form or pass phone_region)"
        return None, f"the phone number cannot be parsed{hint}"
    code = f"+{number.country_code}"
    zones = [
        zone
        for zone in phone_timezone.time_zones_for_number(number)
        if zone != _UNKNOWN_ZONE and _loadable(zone)
    ]
    if not zones:
        return None, f"no zone known for this {code} number"
    if len(zones) == 1:
        return zones[0], f"single zone for this {code} number"
    return zones[0], f"first of {len(zones)} zones for this {code} number"


def _loadable(zone: str) -> bool:
    try:
        load_zone(zone)
    except ValueError:
        return False
    return True
