"""Synthetic overdue accounts that each get one overdue notice at once.

Why these values:
- 5 days past due keeps the case in the first ladder stage (``reminder``, 1-15 DPD): opening
  queues one notice due now, and the notice being sent moves the case no further, so each
  account makes exactly one notice (a case past 15 DPD would also enter ``contact`` and get a
  second one).
- Each customer lives in a fixed-offset zone where it is about noon now, so the contact
  rules' lawful hours are open for the whole run (hours from now the zone is still daytime).
- Each account is its own customer, so no per-debt or per-customer cap holds a notice back.
- Three in four customers have a phone (the notice goes by SMS), the rest only an e-mail.

The values are made up; none is a real person's data.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from doorstep_shared.clock import utc_now

DAYS_PAST_DUE = 5
PRODUCT = "personal-loan"
CURRENCY = "GBP"


def zone_at_noon(now: datetime | None = None) -> str:
    """A fixed-offset IANA zone in which it is about 12:00 now (same idea as the tests'
    ``daytime_zone``). Etc/GMT signs are POSIX: Etc/GMT-8 is eight hours east of UTC."""
    hour = (now or utc_now()).hour
    offset = (12 - hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/UTC"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def account_id(prefix: str, index: int) -> str:
    return f"{prefix}-{index:07d}"


def snapshot(index: int, as_of: date, zone: str, run_tag: str) -> dict[str, Any]:
    """The body of ``PUT /v1/accounts/{id}/delinquency`` for account number ``index``."""
    customer: dict[str, Any] = {
        "customer_id": f"BENCH-{run_tag}-{index:07d}",
        "name": f"Bench Customer {index}",
        "email": f"customer{index}@bench.invalid",
        "timezone": zone,
        "preferred_language": "en",
    }
    if index % 4 != 3:
        customer["phone"] = f"+4470{index % 10**9:09d}"
    principal = 100 + index % 900
    return {
        "as_of_date": as_of.isoformat(),
        "customer": customer,
        "loan": {
            "product": PRODUCT,
            "currency": CURRENCY,
            "days_past_due": DAYS_PAST_DUE,
            "oldest_unpaid_due_date": (as_of - timedelta(days=DAYS_PAST_DUE)).isoformat(),
            "arrears": {
                "principal": f"{principal}.00",
                "interest": "12.50",
                "fees": "10.00",
                "penalties": "1.25",
            },
        },
    }


class AccountSource:
    """Numbered accounts of one phase (``prefix``): distinct ids and customers per phase."""

    def __init__(self, prefix: str, run_tag: str, as_of: date, zone: str) -> None:
        self.prefix = f"{prefix}{run_tag}"
        self._run_tag = f"{prefix}{run_tag}"
        self._as_of = as_of
        self._zone = zone

    def account_id(self, index: int) -> str:
        return account_id(self.prefix, index)

    def body(self, index: int) -> dict[str, Any]:
        return snapshot(index, self._as_of, self._zone, self._run_tag)

    def batch_line(self, index: int) -> bytes:
        """One NDJSON record of ``POST /v1/delinquency-batches``: the PUT body plus its id."""
        record = {"account_id": self.account_id(index), **self.body(index)}
        return json.dumps(record, separators=(",", ":")).encode() + b"\n"
