"""Collector teams: list and register."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from doorstep_scheduler.collectors.schemas import CollectorCreate, CollectorList, CollectorRead
from doorstep_scheduler.collectors.service import CollectorService
from doorstep_scheduler.dependencies import SessionDep
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

router = APIRouter(prefix="/v1/collectors", tags=["collectors"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.get(
    "",
    dependencies=[require(Scope.VISITS_READ)],
    response_model=CollectorList,
    summary="List collectors",
    description="Every collector team, active or not, ordered by name.",
)
async def list_collectors(session: SessionDep) -> CollectorList:
    collectors = await CollectorService(session).by_name()
    return CollectorList(items=[CollectorRead.model_validate(c) for c in collectors])


@router.post(
    "",
    dependencies=[require(Scope.ADMIN)],
    response_model=CollectorRead,
    status_code=201,
    summary="Register a collector",
    description=(
        "Adds an active collector team with its daily visit capacity. New teams are considered "
        "for visits planned from now on; names are unique."
    ),
    responses={
        409: {"description": "The name is taken.", **_problem},
        422: {"description": "Invalid or unknown fields.", **_problem},
    },
)
async def create_collector(request: CollectorCreate, session: SessionDep) -> CollectorRead:
    collector = await CollectorService(session).create(request)
    await session.commit()
    return CollectorRead.model_validate(collector)
