"""Holds and the vulnerability flag on a case."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from doorstep_case_api.cases.vulnerability import clear_vulnerability, set_vulnerability
from doorstep_case_api.dependencies import IfMatch, RulesDep, SessionDep, after_commit
from doorstep_case_api.holds.schemas import (
    HoldCreate,
    HoldLift,
    HoldList,
    HoldRead,
    VulnerabilityRead,
    VulnerabilityUpdate,
)
from doorstep_case_api.holds.service import (
    find_hold,
    lift_hold,
    list_holds,
    place_hold,
)
from doorstep_case_api.operations.concurrency import check_if_match, set_etag
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1/cases")
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: Responses = {404: {"description": "No such case.", **_problem}}
_STALE: Responses = {412: {"description": "If-Match is not the case's current ETag.", **_problem}}
_INVALID: Responses = {422: {"description": "Invalid body (values are not echoed).", **_problem}}
_BAD_ID: Responses = {422: {"description": "The case id is not a UUID.", **_problem}}
_UNPARSABLE: Responses = {400: {"description": "The body is not valid JSON.", **_problem}}


@router.post(
    "/{case_id}/holds",
    status_code=201,
    response_model=HoldRead,
    tags=["holds"],
    summary="Place a hold",
    description=(
        "Pauses all collection on the case at once: the hold_placed event stops pending "
        "notices and cancels planned visits, and the ladder waits. Moratorium, hardship, "
        "bankruptcy and deceased holds also freeze Doorstep's fees and penalty interest; "
        "frozen days are never charged later. A moratorium needs `ends_on` within 60 days."
    ),
    responses={
        **_NOT_FOUND,
        409: {"description": "Case not open, or a hold of this type is active.", **_problem},
        **_STALE,
        422: {"description": "Invalid body or hold period (values not echoed).", **_problem},
    },
)
async def post_hold(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    case_id: uuid.UUID,
    body: HoldCreate,
    rules: RulesDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> HoldRead:
    ctx = await rules.locked(case_id)
    check_if_match(if_match, ctx.case)
    hold = await place_hold(
        ctx,
        hold_type=body.hold_type,
        reason=body.reason,
        ends_on=body.ends_on,
        placed_by=body.placed_by,
        actor=caller.subject,
    )
    await rules.session.commit()
    after_commit(request)
    set_etag(response, ctx.case)
    return HoldRead.of(hold)


@router.get(
    "/{case_id}/holds",
    dependencies=[require(Scope.CASES_READ)],
    response_model=HoldList,
    tags=["holds"],
    summary="List a case's holds",
    description="Active and lifted holds, oldest first. The ETag is the case's.",
    responses={**_NOT_FOUND, **_BAD_ID},
)
async def get_holds(case_id: uuid.UUID, session: SessionDep, response: Response) -> HoldList:
    found = await list_holds(session, case_id)
    set_etag(response, found.case)
    return HoldList(items=[HoldRead.of(hold) for hold in found.holds])


@router.post(
    "/{case_id}/holds/{hold_id}/lift",
    response_model=HoldRead,
    tags=["holds"],
    summary="Lift a hold",
    description=(
        "Ends the hold. When no other hold or active arrangement pauses the case, contact "
        "resumes and the ladder moves on as far as its prerequisites allow."
    ),
    responses={
        404: {"description": "No such case or hold.", **_problem},
        409: {"description": "The hold was already lifted.", **_problem},
        **_STALE,
        **_INVALID,
    },
)
async def post_lift(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    case_id: uuid.UUID,
    hold_id: uuid.UUID,
    body: HoldLift,
    rules: RulesDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> HoldRead:
    ctx = await rules.locked(case_id)
    check_if_match(if_match, ctx.case)
    hold = await find_hold(ctx, hold_id)
    await lift_hold(
        ctx,
        hold,
        reason=body.reason,
        lifted_by=body.lifted_by,
        because="operations",
        actor=caller.subject,
    )
    await rules.session.commit()
    after_commit(request)
    set_etag(response, ctx.case)
    return HoldRead.of(hold)


@router.put(
    "/{case_id}/vulnerability",
    response_model=VulnerabilityRead,
    tags=["vulnerability"],
    summary="Flag the customer as vulnerable",
    description=(
        "Records the FCA vulnerability driver. The case event says only that the customer is "
        "vulnerable, never the category or the note. Setting the same category again changes "
        "nothing."
    ),
    responses={
        **_UNPARSABLE,
        **_NOT_FOUND,
        409: {"description": "The case is not open.", **_problem},
        **_STALE,
        **_INVALID,
    },
)
async def put_vulnerability(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    case_id: uuid.UUID,
    body: VulnerabilityUpdate,
    rules: RulesDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> VulnerabilityRead:
    ctx = await rules.locked(case_id)
    check_if_match(if_match, ctx.case)
    if await set_vulnerability(ctx, category=body.category, note=body.note, actor=caller.subject):
        await rules.session.commit()
        after_commit(request)
    set_etag(response, ctx.case)
    return VulnerabilityRead(case_id=case_id, vulnerable=True, category=body.category)


@router.delete(
    "/{case_id}/vulnerability",
    response_model=VulnerabilityRead,
    tags=["vulnerability"],
    summary="Clear the vulnerability flag",
    description="Removes the flag and its category. Clearing an unflagged case changes nothing.",
    responses={**_NOT_FOUND, **_STALE, **_BAD_ID},
)
async def delete_vulnerability(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    case_id: uuid.UUID,
    rules: RulesDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> VulnerabilityRead:
    ctx = await rules.locked(case_id)
    check_if_match(if_match, ctx.case)
    if await clear_vulnerability(ctx, actor=caller.subject):
        await rules.session.commit()
        after_commit(request)
    set_etag(response, ctx.case)
    return VulnerabilityRead(case_id=case_id, vulnerable=False, category=None)
