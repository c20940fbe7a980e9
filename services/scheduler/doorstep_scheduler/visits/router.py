"""Visits for operations: read them, and put a waiting one back in line."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from doorstep_scheduler.dependencies import SessionDep
from doorstep_scheduler.plans.wakeup import wake_planner
from doorstep_scheduler.visits.models import VisitStatus
from doorstep_scheduler.visits.schemas import VisitList, VisitRead
from doorstep_scheduler.visits.service import VisitQueryService, VisitReplanService
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1/visits", tags=["visits"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


VisitReader = Annotated[Principal, require(Scope.VISITS_READ)]


@router.get(
    "",
    response_model=VisitList,
    summary="List visits",
    description=(
        "Field visits, newest first, filtered by case and status: the team, day, route "
        "position and window of planned visits, the notice, check-in and outcome. Unassigned "
        "visits carry the reason no team or slot was found. The collector's notes and the "
        "customer's name and address are never listed. A collector's credential (one bound "
        "to a team) sees only that team's visits."
    ),
    responses={422: {"description": "Invalid filter.", **_problem}},
)
async def list_visits(
    session: SessionDep,
    caller: VisitReader,
    case_id: uuid.UUID | None = None,
    status: VisitStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> VisitList:
    visits = await VisitQueryService(session).find(
        case_id=case_id, status=status, limit=limit, team_id=caller.team_id
    )
    return VisitList(items=[VisitRead.model_validate(v) for v in visits])


@router.get(
    "/{visit_id}",
    response_model=VisitRead,
    summary="Get a visit",
    description="One field visit with its team, window, notice, check-in and outcome and, if "
    "any, why it is unassigned or cancelled. Another team's visit is not found for a collector.",
    responses={404: {"description": "No such visit (or not this team's).", **_problem}},
)
async def get_visit(visit_id: uuid.UUID, session: SessionDep, caller: VisitReader) -> VisitRead:
    found = await VisitQueryService(session).get(visit_id, team_id=caller.team_id)
    return VisitRead.model_validate(found)


@router.post(
    "/{visit_id}/replan",
    dependencies=[require(Scope.ADMIN)],
    response_model=VisitRead,
    summary="Re-plan a waiting visit",
    description=(
        "Puts a visit that waits for a plan (status `unassigned`, e.g. `notice_failed` or "
        "`consent_required`) back in line: its address and terms are fetched from case-api "
        "again and the planner runs soon. For use after the cause was fixed."
    ),
    responses={
        404: {"description": "No such visit.", **_problem},
        409: {"description": "The visit is not waiting for a plan.", **_problem},
    },
)
async def replan_visit(visit_id: uuid.UUID, request: Request, session: SessionDep) -> VisitRead:
    visit = await VisitReplanService(session).replan(visit_id)
    answer = VisitRead.model_validate(visit)
    await session.commit()
    wake_planner(request.app)
    return answer
