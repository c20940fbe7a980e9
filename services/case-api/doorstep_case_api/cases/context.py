"""What every case rule works with: the locked case, its policy, the business date, events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.cases.events import CaseEventRecorder
from doorstep_case_api.cases.exceptions import CaseNotFoundError
from doorstep_case_api.cases.facts import CaseFacts
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.operations.concurrency import check_if_match
from doorstep_case_api.policy.model import CollectionPolicy, ProductPolicy
from doorstep_shared.messaging.outbox import OutboxBuffer


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
    # Batch intake only: holds and arrangements read once per chunk, events staged to go
    # into the outbox with one statement.
    facts: CaseFacts | None = None
    outbox: OutboxBuffer | None = None

    def repository(self) -> CaseRepository:
        return CaseRepository(self.session, self.facts)

    async def locked(self, case_id: uuid.UUID, if_match: str | None = None) -> CaseContext:
        """The case locked for this transaction (SELECT ... FOR UPDATE), as a rule context;
        404 when unknown, 412 when the caller read an older version."""
        case = await self.repository().lock(case_id)
        if case is None:
            raise CaseNotFoundError(f"no case {case_id}")
        check_if_match(if_match, case)
        return self.context(case)

    def context(self, case: Case) -> CaseContext:
        cases = self.repository()
        return CaseContext(
            session=self.session,
            case=case,
            policy=self.policy.for_product(case.product),
            business_date=self.business_date,
            cases=cases,
            events=CaseEventRecorder(
                self.session, cases, self.event_source, self.business_date, self.outbox
            ),
        )
