from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Well inside the calendar, so that date arithmetic from a business date (grace days, hold
# periods, instalment schedules, a day after a range) never leaves it.
EARLIEST_BUSINESS_DATE = date(1900, 1, 1)
LATEST_BUSINESS_DATE = date(2999, 12, 31)
BusinessDay = Annotated[date, Field(ge=EARLIEST_BUSINESS_DATE, le=LATEST_BUSINESS_DATE)]


class EvaluationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"business_date": "2026-11-30"}]}
    )

    business_date: BusinessDay | None = Field(
        default=None,
        description="Date to evaluate (1900-01-01 to 2999-12-31); today's business date when "
        "omitted.",
    )


class EvaluationRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"business_date": "2026-11-30", "cases_evaluated": 128, "events_recorded": 17}
            ]
        }
    )

    business_date: date
    cases_evaluated: int
    events_recorded: int = Field(description="Case events the run produced (0 on a re-run).")


class BusinessDateRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"business_date": "2026-12-01", "pinned": True},
                {"business_date": "2026-11-30", "pinned": False},
            ]
        }
    )

    business_date: date
    pinned: bool = Field(
        description="True when set by operations; false when it follows the bank's calendar day."
    )


class BusinessDateUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"business_date": "2026-12-01"}]}
    )

    business_date: BusinessDay = Field(description="From 1900-01-01 to 2999-12-31.")
