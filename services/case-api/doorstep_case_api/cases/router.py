"""Case reads for operations (filtered, sorted, paginated), and contact data for services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import Field

from doorstep_case_api.cases.contact_access import ContactReader
from doorstep_case_api.cases.lookup import CaseLookup
from doorstep_case_api.cases.repository import CaseFilter
from doorstep_case_api.cases.schemas import (
    CaseContact,
    CaseLookupRequest,
    CaseLookupResult,
    CasePage,
    CaseRead,
    HoldRead,
    LadderFactsRead,
    TimelineEntryRead,
)
from doorstep_case_api.cases.service import CaseQueryService, summarize
from doorstep_case_api.dependencies import PersonalDataDep, SessionDep
from doorstep_case_api.operations.concurrency import set_etag
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.events.contracts import HoldType
from doorstep_shared.security.guard import require, require_any
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1/cases", tags=["cases"])
ContactReaderDep = Annotated[
    Principal,
    require_any(Scope.PII_READ, Scope.CASES_READ, Scope.CONTACT_NOTIFY, Scope.CONTACT_VISIT),
]
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}

SortParam = Literal[
    "opened_at", "-opened_at", "days_past_due", "-days_past_due", "total_due", "-total_due"
]
StageName = Annotated[str, Field(min_length=1, max_length=32)]
Dpd = Annotated[int | None, Query(ge=0, le=36500)]


def case_filter(
    status: Literal["open", "resolved"] | None = None,
    stage: Annotated[
        list[StageName] | None, Query(max_length=20, description="Repeat for several stages.")
    ] = None,
    min_dpd: Annotated[Dpd, Query(description="Days past due at least this.")] = None,
    max_dpd: Annotated[Dpd, Query(description="Days past due at most this.")] = None,
    region: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Customer's region.")
    ] = None,
    country: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}$", description="Customer's country (ISO 3166-1).")
    ] = None,
    product: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217.")] = None,
    hold_type: Annotated[HoldType | None, Query(description="Has an active hold of it.")] = None,
    assigned_team_id: uuid.UUID | None = None,
    vulnerable: Annotated[bool | None, Query(description="Has a vulnerability flag.")] = None,
) -> CaseFilter:
    if min_dpd is not None and max_dpd is not None and min_dpd > max_dpd:
        raise RequestValidationError(
            [{"loc": ("query", "max_dpd"), "msg": "max_dpd is below min_dpd", "type": "value"}]
        )
    return CaseFilter(
        status=status,
        stages=tuple(stage or ()),
        min_dpd=min_dpd,
        max_dpd=max_dpd,
        region=region,
        country=country,
        product=product,
        currency=currency,
        hold_type=hold_type,
        assigned_team_id=assigned_team_id,
        vulnerable=vulnerable,
    )


LIST_DESCRIPTION = """
Cases matching every filter given, one page at a time.

* `status`, `stage` (repeat for several stages), `product`, `currency`, `assigned_team_id`.
* `min_dpd` / `max_dpd`: days past due, inclusive.
* `region` / `country`: the customer's current address (exact match; country is ISO 3166-1
  alpha-2).
* `hold_type`: cases with an active hold of that type.
* `vulnerable`: `true` for cases with a vulnerability flag, `false` for those without.

`sort` is one of `opened_at` (default, oldest first), `days_past_due`, `total_due`, each
ascending or with a leading `-` for descending; ties are broken by case id. `total_due`
compares amounts as numbers whatever their currency: filter by `currency` to rank like with
like.

Pagination is by cursor: pass `next_cursor` back as `cursor` with the same filters and sort.
Pages stay free of duplicates and gaps while cases change. A cursor from another sort is
refused with 400.
"""


@router.get(
    "",
    dependencies=[require(Scope.CASES_READ)],
    response_model=CasePage,
    summary="List cases",
    description=LIST_DESCRIPTION,
    responses={
        400: {"description": "Invalid cursor, or a cursor from another sort.", **_problem},
        422: {"description": "Invalid filter value (values are not echoed).", **_problem},
    },
)
async def list_cases(
    session: SessionDep,
    where: Annotated[CaseFilter, Depends(case_filter)],
    sort: SortParam = "opened_at",
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePage:
    cases, next_cursor = await CaseQueryService(session).page(
        where, sort=sort, cursor=cursor, limit=limit
    )
    return CasePage(items=[summarize(case) for case in cases], next_cursor=next_cursor)


@router.get(
    "/{case_id}",
    dependencies=[require(Scope.CASES_READ)],
    response_model=CaseRead,
    summary="Get a case with its timeline",
    description=(
        "The case with its itemised arrears, Doorstep's charges, total due, active holds, "
        "whether collection is paused, the ladder facts behind its stage, and everything "
        "that happened to it (newest last). The `ETag` header versions the case: send it as "
        "`If-Match` on a change to refuse it if the case changed since this read."
    ),
    responses={
        200: {
            "headers": {
                "ETag": {"description": "Version of the case.", "schema": {"type": "string"}}
            }
        },
        404: {"description": "No such case.", **_problem},
        422: {"description": "The case id is not a UUID.", **_problem},
    },
)
async def get_case(case_id: uuid.UUID, session: SessionDep, response: Response) -> CaseRead:
    found = await CaseQueryService(session).detail(case_id)
    set_etag(response, found.case)
    return CaseRead(
        **summarize(found.case).model_dump(),
        holds=[HoldRead.model_validate(hold) for hold in found.holds],
        collection_paused=found.collection_paused,
        ladder=LadderFactsRead.model_validate(found.case),
        timeline=[TimelineEntryRead.model_validate(entry) for entry in found.timeline],
    )


@router.post(
    "/lookup",
    response_model=CaseLookupResult,
    summary="Find a customer's cases by phone or national id",
    description=(
        "Looks the customer up through the blind index of the phone number (any common format; "
        "compared as E.164) or the national id (case and separators ignored), and returns "
        "their cases, newest first. The identifier goes in the body, never in the URL. Every "
        "lookup is written to the audit log (who, by which identifier, how many matched)."
    ),
    responses={
        422: {"description": "Not exactly one identifier (values are not echoed).", **_problem}
    },
)
async def lookup_cases(
    body: CaseLookupRequest,
    session: SessionDep,
    personal_data: PersonalDataDep,
    caller: Annotated[Principal, require(Scope.CASES_READ, Scope.PII_READ)],
) -> CaseLookupResult:
    async with session.begin():
        cases = await CaseLookup(session, personal_data).find(
            phone=body.phone, national_id=body.national_id, actor=caller.subject
        )
    return CaseLookupResult(items=[summarize(case) for case in cases])


@router.get(
    "/{case_id}/contact",
    response_model=CaseContact,
    summary="Contact data for a case, shaped to the caller",
    description=(
        "The customer's contact data. `pii:read` sees every field; the notifier's credential "
        "(`contact:notify`) gets name, phone, e-mail and postal address; the scheduler's "
        "(`contact:visit`) name, postal address, coordinates and `visit_terms` (address kind, "
        "visit consent, visit windows, repayment capacity); every caller without "
        "`contact:visit` or `pii:read` gets `visit_terms: null`. `cases:read` alone gets "
        "masked values (`masked: true`). Every unmasked field served is written to the audit "
        "log with the caller and the `X-Purpose` header (field names, never values)."
    ),
    responses={
        404: {"description": "No such case.", **_problem},
        422: {"description": "The case id is not a UUID.", **_problem},
    },
)
async def get_case_contact(
    case_id: uuid.UUID,
    session: SessionDep,
    personal_data: PersonalDataDep,
    caller: ContactReaderDep,
    purpose: Annotated[
        str | None,
        Header(alias="X-Purpose", max_length=100, description="Why the data is read (audited)."),
    ] = None,
) -> CaseContact:
    async with session.begin():
        return await ContactReader(session, personal_data).read(case_id, caller, purpose)
