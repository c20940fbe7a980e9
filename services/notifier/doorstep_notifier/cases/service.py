"""Keeps the case read model in step with case events, in per-case sequence order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.cases.models import CaseView
from doorstep_notifier.cases.repository import CaseViewRepository
from doorstep_shared.events.contracts import CaseState


class CaseViewService:
    def __init__(self, session: AsyncSession) -> None:
        self._cases = CaseViewRepository(session)

    async def apply(self, state: CaseState, now: datetime) -> bool:
        """Record ``state``; False when it is older than what the view already holds.

        Events carry the whole case state, so a newer event supersedes anything before it and
        an older one (a replay under a new event id) must not roll the view back.
        """
        view = await self._cases.get_for_update(state.case_id)
        if view is None:
            self._cases.add(
                CaseView(
                    case_id=state.case_id,
                    status=state.status,
                    stage=state.stage,
                    days_past_due=state.days_past_due,
                    as_of_date=state.as_of_date,
                    last_sequence=state.sequence,
                    updated_at=now,
                )
            )
            # Flush now: a concurrent first event for the same case fails here, inside the
            # consumer's retry, instead of at commit.
            await self._cases.flush()
            return True
        if state.sequence <= view.last_sequence:
            return False
        view.status = state.status
        view.stage = state.stage
        view.days_past_due = state.days_past_due
        view.as_of_date = state.as_of_date
        view.last_sequence = state.sequence
        view.updated_at = now
        return True
