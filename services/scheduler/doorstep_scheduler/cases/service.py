"""Keeping the case read model current, and telling stale events apart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.cases.repository import CaseViewRepository
from doorstep_shared.events.contracts import CasePromiseBroken, CaseState


class CaseViewService:
    def __init__(self, session: AsyncSession) -> None:
        self._views = CaseViewRepository(session)

    async def apply(self, state: CaseState, now: datetime) -> CaseView | None:
        """Store the case's state; None when we already hold the same or a newer one.

        Events carry the whole case state, so a gap in sequences needs no parking: the newest
        state wins and anything older that arrives later is stale.
        """
        view = await self._views.lock(state.case_id)
        if view is None:
            view = CaseView(case_id=state.case_id, broken_promises=0)
            _copy(state, view, now)
            self._views.add(view)
            await self._views.flush()
            return view
        if state.sequence <= view.last_sequence:
            return None
        _copy(state, view, now)
        await self._views.flush()
        return view


def _copy(state: CaseState, view: CaseView, now: datetime) -> None:
    if view.stage is not None and view.stage != state.stage:
        view.visits_exhausted_stage = None  # a new stage gets its own visit attempts
    if isinstance(state, CasePromiseBroken):
        view.broken_promises = (view.broken_promises or 0) + 1
    view.status = state.status
    view.stage = state.stage
    view.treatment = state.treatment
    view.days_past_due = state.days_past_due
    view.collection_paused = state.collection_paused or bool(state.holds)
    view.holds = list(state.holds)
    view.vulnerable = state.vulnerable
    view.total_due = state.total_due
    view.currency = state.arrears.currency
    view.last_sequence = state.sequence
    view.updated_at = now
