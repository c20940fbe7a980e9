"""Overdue-account snapshots with a distinct marker in every personal field."""

from __future__ import annotations

from typing import Any

from tests.support.clocks import daytime_zone


def personal_markers(n: int) -> dict[str, Any]:
    return {
        "customer_id": f"PIICUST{n:06d}X",
        "name": f"Piiname Marker{n:06d}",
        "phone": f"+44770{n:07d}",
        "email": f"pii.marker{n:06d}@example.com",
        "national_id": f"PIINID{n:08d}",
        "line1": f"{n} Piiaddress Lane",
        "line2": f"Piiflat {n:06d}",
        "city": f"Piicity{n:06d}",
        "postal_code": f"PC{n:06d}",
        "latitude": 51.0 + n / 1_000_000,
        "longitude": -0.5 - n / 1_000_000,
    }


def overdue(
    n: int,
    days_past_due: int,
    as_of: str = "2026-11-28",
    principal: str = "1200.00",
    cured: bool = False,
) -> dict[str, Any]:
    pii = personal_markers(n)
    amount = "0.00" if cured else principal
    return {
        "as_of_date": as_of,
        "customer": {
            "customer_id": pii["customer_id"],
            "name": pii["name"],
            "phone": pii["phone"],
            "email": pii["email"],
            "national_id": pii["national_id"],
            "address": {
                "line1": pii["line1"],
                "line2": pii["line2"],
                "city": pii["city"],
                "postal_code": pii["postal_code"],
                "country": "GB",
                "latitude": pii["latitude"],
                "longitude": pii["longitude"],
            },
            # About noon there now, so the contact rules let the notices out at once.
            "timezone": daytime_zone(),
            "preferred_language": "en",
        },
        "loan": {
            "product": "personal-loan",
            "currency": "GBP",
            "arrears": {
                "principal": amount,
                "interest": "0.00" if cured else "35.50",
                "fees": "0.00" if cured else "20.00",
                "penalties": "0.00" if cured else "4.25",
            },
            "days_past_due": 0 if cured else days_past_due,
        },
    }
