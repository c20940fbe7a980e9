"""Finding a customer's cases by phone or national id, through the blind indexes.

The query is personal data, so it comes in a POST body (never a URL, which ends up in logs),
and every lookup is audited: who searched, by which kind of identifier, how many cases
matched; never the identifier itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.accounts.service import CustomerLookup
from doorstep_case_api.audit_trail import record_decision
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.repository import CaseRepository

MAX_MATCHES = 100


class CaseLookup:
    def __init__(self, session: AsyncSession, personal_data: PersonalDataCodec) -> None:
        self._customers = CustomerLookup(session, personal_data)
        self._cases = CaseRepository(session)
        self._session = session

    async def find(
        self, *, phone: str | None, national_id: str | None, actor: str
    ) -> Sequence[Case]:
        if phone is not None:
            by, customer_ids = "phone", await self._customers.by_phone(phone)
        else:
            assert national_id is not None
            by, customer_ids = "national_id", await self._customers.by_national_id(national_id)
        cases = await self._cases.cases_of_customers(customer_ids, MAX_MATCHES)
        await record_decision(
            self._session,
            actor=actor,
            action="customer.looked_up",
            case_id=None,
            details={"by": by, "cases_found": len(cases)},
        )
        return cases
