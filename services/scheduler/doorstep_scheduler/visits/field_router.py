"""Field API for collector teams: the day's agenda, check-in at the door, the visit outcome.

Include before ``visits.router``: ``/v1/visits/agenda`` must not be read as a visit id.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from doorstep_scheduler.dependencies import SessionDep
from doorstep_scheduler.plans.wakeup import wake_planner
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.events import VisitEventRecorder
from doorstep_scheduler.visits.field_schemas import (
    AgendaStop,
    CheckInCreate,
    OutcomeCreate,
    TeamAgenda,
)
from doorstep_scheduler.visits.field_service import (
    FieldVisitService,
    OutcomeReport,
    PromiseToPay,
)
from doorstep_scheduler.visits.schemas import VisitRead
from doorstep_shared.clock import utc_now
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1/visits", tags=["field visits"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}

VisitReader = Annotated[Principal, require(Scope.VISITS_READ)]
VisitWriter = Annotated[Principal, require(Scope.VISITS_WRITE)]


def get_settings(request: Request) -> SchedulerSettings:
    settings: SchedulerSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[SchedulerSettings, Depends(get_settings)]


def _service(session: SessionDep, settings: SettingsDep) -> FieldVisitService:
    return FieldVisitService(session, settings, VisitEventRecorder(session, settings.event_source))


FieldServiceDep = Annotated[FieldVisitService, Depends(_service)]


def _after_commit(request: Request) -> None:
    relay = getattr(request.app.state, "relay", None)
    if relay is not None:
        relay.notify()


@router.get(
    "/agenda",
    response_model=TeamAgenda,
    summary="A team's agenda for the day",
    description=(
        "The team's visits on its local working date, in route order: the appointment window "
        "(also on the customer's wall clock), the planned arrival, the address's coordinates "
        "for a map, and the customer's name and address for the door. Cancelled visits drop "
        "out. Each read is written to the audit log (which cases, which fields). A "
        "collector's credential (one bound to a team) reads only its own team's agenda; "
        "another team is not found."
    ),
    responses={
        404: {"description": "No such team (or not this collector's).", **_problem},
        422: {"description": "Missing or invalid team_id or day.", **_problem},
    },
)
async def get_agenda(
    team_id: uuid.UUID,
    day: date,
    caller: VisitReader,
    service: FieldServiceDep,
    session: SessionDep,
) -> TeamAgenda:
    visits = await service.agenda(
        team_id, day, team_scope=caller.team_id, reader=caller.subject, now=utc_now()
    )
    items = [AgendaStop.of(visit) for visit in visits]
    await session.commit()  # the audit entries of this read
    return TeamAgenda(team_id=team_id, day=day, count=len(items), items=items)


@router.post(
    "/{visit_id}/check-in",
    response_model=VisitRead,
    summary="Check in at the door",
    description=(
        "The team arrived: the visit becomes checked_in with the team's position and time "
        "(default now). The check-in is flagged when it is farther from the address than "
        "`check_in_radius_meters` or outside the appointment window. Only a scheduled visit "
        "whose appointment notice was sent can be checked in: a customer who was not told "
        "is not visited."
    ),
    responses={
        404: {"description": "No such visit (or not this team's).", **_problem},
        409: {"description": "Not scheduled, or the notice was not sent.", **_problem},
        422: {"description": "Invalid position or time.", **_problem},
    },
)
async def check_in(
    visit_id: uuid.UUID,
    body: CheckInCreate,
    caller: VisitWriter,
    service: FieldServiceDep,
    session: SessionDep,
) -> VisitRead:
    visit = await service.check_in(
        visit_id,
        latitude=body.latitude,
        longitude=body.longitude,
        checked_in_at=body.checked_in_at,
        team_scope=caller.team_id,
        now=utc_now(),
    )
    await session.commit()
    return VisitRead.model_validate(visit)


@router.post(
    "/{visit_id}/outcome",
    response_model=VisitRead,
    summary="Record the visit's outcome",
    description=(
        "Closes a checked-in visit: met, not home, refused, wrong address, promise to pay "
        "(with amount, currency and date), paid, hardship, dispute or third party present. "
        "The outcome goes to case-api as a status update (`doorstep.visit.outcome_recorded.v1`); "
        "the notes stay in the scheduler. Where the contact-rule pack records visits (CN), "
        "`recording_ref` is required unless nobody was spoken to (not home, wrong address). "
        "Nobody home: a re-visit is requested, up to `max_visit_attempts` per stage. Sending "
        "the identical outcome again returns the visit unchanged, without a second update."
    ),
    responses={
        404: {"description": "No such visit (or not this team's).", **_problem},
        409: {"description": "Not checked in, or another outcome was recorded.", **_problem},
        422: {
            "description": "Invalid outcome: promise missing or not expected, currency other "
            "than the case's, date in the past, recording missing (values are not echoed).",
            **_problem,
        },
    },
)
async def record_outcome(
    visit_id: uuid.UUID,
    body: OutcomeCreate,
    caller: VisitWriter,
    service: FieldServiceDep,
    session: SessionDep,
    request: Request,
) -> VisitRead:
    promise = body.promise
    result = await service.record_outcome(
        visit_id,
        OutcomeReport(
            outcome=body.outcome,
            notes=body.notes,
            recording_ref=body.recording_ref,
            promise=PromiseToPay(promise.amount, promise.currency, promise.date)
            if promise is not None
            else None,
        ),
        team_scope=caller.team_id,
        now=utc_now(),
    )
    if not result.replayed:
        await session.commit()
        _after_commit(request)
        if result.next_attempt is not None:
            wake_planner(request.app)
    return VisitRead.model_validate(result.visit)
