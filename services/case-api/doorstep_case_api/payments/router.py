"""Payments reported by core banking."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from doorstep_case_api.cases.service import summarize
from doorstep_case_api.dependencies import IfMatch, RulesDep, after_commit
from doorstep_case_api.operations.concurrency import set_etag
from doorstep_case_api.payments.schemas import AllocationRead, PaymentIn, PaymentResult
from doorstep_case_api.payments.service import PaymentOutcome, PaymentService
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.money import to_minor_digits
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

router = APIRouter(prefix="/v1/accounts", tags=["payments"])

AccountId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.post(
    "/{account_id}/payments",
    dependencies=[require(Scope.ACCOUNTS_WRITE)],
    response_model=PaymentResult,
    status_code=201,
    summary="Report a payment received on an account",
    description=(
        "Core banking reports one payment. It is applied to the account's open case in the "
        "product's allocation order (by default penalties, fees, interest, principal; within "
        "penalties and fees, Doorstep's own charges first); any excess is kept as unallocated. "
        "A payment that clears everything resolves the case (outcome `cured`). Without an open "
        "case the payment is recorded, all unallocated (outcome `no_open_case`). Idempotent by "
        "`payment_reference`: the same body again returns the first answer with 200 and "
        "changes nothing; another body with the same reference is refused with 409. The "
        "currency must be the account's (409 otherwise). If-Match is optional. Days past due "
        "are not changed: core banking's next snapshot reports them."
    ),
    responses={
        200: {
            "description": "Replay: this payment was already recorded; nothing changed.",
            "model": PaymentResult,
        },
        201: {"description": "The payment was recorded (and applied, if a case is open)."},
        404: {"description": "No such account.", **_problem},
        409: {"description": "Reference reused with another body, or wrong currency.", **_problem},
        412: {"description": "If-Match given and the case changed since.", **_problem},
        422: {"description": "Invalid payment (values are not echoed).", **_problem},
    },
)
async def post_payment(
    account_id: AccountId,
    payment: PaymentIn,
    rules: RulesDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> PaymentResult:
    output = await PaymentService(rules).record(account_id, payment, if_match=if_match)
    if not output.replayed:
        await rules.session.commit()
        after_commit(request)
    else:
        response.status_code = 200
    if output.case is not None:
        set_etag(response, output.case)
    return _result(output)


def _result(output: PaymentOutcome) -> PaymentResult:
    saved = output.payment
    return PaymentResult(
        payment_id=saved.id,
        payment_reference=saved.reference,
        account_id=saved.account_id,
        case_id=saved.case_id,
        outcome=output.outcome,
        amount=to_minor_digits(saved.amount, saved.currency),
        currency=saved.currency,
        value_date=saved.value_date,
        allocation=AllocationRead.model_validate(saved.allocation),
        case=summarize(output.case) if output.case else None,
    )
