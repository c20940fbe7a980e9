"""Callbacks from channel providers: SMS delivery receipts."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request

from doorstep_notifier.dependencies import SessionDep
from doorstep_notifier.providers.receipts import ReceiptService
from doorstep_notifier.providers.schemas import ReceiptRead, SmsReceipt
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.clock import utc_now
from doorstep_shared.errors import PROBLEM_JSON

RECEIPT_SECRET_HEADER = "X-Doorstep-Receipt-Secret"  # noqa: S105  (a header name)

router = APIRouter(prefix="/v1/providers", tags=["providers"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


def _settings(request: Request) -> NotifierSettings:
    settings: NotifierSettings = request.app.state.settings
    return settings


async def require_receipt_secret(
    request: Request,
    secret: Annotated[str | None, Header(alias=RECEIPT_SECRET_HEADER)] = None,
) -> None:
    expected = _settings(request).sms_receipt_secret.get_secret_value()
    if not expected or not hmac.compare_digest((secret or "").encode(), expected.encode()):
        raise HTTPException(401, "a valid receipt secret is required")


@router.post(
    "/sms/receipts",
    response_model=ReceiptRead,
    dependencies=[Depends(require_receipt_secret)],
    summary="Record an SMS delivery receipt",
    description=(
        "The SMS gateway reports the final state of a message it accepted, naming it by its "
        f"message id or by the reference Doorstep sent. Authenticated by the "
        f"`{RECEIPT_SECRET_HEADER}` header. `delivered` is recorded on the notice; `failed` "
        "fails the notice and publishes `doorstep.notification.failed.v1`. Repeated or late "
        "receipts for a settled message change nothing (`applied: false`)."
    ),
    responses={
        401: {"description": "Missing or wrong receipt secret.", **_problem},
        404: {"description": "No SMS sent through the gateway matches.", **_problem},
        409: {"description": "The send is not recorded yet; post again later.", **_problem},
        422: {"description": "Invalid receipt (values are not echoed).", **_problem},
    },
)
async def sms_receipt(receipt: SmsReceipt, session: SessionDep, request: Request) -> ReceiptRead:
    async with session.begin():
        result = await ReceiptService(session, _settings(request)).apply_sms(receipt, utc_now())
    # Committed before answering: a failed commit is a 5xx, and the gateway posts again.
    relay = getattr(request.app.state, "relay", None)
    if relay is not None and result.applied:
        relay.notify()
    return result
