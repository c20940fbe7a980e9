"""Reading cases: filtered and sorted pages, one case in full, and contact data for services."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.cases.events import arrears_of, charges_of
from doorstep_case_api.cases.exceptions import CaseNotFoundError, InvalidCursorError
from doorstep_case_api.cases.models import Case, TimelineEntry
from doorstep_case_api.cases.repository import CaseFilter, CaseOrder, CaseRepository, SortField
from doorstep_case_api.cases.schemas import (
    ArrearsRead,
    CaseContact,
    CaseContactAddress,
    CaseSummary,
    ChargesRead,
)
from doorstep_case_api.holds.models import Hold
from doorstep_case_api.visit_terms.service import VisitTermsService
from doorstep_shared.money import to_minor_digits

SORTS: dict[str, CaseOrder] = {
    "opened_at": CaseOrder("opened_at", descending=False),
    "-opened_at": CaseOrder("opened_at", descending=True),
    "days_past_due": CaseOrder("days_past_due", descending=False),
    "-days_past_due": CaseOrder("days_past_due", descending=True),
    "total_due": CaseOrder("total_due", descending=False),
    "-total_due": CaseOrder("total_due", descending=True),
}


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    timeline: list[TimelineEntry]
    holds: list[Hold]
    arrangement_active: bool

    @property
    def collection_paused(self) -> bool:
        return bool(self.holds) or self.arrangement_active


def summarize(case: Case) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        account_id=case.account_id,
        status=case.status,
        stage=case.stage,
        product=case.product,
        days_past_due=case.days_past_due,
        arrears=ArrearsRead(**arrears_of(case).model_dump()),
        charges=ChargesRead(**charges_of(case).model_dump()),
        total_due=to_minor_digits(case.total_due, case.currency),
        as_of_date=case.as_of_date,
        opened_at=case.opened_at,
        resolved_at=case.resolved_at,
        resolution_reason=case.resolution_reason,
        vulnerable=case.vulnerability_category is not None,
        assigned_team_id=case.assigned_team_id,
    )


def _sort_value(case: Case, field: SortField) -> str | int:
    if field == "opened_at":
        return case.opened_at.isoformat()
    if field == "days_past_due":
        return case.days_past_due
    return str(case.total_due)


def encode_cursor(sort: str, case: Case) -> str:
    """The last row's sort value and id, and the sort they belong to (opaque to clients)."""
    order = SORTS[sort]
    raw = json.dumps({"sort": sort, "after": [_sort_value(case, order.field), str(case.id)]})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[object, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        content = json.loads(base64.urlsafe_b64decode(padded))
        cursor_sort = content["sort"]
        value, case_id = content["after"]
        if not isinstance(cursor_sort, str):
            raise TypeError("sort")
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise InvalidCursorError("cursor is not one this API returned") from None
    if cursor_sort != sort:
        if cursor_sort in SORTS:
            raise InvalidCursorError(
                f"this cursor continues sort={cursor_sort}, not sort={sort}; repeat that sort "
                "or start again without a cursor",
                cursor_sort=cursor_sort,
            )
        raise InvalidCursorError("cursor is not one this API returned")
    try:
        return _parse_sort_value(SORTS[sort].field, value), uuid.UUID(str(case_id))
    except (ValueError, TypeError, ArithmeticError):
        raise InvalidCursorError("cursor is not one this API returned") from None


def _parse_sort_value(field: SortField, value: object) -> object:
    if field == "opened_at":
        parsed = datetime.fromisoformat(str(value))
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed
    if field == "days_past_due":
        if type(value) is not int:
            raise TypeError("days_past_due")
        return value
    amount = Decimal(str(value))
    if not amount.is_finite():
        raise ValueError("total_due")
    return amount


class CaseQueryService:
    def __init__(self, session: AsyncSession) -> None:
        self._cases = CaseRepository(session)
        self._visit_terms = VisitTermsService(session)

    async def page(
        self, where: CaseFilter, *, sort: str, cursor: str | None, limit: int
    ) -> tuple[list[Case], str | None]:
        after = decode_cursor(cursor, sort) if cursor else None
        rows = list(await self._cases.list_page(where, SORTS[sort], after, limit + 1))
        next_cursor = encode_cursor(sort, rows[limit - 1]) if len(rows) > limit else None
        return rows[:limit], next_cursor

    async def detail(self, case_id: uuid.UUID) -> CaseDetail:
        case = await self._cases.get(case_id)
        if case is None:
            raise CaseNotFoundError(f"no case {case_id}")
        return CaseDetail(
            case=case,
            timeline=list(await self._cases.timeline(case_id)),
            holds=list(await self._cases.active_holds(case_id)),
            arrangement_active=await self._cases.has_active_arrangement(case_id),
        )

    async def contact(self, case_id: uuid.UUID, personal_data: PersonalDataCodec) -> CaseContact:
        customer = await self._cases.customer_of_case(case_id)
        if customer is None:
            raise CaseNotFoundError(f"no case {case_id}")
        plain = personal_data.decrypt(customer)
        return CaseContact(
            case_id=case_id,
            name=plain.name,
            phone=plain.phone,
            email=plain.email,
            address=CaseContactAddress(
                line1=plain.address_line1,
                line2=plain.address_line2,
                city=plain.city,
                region=customer.region,
                postal_code=plain.postal_code,
                country=customer.country,
                latitude=plain.latitude,
                longitude=plain.longitude,
            ),
            timezone=customer.timezone,
            contact_preferences=customer.contact_preferences or {},
            preferred_language=customer.preferred_language,
            visit_terms=await self._visit_terms.of_customer(customer.id),
        )
