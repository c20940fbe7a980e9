"""What every case rule works with: the locked case, its policy, the business date, events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.cases.events import CaseEventRecorder
from doorstep_case_api.cases.exceptions import CaseNotFoundError
from doorstep_case_api.cases.facts import CaseFacts
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.db import outbox_table
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
    # Intake only (see with_locked_cases): holds and arrangements read once, events staged to
    # go into the outbox with one statement.
    facts: CaseFacts | None = None
    outbox: OutboxBuffer | None = None

    async def with_locked_cases(self, cases: Iterable[Case]) -> CaseRules:
        """These rules with the locked cases' holds and arrangements read once (neither can
        change before the commit, and intake makes neither) and events staged for one outbox
        insert: ``flush_events`` writes them."""
        facts = await self.repository().load_facts([case.id for case in cases])
        return replace(self, facts=facts, outbox=OutboxBuffer(outbox_table))

    async def flush_events(self) -> None:
        if self.outbox is not None:
            await self.outbox.flush(self.session)

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
