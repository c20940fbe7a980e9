"""Where the customer's zone comes from: record, else coordinates, else phone number."""

from __future__ import annotations

import pytest

from doorstep_shared.contact_rules import TimezoneUnresolvedError, resolve_timezone


def test_the_record_wins_over_coordinates_and_phone() -> None:
    resolved = resolve_timezone("America/Chicago", 31.2304, 121.4737, "+8613800138000")
    assert (resolved.zone, resolved.source, resolved.detail) == (
        "America/Chicago",
        "record",
        "record",
    )


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (31.2304, 121.4737, "Asia/Shanghai"),  # Shanghai
        (51.5072, -0.1276, "Europe/London"),  # London
        (-33.8688, 151.2093, "Australia/Sydney"),  # Sydney
    ],
)
def test_coordinates_give_the_zone_when_the_record_has_none(
    latitude: float, longitude: float, zone: str
) -> None:
    resolved = resolve_timezone(None, latitude, longitude, "+12125550123")
    assert resolved.zone == zone
    assert resolved.source == "coordinates"


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+86 138 0013 8000", "Asia/Shanghai"),
        ("+44 20 7946 0000", "Europe/London"),
        ("+1 212 555 0123", "America/New_York"),
    ],
)
def test_the_phone_number_gives_the_zone_last(phone: str, zone: str) -> None:
    resolved = resolve_timezone(None, None, None, phone)
    assert resolved.zone == zone
    assert resolved.source == "phone"
    assert "single zone" in resolved.detail


def test_a_national_number_needs_its_region() -> None:
    resolved = resolve_timezone("", None, None, "020 7946 0000", phone_region="GB")
    assert (resolved.zone, resolved.source) == ("Europe/London", "phone")


def test_a_number_spanning_several_zones_picks_the_first_and_says_so() -> None:
    resolved = resolve_timezone(None, None, None, "+61 412 345 678")  # AU mobile: 8 zones
    assert resolved.source == "phone"
    assert resolved.zone == "Australia/Adelaide"  # first of phonenumbers' sorted list
    assert resolved.detail == "phone (first of 8 zones for this +61 number)"
    assert "412" not in resolved.detail  # the number itself never lands in logs


def test_unusable_sources_are_skipped_and_reported() -> None:
    resolved = resolve_timezone("Mars/Olympus", 200.0, 10.0, "+8613800138000")
    assert (resolved.zone, resolved.source) == ("Asia/Shanghai", "phone")
    assert "record zone 'Mars/Olympus' is not an IANA zone" in resolved.detail
    assert "out of range" in resolved.detail


def test_half_a_coordinate_pair_is_not_used() -> None:
    resolved = resolve_timezone(None, 31.23, None, "+442079460000")
    assert resolved.source == "phone"
    assert "both latitude and longitude" in resolved.detail


def test_nothing_to_go_on_is_a_clear_error() -> None:
    with pytest.raises(TimezoneUnresolvedError, match="no zone, coordinates or phone number"):
        resolve_timezone(None, None, None, None)
    with pytest.raises(TimezoneUnresolvedError, match="cannot be parsed"):
        resolve_timezone("  ", None, None, "12345")
    with pytest.raises(ValueError, match="no zone known"):
        resolve_timezone(None, None, None, "+1 555 555 0100")  # fictional 555 number
