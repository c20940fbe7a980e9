"""Portfolio summary API: how the open book stands and how cases moved in a date range."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

# Money per currency, never added across currencies: {"CNY": "1234.00", "USD": "50.00"}.
AmountsByCurrency = dict[str, Decimal]


class Ratio(BaseModel):
    numerator: int = Field(ge=0)
    denominator: int = Field(ge=0)
    rate: Decimal | None = Field(
        description="numerator ÷ denominator to four decimals; null when the denominator is 0.",
        examples=["0.2500"],
    )


class StageSummary(BaseModel):
    stage: str = Field(examples=["field"])
    cases: int = Field(ge=0, description="Open cases in this stage now.")
    total_due: AmountsByCurrency = Field(
        description="Sum of their total due (arrears + charges), per currency."
    )


class RollRate(BaseModel):
    from_stage: str = Field(examples=["contact"])
    to_stage: str = Field(examples=["field"], description="The next stage on the ladder.")
    cases: int = Field(
        ge=0,
        description="Cases in from_stage at the start of the range or that entered it during "
        "the range.",
    )
    rolled: int = Field(ge=0, description="Of those, cases that moved on to to_stage in range.")
    rate: Decimal | None = Field(description="rolled ÷ cases to four decimals; null for 0 cases.")


class PortfolioSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from_date": "2026-11-01",
                    "to_date": "2026-11-30",
                    "product": None,
                    "open_cases_by_stage": [
                        {"stage": "reminder", "cases": 2, "total_due": {"CNY": "2519.50"}},
                        {"stage": "contact", "cases": 0, "total_due": {}},
                        {
                            "stage": "field",
                            "cases": 3,
                            "total_due": {"CNY": "3779.25", "USD": "410.00"},
                        },
                        {"stage": "legal", "cases": 1, "total_due": {"GBP": "980.10"}},
                    ],
                    "open_total_due": {"CNY": "6298.75", "GBP": "980.10", "USD": "410.00"},
                    "cases_by_status": {"open": 6, "resolved": 2},
                    "cure_rate": {"numerator": 2, "denominator": 8, "rate": "0.2500"},
                    "promise_kept_rate": {"numerator": 3, "denominator": 4, "rate": "0.7500"},
                    "roll_rates": [
                        {
                            "from_stage": "reminder",
                            "to_stage": "contact",
                            "cases": 4,
                            "rolled": 1,
                            "rate": "0.2500",
                        }
                    ],
                }
            ]
        }
    )

    from_date: date
    to_date: date
    product: str | None = Field(description="The product filter, or null for all products.")
    open_cases_by_stage: list[StageSummary] = Field(
        description="Open cases now, per stage in ladder order (stages with none included)."
    )
    open_total_due: AmountsByCurrency = Field(description="Total due of all open cases now.")
    cases_by_status: dict[str, int] = Field(description="All cases now, per status.")
    cure_rate: Ratio
    promise_kept_rate: Ratio
    roll_rates: list[RollRate] = Field(description="One per pair of consecutive ladder stages.")
