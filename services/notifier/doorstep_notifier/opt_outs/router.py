"""Opt-outs: recorded by operations, or forwarded by the SMS gateway from a STOP reply."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request

from doorstep_notifier.dependencies import SessionDep
from doorstep_notifier.opt_outs.repository import OptOutRepository
from doorstep_notifier.opt_outs.schemas import (
    OptOutCreate,
    OptOutList,
    OptOutRead,
    OptOutRecorded,
    SmsOptOut,
)
from doorstep_notifier.opt_outs.service import OptOutService
from doorstep_notifier.providers.router import RECEIPT_SECRET_HEADER, require_receipt_secret
from doorstep_shared.clock import utc_now
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

router = APIRouter(tags=["opt-outs"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


def _wake(request: Request, woken: int) -> None:
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None and woken:
        dispatcher.wake()


@router.post(
    "/v1/cases/{case_id}/opt-outs",
    dependencies=[require(Scope.CASES_WRITE)],
    response_model=OptOutRecorded,
    summary="Record that the customer refused a medium",
    description=(
        "From the next judgement on, the contact rules treat the channel as refused for this "
        "case: notices go by another channel the customer accepts, or are suppressed. Waiting "
        "notices are judged again at once. Repeating an opt-out changes nothing."
    ),
    responses={422: {"description": "Unknown channel (values are not echoed).", **_problem}},
)
async def record_opt_out(
    case_id: uuid.UUID, body: OptOutCreate, session: SessionDep, request: Request
) -> OptOutRecorded:
    async with session.begin():
        added, woken = await OptOutService(session).record(
            case_id, body.channel, "operations", utc_now()
        )
    _wake(request, woken)
    return OptOutRecorded(case_id=case_id, channel=body.channel, new=added, notices_rejudged=woken)


@router.get(
    "/v1/cases/{case_id}/opt-outs",
    dependencies=[require(Scope.CASES_READ)],
    response_model=OptOutList,
    summary="A case's opt-outs",
    description="The media the customer refused, with where each refusal came from.",
)
async def list_opt_outs(case_id: uuid.UUID, session: SessionDep) -> OptOutList:
    found = await OptOutRepository(session).of_case(case_id)
    return OptOutList(items=[OptOutRead.model_validate(opt_out) for opt_out in found])


@router.post(
    "/v1/providers/sms/opt-outs",
    dependencies=[Depends(require_receipt_secret)],
    response_model=OptOutRecorded,
    summary="Record a STOP reply forwarded by the SMS gateway",
    description=(
        "The gateway names the SMS the customer answered (its message id, or Doorstep's "
        f"reference). Authenticated by the `{RECEIPT_SECRET_HEADER}` header."
    ),
    responses={
        401: {"description": "Missing or wrong gateway secret.", **_problem},
        404: {"description": "No SMS of ours matches.", **_problem},
        422: {"description": "Invalid body (values are not echoed).", **_problem},
    },
)
async def record_sms_opt_out(
    body: SmsOptOut, session: SessionDep, request: Request
) -> OptOutRecorded:
    async with session.begin():
        case_id, added, woken = await OptOutService(session).record_sms_reply(
            body.message_id, body.reference, utc_now()
        )
    _wake(request, woken)
    return OptOutRecorded(case_id=case_id, channel="sms", new=added, notices_rejudged=woken)
