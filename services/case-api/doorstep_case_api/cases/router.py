"""Case reads for operations, and contact data for the other services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from doorstep_case_api.cases.schemas import CaseContact, CasePage, CaseRead, TimelineEntryRead
from doorstep_case_api.cases.service import CaseQueryService, summarize
from doorstep_case_api.dependencies import SessionDep, require_service_token
from doorstep_shared.errors import PROBLEM_JSON

router = APIRouter(prefix="/v1/cases", tags=["cases"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.get(
    "",
    response_model=CasePage,
    summary="List cases",
    description="Cases filtered by status and stage, oldest first, with cursor pagination.",
    responses={400: {"description": "Invalid cursor.", **_problem}},
)
async def list_cases(
    session: SessionDep,
    status: Literal["open", "resolved"] | None = None,
    stage: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePage:
    cases, next_cursor = await CaseQueryService(session).page(
        status=status, stage=stage, cursor=cursor, limit=limit
    )
    return CasePage(items=[summarize(case) for case in cases], next_cursor=next_cursor)


@router.get(
    "/{case_id}",
    response_model=CaseRead,
    summary="Get a case with its timeline",
    description="The case and everything that happened to it, newest last.",
    responses={404: {"description": "No such case.", **_problem}},
)
async def get_case(case_id: uuid.UUID, session: SessionDep) -> CaseRead:
    found = await CaseQueryService(session).with_timeline(case_id)
    return CaseRead(
        **summarize(found.case).model_dump(),
        timeline=[TimelineEntryRead.model_validate(entry) for entry in found.timeline],
    )


@router.get(
    "/{case_id}/contact",
    response_model=CaseContact,
    summary="Contact data for a case (services only)",
    description=(
        "The customer's contact data, for the notifier and scheduler. Requires the service "
        "credential (Authorization: Bearer ...)."
    ),
    dependencies=[Depends(require_service_token)],
    responses={
        401: {"description": "Missing or wrong service credential.", **_problem},
        404: {"description": "No such case.", **_problem},
    },
)
async def get_case_contact(case_id: uuid.UUID, session: SessionDep) -> CaseContact:
    return await CaseQueryService(session).contact(case_id)
