"""Per-case order for consumers of case events: a stale event is dropped, a gap is parked and
retried, nothing is applied out of order.

Every case event carries its per-case sequence and the case's whole state. A consumer applies
sequence n onto n - 1 only. A lower one is stale (a replay) and is dropped. A higher one is
parked (``messaging.parking``) in its inbox transaction; the event that closes the gap applies
the parked successors after itself, in the same transaction. A gap never filled (an event
lost, or gone with the topic's retention before this consumer read it) is given up on after
``gap_wait_seconds`` by ``GapWorker``: the parked state is the whole case, so the view is right
again, and only the missing events' own effects are lost (their numbers are logged).

Both paths run under the row lock the consumer takes on the case's view, so the consumer and
the worker never apply one case's events at the same time.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseState
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.backoff import sleep_unless_stopped
from doorstep_shared.messaging.parking import (
    park,
    parked_before,
    take_first_parked,
    take_parked,
)

logger = logging.getLogger(__name__)


class Order(StrEnum):
    APPLIED = "applied"
    STALE = "stale"
    GAP = "gap"


NotApplied = Literal[Order.STALE, Order.GAP]


def order_of(last_sequence: int | None, sequence: int, *, accept_gap: bool = False) -> Order:
    """Where ``sequence`` falls for a view at ``last_sequence``.

    No view yet applies anything: a consumer that starts after the topic's retention removed
    a case's first events must not wait for them forever.
    """
    if last_sequence is None:
        return Order.APPLIED
    if sequence <= last_sequence:
        return Order.STALE
    if sequence > last_sequence + 1 and not accept_gap:
        return Order.GAP
    return Order.APPLIED


class ApplyState(Protocol):
    """One case state through the service's view and its effects (notices, visit requests).

    It locks the case's view row and stores the state only when ``order_of`` says APPLIED;
    ``accept_gap``: the gap worker gave up waiting for the missing predecessors."""

    def __call__(
        self,
        session: AsyncSession,
        envelope: EventEnvelope,
        state: CaseState,
        now: datetime,
        /,
        *,
        accept_gap: bool,
    ) -> Awaitable[Order]: ...


# Locks the case's view row until the transaction ends; its last sequence, None: no view yet.
LockView = Callable[[AsyncSession, uuid.UUID], Awaitable[int | None]]


class CaseEventOrder:
    """A consumer's case events in sequence order, through its ``apply_state``."""

    def __init__(
        self, parking: Table, consumer: str, apply_state: ApplyState, lock_view: LockView
    ) -> None:
        self._parking = parking
        self._consumer = consumer
        self._apply_state = apply_state
        self._lock_view = lock_view

    async def handle(
        self, session: AsyncSession, envelope: EventEnvelope, state: CaseState, now: datetime
    ) -> Order:
        """A case event from the topic, inside its inbox transaction."""
        order = await self._apply_state(session, envelope, state, now, accept_gap=False)
        ids = _ids(envelope, state)
        if order is Order.STALE:
            logger.info("stale case event dropped", extra=ids)
        elif order is Order.GAP:
            if await park(session, self._parking, self._consumer, envelope, state.sequence, now):
                logger.info("case event parked until its predecessors arrive", extra=ids)
            else:
                logger.info("case event already parked", extra=ids)
        else:
            await self._apply_successors(session, envelope.subject, state.sequence, now)
        return order

    async def overdue_cases(self, session: AsyncSession, cutoff: datetime) -> list[str]:
        """Case ids (subjects) with an event parked before ``cutoff``, longest waiting first."""
        keys = await parked_before(session, self._parking, self._consumer, cutoff)
        return list(dict.fromkeys(key.subject for key in keys))

    async def release_overdue(
        self, session: AsyncSession, subject: str, cutoff: datetime, now: datetime
    ) -> int:
        """Stop waiting for what is missing before the case's parked events while one of them
        was parked before ``cutoff``: apply the lowest as the case's next state, then its
        parked successors. Returns the number of events applied."""
        last = await self._lock_view(session, uuid.UUID(subject))
        applied = 0
        while await parked_before(
            session, self._parking, self._consumer, cutoff, subject=subject, limit=1
        ):
            first = await take_first_parked(session, self._parking, self._consumer, subject)
            if first is None or not isinstance(first.data, CaseState):
                continue  # unreadable, and deleted: it counts as one more missing event
            ids = _ids(first.envelope, first.data)
            if last is not None and first.sequence > last + 1:
                logger.warning(
                    "gave up waiting for missing case events",
                    extra={**ids, "missing_from": last + 1, "missing_to": first.sequence - 1},
                )
            order = await self._apply_state(
                session, first.envelope, first.data, now, accept_gap=True
            )
            if order is not Order.APPLIED:
                logger.info("stale parked case event dropped", extra=ids)
                continue
            last = await self._apply_successors(session, subject, first.sequence, now)
            applied += 1 + last - first.sequence
        return applied

    async def _apply_successors(
        self, session: AsyncSession, subject: str, sequence: int, now: datetime
    ) -> int:
        """Apply the events parked right after ``sequence``, in order, as fresh ones are
        applied; the sequence the view ends at."""
        while (parked := await self._take(session, subject, sequence + 1)) is not None:
            envelope, state = parked
            order = await self._apply_state(session, envelope, state, now, accept_gap=False)
            if order is not Order.APPLIED:
                # Under the view's lock the next sequence always applies; should it not, keep
                # the event rather than lose it.
                logger.warning("parked case event out of order", extra=_ids(envelope, state))
                if order is Order.GAP:
                    await park(
                        session, self._parking, self._consumer, envelope, state.sequence, now
                    )
                break
            logger.info("parked case event applied", extra=_ids(envelope, state))
            sequence += 1
        return sequence

    async def _take(
        self, session: AsyncSession, subject: str, sequence: int
    ) -> tuple[EventEnvelope, CaseState] | None:
        parked = await take_parked(session, self._parking, self._consumer, subject, sequence)
        if parked is None or not isinstance(parked.data, CaseState):
            return None  # an unreadable one counts as missing: the gap worker moves past it
        return parked.envelope, parked.data


def _ids(envelope: EventEnvelope, state: CaseState) -> dict[str, object]:
    return {"event_id": envelope.id, "case_id": str(state.case_id), "sequence": state.sequence}


class GapWorker:
    """Every few seconds, moves each case whose parked events waited ``gap_wait_seconds`` on to
    its parked state (``CaseEventOrder.release_overdue``), one transaction per case."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        order: CaseEventOrder,
        gap_wait_seconds: float,
        *,
        clock: Callable[[], datetime] = utc_now,
        poll_seconds: float = 5.0,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._order = order
        self._gap_wait = timedelta(seconds=gap_wait_seconds)
        self._clock = clock
        self._poll_seconds = min(poll_seconds, gap_wait_seconds)
        self._after_commit = after_commit
        self._stop_requested = asyncio.Event()

    def request_stop(self) -> None:
        """Finish the case in hand (committed), then return."""
        self._stop_requested.set()

    async def run(self) -> None:
        while not self._stop_requested.is_set():
            try:
                await self.release_overdue()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The database is away, most likely: the next round tries again.
                logger.warning("gap worker round failed", extra={"error": type(exc).__name__})
            await sleep_unless_stopped(self._stop_requested, self._poll_seconds)

    async def release_overdue(self) -> int:
        """One round; the number of parked events applied."""
        now = self._clock()
        cutoff = now - self._gap_wait
        async with self._sessionmaker() as session:
            subjects = await self._order.overdue_cases(session, cutoff)
        released = 0
        for subject in subjects:
            if self._stop_requested.is_set():
                break
            try:
                async with self._sessionmaker() as session, session.begin():
                    applied = await self._order.release_overdue(session, subject, cutoff, now)
            except Exception as exc:
                # One case that cannot be released must not hold up the others.
                logger.warning(
                    "parked case events not released",
                    extra={"case_id": subject, "error": type(exc).__name__},
                    exc_info=True,
                )
                continue
            if applied and self._after_commit is not None:
                self._after_commit()
            released += applied
        return released
