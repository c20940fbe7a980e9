"""Planning runs: read the log, or run one now (e.g. after a roster change)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from doorstep_scheduler.dependencies import SessionDep
from doorstep_scheduler.plans.schemas import PlanList, PlanRead, PlanRunAnswer
from doorstep_scheduler.plans.service import PlanningService
from doorstep_scheduler.plans.worker import planning_worker
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.get(
    "",
    dependencies=[require(Scope.VISITS_READ)],
    response_model=PlanList,
    summary="List planning runs",
    description="Recent planning runs with what each planned, kept, moved and left out, and why.",
)
async def list_plans(
    request: Request, session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> PlanList:
    plans = await PlanningService(session, request.app.state.settings).recent(limit)
    return PlanList(items=[PlanRead.model_validate(p) for p in plans])


@router.post(
    "",
    dependencies=[require(Scope.ADMIN)],
    response_model=PlanRunAnswer,
    summary="Plan now",
    description=(
        "Runs the planner now and answers with the plan (it also runs by itself on every "
        "change and every `SCHEDULER_PLANNING_INTERVAL_SECONDS`). Appointments already given "
        "stay where they are unless they can no longer be kept."
    ),
)
async def plan_now(request: Request) -> PlanRunAnswer:
    plan = await planning_worker(request.app).run_once("request")
    return PlanRunAnswer(plan=PlanRead.model_validate(plan) if plan else None)
