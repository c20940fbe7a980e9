"""Valid case events for tests that need one, with every state field filled."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import Arrears, CaseOpened, Charges


def case_opened(case_id: uuid.UUID, currency: str = "CNY", **overrides: Any) -> CaseOpened:
    amount = Decimal("1200") if currency == "JPY" else Decimal("100.00")
    zero = Decimal("0") if currency == "JPY" else Decimal("0.00")
    fields: dict[str, Any] = {
        "case_id": case_id,
        "sequence": 1,
        "status": "open",
        "product": "personal-loan",
        "stage": "reminder",
        "treatment": "notice",
        "days_past_due": 35,
        "arrears": Arrears(
            currency=currency,
            principal=amount,
            interest=zero,
            fees=zero,
            penalties=zero,
            total=amount,
        ),
        "charges": Charges(late_fees=zero, penalty_interest=zero, total=zero),
        "total_due": amount,
        "as_of_date": date(2026, 11, 28),
        "business_date": date(2026, 11, 28),
        "holds": (),
        "collection_paused": False,
        "vulnerable": False,
        "opened_at": utc_now(),
    }
    fields.update(overrides)
    return CaseOpened(**fields)
