"""Repayment arrangements: proposed by operations, approved or rejected, read with schedules."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from doorstep_case_api.arrangements.schemas import (
    ArrangementApprove,
    ArrangementCreate,
    ArrangementList,
    ArrangementRead,
    ArrangementReject,
)
from doorstep_case_api.arrangements.service import (
    approve,
    arrangement_to_decide,
    arrangements_of_case,
    credential_role,
    ensure_case_currency,
    instalments_of,
    propose,
    reject,
)
from doorstep_case_api.cases.context import CaseContext, CaseRules
from doorstep_case_api.dependencies import IfMatch, RulesDep, SessionDep, after_commit
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1", tags=["arrangements"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
_precondition = {"description": "The case changed since the ETag in If-Match.", **_problem}


_PROPOSAL_EXAMPLES = {
    "instalment_plan": {
        "summary": "Six monthly instalments",
        "value": {
            "kind": "instalment_plan",
            "amount": "1259.75",
            "currency": "CNY",
            "instalment_count": 6,
            "frequency": "monthly",
            "first_due_date": "2026-12-15",
            "proposed_by": "agent-017",
        },
    },
    "deferral": {
        "summary": "Pay everything later",
        "value": {
            "kind": "deferral",
            "amount": "1259.75",
            "currency": "CNY",
            "deferred_to": "2027-01-31",
            "proposed_by": "agent-017",
        },
    },
}


@router.post(
    "/cases/{case_id}/arrangements",
    dependencies=[require(Scope.CASES_WRITE)],
    response_model=ArrangementRead,
    status_code=201,
    summary="Propose a repayment arrangement",
    description=(
        "Proposes an instalment plan (count, frequency, first due date) or a deferral (one new "
        "due date) for at most the case's total due, within the product policy's limits "
        "(max_instalments, max_deferral_days). A case has at most one proposed or active "
        "arrangement. The answer shows the schedule the terms give; nothing is due until the "
        "arrangement is approved. Send the case's ETag in If-Match to refuse the change if the "
        "case changed since you read it."
    ),
    responses={
        201: {"description": "The arrangement was proposed."},
        404: {"description": "No such case.", **_problem},
        409: {"description": "The case is not open or has an open arrangement.", **_problem},
        412: _precondition,
        422: {
            "description": "Invalid terms, or a currency other than the case's (values are "
            "not echoed).",
            **_problem,
        },
    },
)
async def post_arrangement(
    case_id: uuid.UUID,
    body: Annotated[ArrangementCreate, Body(openapi_examples=_PROPOSAL_EXAMPLES)],
    rules: RulesDep,
    request: Request,
    if_match: IfMatch = None,
) -> ArrangementRead:
    ctx = await rules.locked(case_id, if_match)
    ensure_case_currency(ctx, body.currency)
    arrangement = await propose(
        ctx, amount=body.amount, terms=body.terms(), proposed_by=body.proposed_by
    )
    await rules.session.commit()
    after_commit(request)
    return ArrangementRead.of(arrangement, [])


@router.get(
    "/cases/{case_id}/arrangements",
    dependencies=[require(Scope.CASES_READ)],
    response_model=ArrangementList,
    summary="List a case's arrangements with their schedules",
    description=(
        "Every arrangement on the case, oldest first. Approved arrangements show their "
        "instalments with what was paid; proposed and rejected ones show the planned schedule."
    ),
    responses={
        404: {"description": "No such case.", **_problem},
        422: {"description": "The case id is not a UUID.", **_problem},
    },
)
async def list_arrangements(case_id: uuid.UUID, session: SessionDep) -> ArrangementList:
    found = await arrangements_of_case(session, case_id)
    return ArrangementList(
        items=[ArrangementRead.of(arrangement, rows) for arrangement, rows in found]
    )


@router.post(
    "/arrangements/{arrangement_id}/approve",
    response_model=ArrangementRead,
    summary="Approve a proposed arrangement",
    description=(
        "Approves and activates a proposed arrangement: its schedule becomes the instalments "
        "due, and collection contact and the ladder pause while it runs. Amounts above the "
        "product's supervisor_approval_above need approver_role supervisor, which only a "
        "credential with `arrangements:approve` may claim. Terms that no "
        "longer fit the case (first date passed, amount above what is now due) are refused; "
        "reject them and propose again. If-Match takes the ETag of the arrangement's case."
    ),
    responses={
        200: {"description": "The arrangement is active."},
        403: {"description": "The amount needs a supervisor's approval.", **_problem},
        404: {"description": "No such arrangement.", **_problem},
        409: {
            "description": "Not proposed (already decided), the case is not open, or the terms "
            "are outdated.",
            **_problem,
        },
        412: _precondition,
        422: {"description": "Invalid request (values are not echoed).", **_problem},
    },
)
async def approve_arrangement(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    arrangement_id: uuid.UUID,
    body: ArrangementApprove,
    rules: RulesDep,
    request: Request,
    if_match: IfMatch = None,
) -> ArrangementRead:
    ctx = await _decision_context(rules, arrangement_id, if_match)
    arrangement = await arrangement_to_decide(rules.session, arrangement_id)
    await approve(
        ctx,
        arrangement,
        approver=body.approver,
        approver_role=credential_role(body.approver_role, caller.has(Scope.ARRANGEMENTS_APPROVE)),
        actor=caller.subject,
    )
    instalments = await instalments_of(rules.session, arrangement)
    await rules.session.commit()
    after_commit(request)
    return ArrangementRead.of(arrangement, instalments)


@router.post(
    "/arrangements/{arrangement_id}/reject",
    response_model=ArrangementRead,
    summary="Reject a proposed arrangement",
    description=(
        "Rejects a proposed arrangement with a reason, which appears on the case timeline. "
        "Another arrangement can then be proposed. If-Match takes the ETag of the "
        "arrangement's case."
    ),
    responses={
        200: {"description": "The arrangement is rejected."},
        404: {"description": "No such arrangement.", **_problem},
        409: {"description": "Not proposed (already decided).", **_problem},
        412: _precondition,
        422: {"description": "Invalid request (values are not echoed).", **_problem},
    },
)
async def reject_arrangement(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    arrangement_id: uuid.UUID,
    body: ArrangementReject,
    rules: RulesDep,
    request: Request,
    if_match: IfMatch = None,
) -> ArrangementRead:
    ctx = await _decision_context(rules, arrangement_id, if_match)
    arrangement = await arrangement_to_decide(rules.session, arrangement_id)
    await reject(ctx, arrangement, approver=body.approver, reason=body.reason, actor=caller.subject)
    await rules.session.commit()
    after_commit(request)
    return ArrangementRead.of(arrangement, [])


async def _decision_context(
    rules: CaseRules, arrangement_id: uuid.UUID, if_match: str | None
) -> CaseContext:
    # Find the case, lock it; the caller then reads the arrangement again under that lock.
    arrangement = await arrangement_to_decide(rules.session, arrangement_id)
    return await rules.locked(arrangement.case_id, if_match)
