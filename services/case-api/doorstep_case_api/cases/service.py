"""Reading cases: pages, one case with its timeline, and contact data for services."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.cases.events import arrears_of
from doorstep_case_api.cases.exceptions import CaseNotFoundError, InvalidCursorError
from doorstep_case_api.cases.models import Case, TimelineEntry
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.cases.schemas import (
    ArrearsRead,
    CaseContact,
    CaseContactAddress,
    CaseSummary,
)


@dataclass(frozen=True)
class CaseWithTimeline:
    case: Case
    timeline: list[TimelineEntry]


def summarize(case: Case) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        account_id=case.account_id,
        status=case.status,
        stage=case.stage,
        product=case.product,
        days_past_due=case.days_past_due,
        arrears=ArrearsRead(**arrears_of(case).model_dump()),
        as_of_date=case.as_of_date,
        opened_at=case.opened_at,
        resolved_at=case.resolved_at,
        resolution_reason=case.resolution_reason,
    )


def encode_cursor(case: Case) -> str:
    raw = json.dumps([case.opened_at.isoformat(), str(case.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        opened_at, case_id = json.loads(base64.urlsafe_b64decode(padded))
        parsed = datetime.fromisoformat(opened_at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(case_id)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidCursorError("cursor is not one this API returned") from None


class CaseQueryService:
    def __init__(self, session: AsyncSession) -> None:
        self._cases = CaseRepository(session)

    async def page(
        self, *, status: str | None, stage: str | None, cursor: str | None, limit: int
    ) -> tuple[list[Case], str | None]:
        after = decode_cursor(cursor) if cursor else None
        rows = list(
            await self._cases.list_page(status=status, stage=stage, after=after, limit=limit + 1)
        )
        next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
        return rows[:limit], next_cursor

    async def with_timeline(self, case_id: uuid.UUID) -> CaseWithTimeline:
        case = await self._cases.get(case_id)
        if case is None:
            raise CaseNotFoundError(f"no case {case_id}")
        return CaseWithTimeline(case, list(await self._cases.timeline(case_id)))

    async def contact(self, case_id: uuid.UUID) -> CaseContact:
        customer = await self._cases.customer_of_case(case_id)
        if customer is None:
            raise CaseNotFoundError(f"no case {case_id}")
        return CaseContact(
            case_id=case_id,
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            address=CaseContactAddress(
                line1=customer.address_line1,
                line2=customer.address_line2,
                city=customer.city,
                region=customer.region,
                postal_code=customer.postal_code,
                country=customer.country,
                latitude=customer.latitude,
                longitude=customer.longitude,
            ),
            timezone=customer.timezone,
            preferred_language=customer.preferred_language,
        )
