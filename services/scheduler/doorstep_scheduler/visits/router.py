"""Visit reads for operations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from doorstep_scheduler.dependencies import SessionDep
from doorstep_scheduler.visits.models import VisitStatus
from doorstep_scheduler.visits.schemas import VisitList, VisitRead
from doorstep_scheduler.visits.service import VisitQueryService
from doorstep_shared.errors import PROBLEM_JSON

router = APIRouter(prefix="/v1/visits", tags=["visits"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.get(
    "",
    response_model=VisitList,
    summary="List visits",
    description=(
        "Field visits, newest first, filtered by case and status. Unassigned visits carry the "
        "reason no collector or slot was found."
    ),
    responses={422: {"description": "Invalid filter.", **_problem}},
)
async def list_visits(
    session: SessionDep,
    case_id: uuid.UUID | None = None,
    status: VisitStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> VisitList:
    visits = await VisitQueryService(session).find(case_id=case_id, status=status, limit=limit)
    return VisitList(items=[VisitRead.model_validate(v) for v in visits])


@router.get(
    "/{visit_id}",
    response_model=VisitRead,
    summary="Get a visit",
    description="One field visit with its collector, window and, if any, why it is unassigned "
    "or cancelled.",
    responses={404: {"description": "No such visit.", **_problem}},
)
async def get_visit(visit_id: uuid.UUID, session: SessionDep) -> VisitRead:
    return VisitRead.model_validate(await VisitQueryService(session).get(visit_id))
