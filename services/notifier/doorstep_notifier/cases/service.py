"""Keeps the case read model in step with case events, in per-case sequence order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.cases.models import CaseView
from doorstep_notifier.cases.repository import CaseViewRepository
from doorstep_shared.events.contracts import CaseState
from doorstep_shared.messaging.case_order import NotApplied, Order, order_of


@dataclass(frozen=True, slots=True)
class AppliedState:
    """A newer case state was stored; what the view said just before it."""

    was_paused: bool


class CaseViewService:
    def __init__(self, session: AsyncSession) -> None:
        self._cases = CaseViewRepository(session)

    async def lock(self, case_id: uuid.UUID) -> int | None:
        """Lock the case's view until the transaction ends; its last sequence (None: no view)."""
        view = await self._cases.get_for_update(case_id)
        return None if view is None else view.last_sequence

    async def apply(
        self, state: CaseState, now: datetime, *, accept_gap: bool = False
    ) -> AppliedState | NotApplied:
        """Record ``state`` if it is the case's next one (``order_of``): STALE when the view
        holds it or a newer one, GAP when an earlier one is still missing (unless
        ``accept_gap``: the wait for it is over).

        Events carry the whole case state, but their effects (a notice per stage) follow the
        case's history, so they are applied one after the other; an older one (a replay under
        a new event id) must not roll the view back.
        """
        view = await self._cases.get_for_update(state.case_id)
        if view is None:
            view = CaseView(case_id=state.case_id)
            _copy(state, view, now)
            self._cases.add(view)
            # Flush now: a concurrent first event for the same case fails here, inside the
            # consumer's retry, instead of at commit.
            await self._cases.flush()
            return AppliedState(was_paused=False)
        order = order_of(view.last_sequence, state.sequence, accept_gap=accept_gap)
        if order is not Order.APPLIED:
            return order
        was_paused = view.collection_paused
        _copy(state, view, now)
        # Flush now: the next lock of this row (a parked successor, in this transaction)
        # reloads it from the database.
        await self._cases.flush()
        return AppliedState(was_paused=was_paused)


def is_paused(state: CaseState) -> bool:
    return state.collection_paused or bool(state.holds)


def _copy(state: CaseState, view: CaseView, now: datetime) -> None:
    view.status = state.status
    view.product = state.product
    view.stage = state.stage
    view.days_past_due = state.days_past_due
    view.as_of_date = state.as_of_date
    view.collection_paused = is_paused(state)
    view.holds = list(state.holds)
    view.last_sequence = state.sequence
    view.updated_at = now
