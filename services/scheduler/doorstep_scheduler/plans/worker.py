"""The planning loop: on a change (woken) or every interval, refresh visit data, plan, apply.

Runs are serialised within a process. The solver runs in a worker thread with the time budget
from the settings, so the event loop (HTTP, consumers) keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_scheduler.planning.problem import RoutePlanner
from doorstep_scheduler.plans.service import PlanningService
from doorstep_scheduler.plans.visit_data import VisitDataService, fetch_visit_data
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visit_terms.client import VisitDataSource
from doorstep_scheduler.visits.models import VisitPlan
from doorstep_shared.clock import utc_now

logger = logging.getLogger(__name__)

# Terms are fetched again after this long, so a consent or window recorded later counts.
_DATA_MAX_AGE = timedelta(hours=12)
_DATA_BATCH = 500
# A burst of case events wakes the planner many times; one run after the burst is enough.
_DEBOUNCE_SECONDS = 1.0
# Runs that lost the race to apply (another replica) plan again on the fresh state.
_ATTEMPTS = 3


class PlanningWorker:
    def __init__(
        self,
        settings: SchedulerSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        visit_data: VisitDataSource,
        planner: RoutePlanner,
        after_commit: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._settings = settings
        self._sessionmaker = sessionmaker
        self._visit_data = visit_data
        self._planner = planner
        self._after_commit = after_commit
        self._clock = clock
        self._running = asyncio.Lock()

    async def run_once(self, trigger: str) -> VisitPlan | None:
        """One full run; None when there was nothing to plan."""
        async with self._running:
            await self._refresh_visit_data()
            for _ in range(_ATTEMPTS):
                async with self._sessionmaker() as session, session.begin():
                    service = PlanningService(session, self._settings)
                    prepared = await service.prepare(self._clock())
                if prepared.is_empty:
                    return None
                result = await asyncio.to_thread(self._planner.plan, prepared.problem)
                async with self._sessionmaker() as session, session.begin():
                    plan = await PlanningService(session, self._settings).apply(
                        prepared, result, trigger, self._clock()
                    )
                self._after_commit()
                if plan is not None:
                    return plan
                # Another replica applied a plan meanwhile: plan again on top of it.
            logger.warning("planning run superseded repeatedly; the next run tries again")
            return None

    async def run_forever(self, wakeup: asyncio.Event) -> None:
        interval = self._settings.planning_interval_seconds
        while True:
            woken = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout=interval)
                woken = True
            if woken:
                await asyncio.sleep(_DEBOUNCE_SECONDS)
            wakeup.clear()
            try:
                await self.run_once("change" if woken else "interval")
            except Exception:
                # The next wake or interval tries again; the error is for operators.
                logger.exception("planning run failed")

    async def _refresh_visit_data(self) -> None:
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            wanted = await VisitDataService(session).waiting(now - _DATA_MAX_AGE, _DATA_BATCH)
        if not wanted:
            return
        fetched = await fetch_visit_data(self._visit_data, wanted)
        async with self._sessionmaker() as session, session.begin():
            await VisitDataService(session).store(fetched, self._clock())


def planning_worker(app: FastAPI) -> PlanningWorker:
    """The app's planning worker, built on first use (the sessionmaker exists from start-up)."""
    worker: PlanningWorker | None = getattr(app.state, "planning_worker", None)
    if worker is None:
        settings: SchedulerSettings = app.state.settings
        worker = PlanningWorker(
            settings,
            app.state.sessionmaker,
            visit_data=app.state.visit_data,
            planner=app.state.route_planner,
            after_commit=app.state.relay.notify,
        )
        app.state.planning_worker = worker
    return worker
