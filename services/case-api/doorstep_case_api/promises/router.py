"""Promises to pay, recorded by operations staff."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from doorstep_case_api.dependencies import IfMatch, RulesDep, SessionDep, after_commit
from doorstep_case_api.promises.schemas import PromiseCreate, PromiseList, PromiseRead
from doorstep_case_api.promises.service import (
    ensure_case_currency,
    promises_of_case,
    record_promise,
)
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

router = APIRouter(prefix="/v1", tags=["promises"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.post(
    "/cases/{case_id}/promises",
    dependencies=[require(Scope.CASES_WRITE)],
    response_model=PromiseRead,
    status_code=201,
    summary="Record a promise to pay",
    description=(
        "Records the customer's promise to pay an amount by a date, taken by operations staff. "
        "The promise is pending until payments reach its amount (kept) or its date plus the "
        "product's grace days passes (broken; broken promises can escalate the case). The "
        "amount is a decimal string in the case's currency; the date is from today's business "
        "date up to 90 days ahead. Send the case's ETag in If-Match to refuse the change if "
        "the case changed since you read it."
    ),
    responses={
        201: {"description": "The promise was recorded (pending)."},
        404: {"description": "No such case.", **_problem},
        409: {"description": "The case is not open.", **_problem},
        412: {"description": "The case changed since the ETag in If-Match.", **_problem},
        422: {
            "description": "Invalid promise: amount, date or a currency other than the "
            "case's (values are not echoed).",
            **_problem,
        },
    },
)
async def post_promise(
    case_id: uuid.UUID,
    body: PromiseCreate,
    rules: RulesDep,
    request: Request,
    if_match: IfMatch = None,
) -> PromiseRead:
    ctx = await rules.locked(case_id, if_match)
    ensure_case_currency(ctx, body.currency)
    promise = await record_promise(
        ctx,
        amount=body.amount,
        promised_date=body.promised_date,
        channel=body.channel,
        recorded_by=body.recorded_by,
        source="operations",
    )
    await rules.session.commit()
    after_commit(request)
    return PromiseRead.of(promise)


@router.get(
    "/cases/{case_id}/promises",
    dependencies=[require(Scope.CASES_READ)],
    response_model=PromiseList,
    summary="List a case's promises to pay",
    description="Every promise on the case, oldest first, with what was paid towards it.",
    responses={
        404: {"description": "No such case.", **_problem},
        422: {"description": "The case id is not a UUID.", **_problem},
    },
)
async def list_promises(case_id: uuid.UUID, session: SessionDep) -> PromiseList:
    promises = await promises_of_case(session, case_id)
    return PromiseList(items=[PromiseRead.of(promise) for promise in promises])
