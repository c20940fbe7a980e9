"""Legal review of a case: read the referral and its dossier, confirm or return it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from doorstep_case_api.dependencies import IfMatch, RulesDep, after_commit
from doorstep_case_api.legal.models import LegalReferral
from doorstep_case_api.legal.schemas import (
    Dossier,
    LegalReferralConfirm,
    LegalReferralRead,
    LegalReferralReturn,
    ReferralRead,
)
from doorstep_case_api.legal.service import (
    build_dossier,
    confirm_referral,
    current_referral,
    return_referral,
)
from doorstep_case_api.operations.concurrency import check_if_match, set_etag
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1/cases", tags=["legal"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
_DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such case.", **_problem},
    409: {"description": "The case is not open or has no referral in review.", **_problem},
    412: {"description": "If-Match is not the case's current ETag.", **_problem},
    422: {"description": "Invalid body (values are not echoed).", **_problem},
}


def _read(referral: LegalReferral, dossier: Dossier) -> LegalReferralRead:
    confirmed = referral.dossier
    return LegalReferralRead(
        referral=ReferralRead.model_validate(referral),
        dossier=dossier,
        confirmed_dossier=None if confirmed is None else Dossier.model_validate(confirmed),
    )


@router.get(
    "/{case_id}/legal-referral",
    dependencies=[require(Scope.CASES_READ)],
    response_model=LegalReferralRead,
    summary="Get the case's legal referral and dossier",
    description=(
        "The newest referral (in_review, confirmed or returned) with a dossier compiled now: "
        "itemised balance, fee history, payments, contact history, visit outcomes, promises, "
        "arrangements, stage history and holds. A confirmed referral also shows the dossier "
        "as handed over. The ETag is the case's."
    ),
    responses={
        404: {"description": "No such case, or never referred.", **_problem},
        422: {"description": "The case id is not a UUID.", **_problem},
    },
)
async def get_legal_referral(
    case_id: uuid.UUID, rules: RulesDep, response: Response
) -> LegalReferralRead:
    found = await current_referral(rules.session, case_id, rules.business_date)
    set_etag(response, found.case)
    return _read(found.referral, found.dossier)


@router.post(
    "/{case_id}/legal-referral/confirm",
    response_model=LegalReferralRead,
    summary="Confirm the legal referral",
    description=(
        "Hands the case over to legal recovery: the dossier as it stands today is stored on "
        "the referral, and the case stays in its legal stage."
    ),
    responses=_DECISION_ERRORS,
)
async def confirm_legal_referral(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    case_id: uuid.UUID,
    body: LegalReferralConfirm,
    rules: RulesDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> LegalReferralRead:
    ctx = await rules.locked(case_id)
    check_if_match(if_match, ctx.case)
    referral = await confirm_referral(
        ctx, decided_by=body.decided_by, reason=body.reason, actor=caller.subject
    )
    dossier = await build_dossier(rules.session, ctx.case, rules.business_date)
    await rules.session.commit()
    after_commit(request)
    set_etag(response, ctx.case)
    return _read(referral, dossier)


@router.post(
    "/{case_id}/legal-referral/return",
    response_model=LegalReferralRead,
    summary="Return the case from legal review",
    description=(
        "Legal action is not warranted now: the case goes back to the stage it came from, "
        "with the reason on its stage history. Broken promises and arrangements and the "
        "visit attempt that escalated it are reset, so only new facts escalate it again."
    ),
    responses=_DECISION_ERRORS,
)
async def return_legal_referral(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    case_id: uuid.UUID,
    body: LegalReferralReturn,
    rules: RulesDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> LegalReferralRead:
    ctx = await rules.locked(case_id)
    check_if_match(if_match, ctx.case)
    referral = await return_referral(
        ctx, decided_by=body.decided_by, reason=body.reason, actor=caller.subject
    )
    dossier = await build_dossier(rules.session, ctx.case, rules.business_date)
    await rules.session.commit()
    after_commit(request)
    set_etag(response, ctx.case)
    return _read(referral, dossier)
