"""What every case rule works with: the locked case, its policy, the business date, events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.cases.events import CaseEventRecorder
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.policy.model import CollectionPolicy, ProductPolicy


@dataclass
class CaseContext:
    session: AsyncSession
    case: Case
    policy: ProductPolicy
    business_date: date
    cases: CaseRepository
    events: CaseEventRecorder


@dataclass(frozen=True)
class CaseRules:
    """Shared by the services that change cases: where events go and which policy applies."""

    session: AsyncSession
    policy: CollectionPolicy
    business_date: date
    event_source: str

    def context(self, case: Case) -> CaseContext:
        cases = CaseRepository(self.session)
        return CaseContext(
            session=self.session,
            case=case,
            policy=self.policy.for_product(case.product),
            business_date=self.business_date,
            cases=cases,
            events=CaseEventRecorder(self.session, cases, self.event_source, self.business_date),
        )
