"""Teams, their collectors and the collectors' absences, for operations.

Reads need ``visits:read``; a collector's team-bound credential reads every team and collector
like any other (staff rosters are not a team's secret; visits are). Writes need ``admin``.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from doorstep_scheduler.dependencies import SessionDep
from doorstep_scheduler.teams.schemas import (
    AbsenceCreate,
    AbsenceList,
    AbsenceRead,
    CollectorCreate,
    CollectorList,
    CollectorRead,
    CollectorUpdate,
    TeamCreate,
    TeamList,
    TeamRead,
    TeamUpdate,
)
from doorstep_scheduler.teams.service import AbsenceService, CollectorService, TeamService
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

teams_router = APIRouter(prefix="/v1/teams", tags=["teams"])
collectors_router = APIRouter(prefix="/v1/collectors", tags=["collectors"])

_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
Responses = dict[int | str, dict[str, Any]]
_READ = [require(Scope.VISITS_READ)]
_WRITE = [require(Scope.ADMIN)]
_INVALID: Responses = {422: {"description": "Invalid or unknown fields (not echoed).", **_problem}}
_NO_TEAM: Responses = {404: {"description": "No such team.", **_problem}}
_NO_COLLECTOR: Responses = {404: {"description": "No such collector.", **_problem}}
_NAME_TAKEN: Responses = {409: {"description": "Another team has this name.", **_problem}}
_REF_TAKEN: Responses = {
    409: {"description": "Another collector has this employee reference.", **_problem}
}
_UNKNOWN_TEAM: Responses = {
    422: {
        "description": "Invalid or unknown fields, or `team_id` names no team (`unknown-team`).",
        **_problem,
    }
}


# --- teams ---


@teams_router.post(
    "",
    dependencies=_WRITE,
    response_model=TeamRead,
    status_code=201,
    summary="Create a team",
    description=(
        "Adds an active team. Visits are made by teams: add collectors with `team_id` set to "
        "this team. The team is planned once it has a `base` and enough active members for "
        "the rule pack's minimum team size (two in the CN pack), on its members' common "
        "working hours, never on the `holiday_country`'s public holidays."
    ),
    responses={**_NAME_TAKEN, **_INVALID},
)
async def create_team(request: TeamCreate, session: SessionDep) -> TeamRead:
    staffed = await TeamService(session).create(request)
    await session.commit()
    return TeamRead.of(staffed.team, staffed.members)


@teams_router.get(
    "",
    dependencies=_READ,
    response_model=TeamList,
    summary="List teams",
    description="Every team, active or not, ordered by name, with its members.",
)
async def list_teams(session: SessionDep) -> TeamList:
    teams = await TeamService(session).by_name()
    return TeamList(items=[TeamRead.of(staffed.team, staffed.members) for staffed in teams])


@teams_router.get(
    "/{team_id}",
    dependencies=_READ,
    response_model=TeamRead,
    summary="Get a team",
    description="One team with its members and its size (active members).",
    responses=_NO_TEAM,
)
async def get_team(team_id: uuid.UUID, session: SessionDep) -> TeamRead:
    staffed = await TeamService(session).get(team_id)
    return TeamRead.of(staffed.team, staffed.members)


@teams_router.patch(
    "/{team_id}",
    dependencies=_WRITE,
    response_model=TeamRead,
    summary="Change a team",
    description=(
        "Changes only the fields sent; `null` clears `region`, `base` or `holiday_country` "
        "(a team without a base is no longer planned); a new `timezone` moves its members' "
        "local hours with it. `active: false` retires the team: "
        "it is left out of the next plans and keeps its members until they are moved. "
        "Appointments already given are not moved by this call."
    ),
    responses={**_NO_TEAM, **_NAME_TAKEN, **_INVALID},
)
async def update_team(team_id: uuid.UUID, request: TeamUpdate, session: SessionDep) -> TeamRead:
    staffed = await TeamService(session).update(team_id, request)
    await session.commit()
    return TeamRead.of(staffed.team, staffed.members)


# --- collectors ---


@collectors_router.post(
    "",
    dependencies=_WRITE,
    response_model=CollectorRead,
    status_code=201,
    summary="Register a collector",
    description=(
        "Adds an active collector, in a team or in none. Working hours are local times in the "
        "team's time zone; languages are BCP 47 tags (normalised: `ZH-cn` becomes `zh-CN`); "
        "skills are short slugs a visit may require."
    ),
    responses={**_REF_TAKEN, **_UNKNOWN_TEAM},
)
async def create_collector(request: CollectorCreate, session: SessionDep) -> CollectorRead:
    collector = await CollectorService(session).create(request)
    await session.commit()
    return CollectorRead.of(collector)


@collectors_router.get(
    "",
    dependencies=_READ,
    response_model=CollectorList,
    summary="List collectors",
    description="Collectors ordered by name, optionally of one team and active or not.",
    responses={422: {"description": "Invalid filter.", **_problem}},
)
async def list_collectors(
    session: SessionDep, team_id: uuid.UUID | None = None, active: bool | None = None
) -> CollectorList:
    collectors = await CollectorService(session).find(team_id=team_id, active=active)
    return CollectorList(items=[CollectorRead.of(collector) for collector in collectors])


@collectors_router.get(
    "/{collector_id}",
    dependencies=_READ,
    response_model=CollectorRead,
    summary="Get a collector",
    description="One collector with their team, hours, languages, skills and capacity.",
    responses=_NO_COLLECTOR,
)
async def get_collector(collector_id: uuid.UUID, session: SessionDep) -> CollectorRead:
    return CollectorRead.of(await CollectorService(session).get(collector_id))


@collectors_router.patch(
    "/{collector_id}",
    dependencies=_WRITE,
    response_model=CollectorRead,
    summary="Change a collector",
    description=(
        "Changes only the fields sent. `team_id` moves the collector to another team, or out "
        "of any team with `null`; `working_hours` replaces both start and end; "
        "`active: false` stops planning them. Plans made before keep their appointments."
    ),
    responses={**_NO_COLLECTOR, **_REF_TAKEN, **_UNKNOWN_TEAM},
)
async def update_collector(
    collector_id: uuid.UUID, request: CollectorUpdate, session: SessionDep
) -> CollectorRead:
    collector = await CollectorService(session).update(collector_id, request)
    await session.commit()
    return CollectorRead.of(collector)


# --- absences ---


@collectors_router.post(
    "/{collector_id}/absences",
    dependencies=_WRITE,
    response_model=AbsenceRead,
    status_code=201,
    summary="Record an absence",
    description=(
        "Leave, sickness, training or other, from `first_day` to `last_day` inclusive (local "
        "dates). The collector is not planned on those days; a team that is left without "
        "enough members on a day does not go out. Absences may overlap."
    ),
    responses={**_NO_COLLECTOR, **_INVALID},
)
async def create_absence(
    collector_id: uuid.UUID, request: AbsenceCreate, session: SessionDep
) -> AbsenceRead:
    absence = await AbsenceService(session).add(collector_id, request)
    await session.commit()
    return AbsenceRead.of(absence)


@collectors_router.get(
    "/{collector_id}/absences",
    dependencies=_READ,
    response_model=AbsenceList,
    summary="List a collector's absences",
    description="Every absence of the collector, past and future, by first day.",
    responses=_NO_COLLECTOR,
)
async def list_absences(collector_id: uuid.UUID, session: SessionDep) -> AbsenceList:
    absences = await AbsenceService(session).of_collector(collector_id)
    return AbsenceList(items=[AbsenceRead.of(absence) for absence in absences])


@collectors_router.delete(
    "/{collector_id}/absences/{absence_id}",
    dependencies=_WRITE,
    status_code=204,
    response_class=Response,
    summary="Remove an absence",
    description="Deletes a recorded absence (e.g. leave that was cancelled).",
    responses={
        404: {"description": "No such collector, or no such absence of theirs.", **_problem}
    },
)
async def delete_absence(
    collector_id: uuid.UUID, absence_id: uuid.UUID, session: SessionDep
) -> Response:
    await AbsenceService(session).remove(collector_id, absence_id)
    await session.commit()
    return Response(status_code=204)
