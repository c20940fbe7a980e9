"""Operations record a customer's visit terms through one of the customer's cases."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter

from doorstep_case_api.dependencies import SessionDep
from doorstep_case_api.visit_terms.schemas import VisitTermsRead, VisitTermsUpdate
from doorstep_case_api.visit_terms.service import VisitTermsService
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1/cases", tags=["visit terms"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}

PUT_DESCRIPTION = """
Replaces the visit terms of the case's customer (they hold for every case of that customer):
fields left out take their defaults. The scheduler reads them with the contact data
(`GET /v1/cases/{case_id}/contact`, scope `contact:visit`) and plans visits around them.

* `address_kind`: what the visit address is. A **workplace, hospital or care home** may be
  visited only with the customer's recorded consent.
* `visit_consent_recorded`: `true` records the consent now, by your credential (shown as
  `visit_consent_recorded_at` / `visit_consent_recorded_by`). Sending `true` again for the same
  `address_kind` keeps the first recording; `false` withdraws it.
* `visit_windows`: when the customer asked to be visited, in the customer's local time
  (weekday 0 = Monday; `HH:MM`, start before end, no overlaps on a day; at most 21). Empty:
  no preference. Legal visiting hours apply on top.
* `repayment_capacity`: monthly income and obligations as decimal strings in one ISO 4217
  currency, and when they were assessed. Personal financial data: never in events or logs.

A delinquency snapshot that carries `customer.visit_terms` replaces these terms too; one
without them keeps them. The change is written to the audit log (consent recorded or not,
never the place or the amounts); no case event is published.
"""


@router.put(
    "/{case_id}/visit-terms",
    response_model=VisitTermsRead,
    summary="Record the customer's visit terms",
    description=PUT_DESCRIPTION,
    responses={
        400: {"description": "The body is not valid JSON.", **_problem},
        404: {"description": "No such case.", **_problem},
        422: {
            "description": "Invalid terms, e.g. a window ending before it starts or windows "
            "that overlap (values are not echoed).",
            **_problem,
        },
    },
)
async def put_visit_terms(
    caller: Annotated[Principal, require(Scope.CASES_WRITE)],
    case_id: uuid.UUID,
    body: VisitTermsUpdate,
    session: SessionDep,
) -> VisitTermsRead:
    terms = await VisitTermsService(session).replace(case_id, body, actor=caller.subject)
    await session.commit()
    return terms
