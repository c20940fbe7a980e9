"""The daily evaluation: every open case, one transaction each, for one business date.

Idempotent and safe to run twice: charges accrue once per date, promises and instalments settle
by state, holds expire by date, and the ladder moves only when its prerequisites hold.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_case_api.arrangements.service import check_arrangements
from doorstep_case_api.business_date.repository import BusinessDateRepository
from doorstep_case_api.cases.context import CaseRules
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.charges.service import accrue_penalty_interest
from doorstep_case_api.holds.service import expire_holds
from doorstep_case_api.policy.model import CollectionPolicy
from doorstep_case_api.promises.service import settle_due_promises
from doorstep_shared.clock import utc_now

PAGE = 200


@dataclass(frozen=True)
class EvaluationResult:
    business_date: date
    cases_evaluated: int
    events_recorded: int


class DailyEvaluation:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        policy: CollectionPolicy,
        event_source: str,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._policy = policy
        self._source = event_source

    async def run(self, business_date: date) -> EvaluationResult:
        started = utc_now()
        evaluated = events = 0
        after: uuid.UUID | None = None
        while True:
            async with self._sessionmaker() as session:
                ids = await CaseRepository(session).open_case_ids(after, PAGE)
            if not ids:
                break
            for case_id in ids:
                events += await self._evaluate_case(case_id, business_date)
                evaluated += 1
            after = ids[-1]
        async with self._sessionmaker() as session, session.begin():
            await BusinessDateRepository(session).record_run(
                business_date, evaluated, started, utc_now()
            )
        return EvaluationResult(business_date, evaluated, events)

    async def _evaluate_case(self, case_id: uuid.UUID, business_date: date) -> int:

        # One case per transaction: a million cases never hold one long lock, and a failure
        # leaves the others evaluated (the next run picks it up again).
        async with self._sessionmaker() as session, session.begin():
            case = await CaseRepository(session).lock(case_id)
            if case is None or case.status != "open":
                return 0
            before = case.last_sequence
            ctx = CaseRules(session, self._policy, business_date, self._source).context(case)
            await expire_holds(ctx)
            await accrue_penalty_interest(ctx)
            await settle_due_promises(ctx)
            await check_arrangements(ctx)
            await advance(ctx)
            return case.last_sequence - before
