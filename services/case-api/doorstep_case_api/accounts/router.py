"""Intake from core banking."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from doorstep_case_api.accounts.schemas import DelinquencySnapshot, IntakeResult
from doorstep_case_api.accounts.service import IntakeService
from doorstep_case_api.cases.service import summarize
from doorstep_case_api.dependencies import PersonalDataDep, RulesDep, after_commit
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

router = APIRouter(prefix="/v1/accounts", tags=["intake"])

AccountId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.put(
    "/{account_id}/delinquency",
    dependencies=[require(Scope.ACCOUNTS_WRITE)],
    response_model=IntakeResult,
    summary="Report an account's delinquency snapshot",
    description=(
        "Idempotent upsert of one loan account's overdue position as of a date. Positive "
        "arrears open a case (201) or update the open one; zero arrears resolve it. A snapshot "
        "older than the last applied one is refused with 409 and changes nothing. Amounts are "
        "decimal strings in the loan's currency."
    ),
    responses={
        200: {"description": "Applied to an existing case, or nothing to do."},
        201: {"description": "A new case was opened.", "model": IntakeResult},
        400: {"description": "The body is not valid JSON.", **_problem},
        409: {"description": "Stale snapshot or currency change.", **_problem},
        422: {"description": "Invalid snapshot (values are not echoed).", **_problem},
    },
)
async def put_delinquency(
    account_id: AccountId,
    snapshot: DelinquencySnapshot,
    rules: RulesDep,
    personal_data: PersonalDataDep,
    request: Request,
    response: Response,
) -> IntakeResult:
    output = await IntakeService(rules, personal_data).apply_snapshot(account_id, snapshot)
    await rules.session.commit()
    after_commit(request)
    if output.outcome == "opened":
        response.status_code = 201
    return IntakeResult(
        account_id=account_id,
        outcome=output.outcome,
        case=summarize(output.case) if output.case else None,
    )
