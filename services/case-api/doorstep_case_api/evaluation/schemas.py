from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class EvaluationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"business_date": "2026-11-30"}]}
    )

    business_date: date | None = Field(
        default=None, description="Date to evaluate; today's business date when omitted."
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

    business_date: date
