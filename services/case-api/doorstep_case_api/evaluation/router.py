"""Operations: the business date and the daily evaluation job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from doorstep_case_api.business_date.service import BusinessDateService
from doorstep_case_api.dependencies import SessionDep, SettingsDep, after_commit
from doorstep_case_api.evaluation.schemas import (
    BusinessDateRead,
    BusinessDateUpdate,
    EvaluationRead,
    EvaluationRequest,
)
from doorstep_case_api.evaluation.service import DailyEvaluation
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1", tags=["operations"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.get(
    "/business-date",
    dependencies=[require(Scope.CASES_READ)],
    response_model=BusinessDateRead,
    summary="Today's business date",
    description="The date all evaluation uses: pinned by operations, or the bank's calendar day.",
)
async def get_business_date(session: SessionDep, settings: SettingsDep) -> BusinessDateRead:
    dates = BusinessDateService(session, settings.bank_timezone)
    return BusinessDateRead(business_date=await dates.today(), pinned=await dates.is_pinned())


@router.put(
    "/business-date",
    response_model=BusinessDateRead,
    summary="Pin the business date",
    description="For tests and replays: every evaluation uses this date until it is unpinned.",
    responses={
        400: {"description": "The body is not valid JSON.", **_problem},
        422: {"description": "Not a date.", **_problem},
    },
)
async def pin_business_date(
    caller: Annotated[Principal, require(Scope.ADMIN)],
    body: BusinessDateUpdate,
    session: SessionDep,
    settings: SettingsDep,
) -> BusinessDateRead:
    pinned = await BusinessDateService(session, settings.bank_timezone).pin(
        body.business_date, actor=caller.subject
    )
    await session.commit()
    return BusinessDateRead(business_date=pinned, pinned=True)


@router.delete(
    "/business-date",
    response_model=BusinessDateRead,
    summary="Follow the bank's calendar again",
    description="Unpins the business date: it becomes today in the bank's time zone.",
)
async def unpin_business_date(
    session: SessionDep,
    settings: SettingsDep,
    caller: Annotated[Principal, require(Scope.ADMIN)],
) -> BusinessDateRead:
    today = await BusinessDateService(session, settings.bank_timezone).follow_calendar(
        actor=caller.subject
    )
    await session.commit()
    return BusinessDateRead(business_date=today, pinned=False)


@router.post(
    "/evaluations",
    dependencies=[require(Scope.ADMIN)],
    response_model=EvaluationRead,
    summary="Run the daily evaluation now",
    description=(
        "Evaluates every open case for a business date: expires holds, accrues charges, "
        "settles due promises and arrangement instalments, moves stages. Idempotent: a second "
        "run for the same date records nothing new."
    ),
    responses={422: {"description": "Invalid body.", **_problem}},
)
async def run_evaluation(
    body: EvaluationRequest, session: SessionDep, settings: SettingsDep, request: Request
) -> EvaluationRead:
    business_date = (
        body.business_date or await BusinessDateService(session, settings.bank_timezone).today()
    )
    await session.close()  # the job opens one transaction per case
    result = await DailyEvaluation(
        request.app.state.sessionmaker, request.app.state.policy, settings.event_source
    ).run(business_date)
    after_commit(request)
    return EvaluationRead(
        business_date=result.business_date,
        cases_evaluated=result.cases_evaluated,
        events_recorded=result.events_recorded,
    )
