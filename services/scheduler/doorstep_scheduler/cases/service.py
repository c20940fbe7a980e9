"""Keeping the case read model current, one case event after the other."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.cases.repository import CaseViewRepository
from doorstep_shared.events.contracts import CasePromiseBroken, CaseState
from doorstep_shared.messaging.case_order import NotApplied, Order, order_of


class CaseViewService:
    def __init__(self, session: AsyncSession) -> None:
        self._views = CaseViewRepository(session)

    async def lock(self, case_id: uuid.UUID) -> int | None:
        """Lock the case's view until the transaction ends; its last sequence (None: no view)."""
        view = await self._views.lock(case_id)
        return None if view is None else view.last_sequence

    async def apply(
        self, state: CaseState, now: datetime, *, accept_gap: bool = False
    ) -> CaseView | NotApplied:
        """Store the case's state if it is the case's next one (``order_of``): STALE when we
        hold the same or a newer one, GAP when an earlier one is still missing (unless
        ``accept_gap``: the wait for it is over).

        Events carry the whole case state, but some facts are counted from the history (broken
        promises), so events are applied one after the other.
        """
        view = await self._views.lock(state.case_id)
        if view is None:
            view = CaseView(case_id=state.case_id, broken_promises=0)
            _copy(state, view, now)
            self._views.add(view)
            await self._views.flush()
            return view
        order = order_of(view.last_sequence, state.sequence, accept_gap=accept_gap)
        if order is not Order.APPLIED:
            return order
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
