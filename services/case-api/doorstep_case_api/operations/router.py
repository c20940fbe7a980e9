"""Operations reporting: the portfolio summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError

from doorstep_case_api.dependencies import SessionDep, SettingsDep, policy_dependency
from doorstep_case_api.evaluation.schemas import BusinessDay
from doorstep_case_api.operations.schemas import PortfolioSummary
from doorstep_case_api.operations.summary_service import PortfolioSummaryService
from doorstep_case_api.policy.model import CollectionPolicy
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

router = APIRouter(prefix="/v1/portfolio", tags=["operations"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}

SUMMARY_DESCRIPTION = """
How the book stands now and how cases moved between `from` and `to` (inclusive business dates).
With `product`, only that product's cases count. Money is summed per currency, never across
currencies. Timestamps count on their calendar day in the bank's time zone
(`CASE_API_BANK_TIMEZONE`); promise settlements and stage transitions carry their business date.

* **open_cases_by_stage**, **open_total_due**: open cases *now* (not as of `to`): their number
  per stage, in ladder order, and the sum of their total due (arrears + Doorstep's charges).
* **cases_by_status**: all cases now, per status.
* **cure_rate**: cases resolved in the range with reason `cured` or `paid` ÷ cases open at any
  time in the range (opened before the end of `to` and not resolved before the start of
  `from`).
* **promise_kept_rate**: promises kept ÷ promises kept or broken, counting promises settled
  (kept or broken) on a business date in the range; pending promises do not count.
* **roll_rates**: for each pair of consecutive ladder stages A → B: `cases` = cases in A at the
  start of `from` (their last stage transition before `from` went to A, and they were not
  resolved before `from`) or that entered A during the range; `rolled` = those of them with a
  transition A → B dated in the range; `rate` = rolled ÷ cases.

Rates are given with their numerator and denominator, to four decimals, and are null when the
denominator is 0.
"""


@router.get(
    "/summary",
    dependencies=[require(Scope.CASES_READ)],
    response_model=PortfolioSummary,
    summary="Portfolio summary",
    description=SUMMARY_DESCRIPTION,
    responses={
        422: {
            "description": "Missing or invalid dates, `from` after `to`, or a date outside "
            "1900-01-01 to 2999-12-31.",
            **_problem,
        },
    },
)
async def get_portfolio_summary(
    session: SessionDep,
    settings: SettingsDep,
    policy: Annotated[CollectionPolicy, Depends(policy_dependency)],
    from_date: Annotated[BusinessDay, Query(alias="from", description="First business date.")],
    to_date: Annotated[
        BusinessDay, Query(alias="to", description="Last business date (inclusive).")
    ],
    product: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> PortfolioSummary:
    if from_date > to_date:
        raise RequestValidationError(
            [{"loc": ("query", "to"), "msg": "to is before from", "type": "value_error"}]
        )
    service = PortfolioSummaryService(session, policy, settings.bank_timezone)
    return await service.summary(from_date, to_date, product)
