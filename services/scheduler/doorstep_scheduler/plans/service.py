"""One planning run, in two short transactions around the solver: ``prepare`` reads the roster
and the visits and builds the problem; ``apply`` stores the answer and announces every new or
moved appointment. The solver runs in between, holding no lock and no connection.

Never commits and never publishes: the caller commits; events go to the outbox.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.planning.problem import PlannedStop, PlanningProblem, PlanResult, Unplanned
from doorstep_scheduler.planning.team_days import build_team_days
from doorstep_scheduler.plans.horizon import planning_days
from doorstep_scheduler.plans.problem_builder import PlanningRules, sort_visits
from doorstep_scheduler.plans.repository import PlanningRepository
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.teams.roster import RosterRepository
from doorstep_scheduler.visits.events import VisitEventRecorder
from doorstep_scheduler.visits.models import Visit, VisitPlan, follow_up_request

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedPlan:
    plan_id: uuid.UUID
    started_at: datetime
    days: tuple[date, ...]
    problem: PlanningProblem
    blocked: tuple[Unplanned, ...]
    moving: frozenset[uuid.UUID]
    priorities: dict[uuid.UUID, int]
    # What each visit looked like when read: a visit changed meanwhile is left to the next run.
    seen: dict[uuid.UUID, tuple[str, datetime | None, str | None]]

    @property
    def is_empty(self) -> bool:
        return not (self.problem.demands or self.problem.pinned or self.blocked)


def _fingerprint(visit: Visit) -> tuple[str, datetime | None, str | None]:
    return (visit.status, visit.window_start, visit.notice_status)


class PlanningService:
    def __init__(self, session: AsyncSession, settings: SchedulerSettings) -> None:
        self._plans = PlanningRepository(session)
        self._roster = RosterRepository(session)
        self._events = VisitEventRecorder(session, settings.event_source)
        self._settings = settings

    def rules(self) -> PlanningRules:
        return PlanningRules(
            pack=self._settings.rule_pack,
            conduct=self._settings.conduct,
            service=timedelta(minutes=self._settings.visit_minutes),
            min_days_between_visits=self._settings.min_days_between_visits,
        )

    async def prepare(self, now: datetime) -> PreparedPlan:
        days = planning_days(now.date(), self._settings.planning_days)
        rules = self.rules()
        roster = await self._roster.load(days[0], days[-1])
        team_days, excluded = build_team_days(
            roster.teams, roster.members, days, min_team_size=rules.conduct.min_team_size
        )
        visits = list(await self._plans.plannable())
        case_ids = {v.case_id for v in visits}
        sorted_visits = sort_visits(
            visits,
            cases=await self._plans.cases(case_ids),
            last_visited=await self._plans.last_visited(case_ids),
            team_days=team_days,
            days=days,
            rules=rules,
            now=now,
        )
        problem = PlanningProblem(
            team_days=tuple(team_days),
            demands=tuple(sorted_visits.demands),
            pinned=tuple(sorted_visits.pinned),
            excluded_team_days=tuple(excluded),
            min_team_size=rules.conduct.min_team_size,
            appointment_window=timedelta(minutes=self._settings.appointment_window_minutes),
        )
        return PreparedPlan(
            plan_id=uuid.uuid4(),
            started_at=now,
            days=days,
            problem=problem,
            blocked=tuple(sorted_visits.blocked),
            moving=frozenset(sorted_visits.moving),
            priorities=sorted_visits.priorities,
            seen={v.id: _fingerprint(v) for v in visits},
        )

    async def apply(
        self, prepared: PreparedPlan, result: PlanResult, trigger: str, now: datetime
    ) -> VisitPlan | None:
        """Store the plan; None when another run (another replica) applied one since this one
        read the visits: its capacity and appointments were not seen, so this answer is void."""
        await self._plans.take_apply_turn()
        if await self._plans.applied_since(prepared.started_at):
            logger.info("visit plan superseded", extra={"plan_id": str(prepared.plan_id)})
            return None
        visits = await self._plans.lock(prepared.seen)
        counts: Counter[str] = Counter()
        unplanned_by_reason: Counter[str] = Counter()
        for stop in result.stops:
            visit = self._unchanged(visits, prepared, stop.visit_id)
            if visit is None:
                counts["skipped"] += 1
            elif stop.pinned:
                visit.route_position = stop.position
                visit.service_start = stop.service_start
                visit.plan_id = prepared.plan_id
                counts["kept"] += 1
            else:
                await self._schedule(visit, stop, prepared)
                counts["moved" if visit.id in prepared.moving else "planned"] += 1
        for missing in (*result.unplanned, *prepared.blocked):
            visit = self._unchanged(visits, prepared, missing.visit_id)
            if visit is None:
                counts["skipped"] += 1
                continue
            unplanned_by_reason[missing.reason_code] += 1
            if visit.status == "scheduled":
                await self._withdraw(visit, missing, now)
            else:
                visit.priority = prepared.priorities.get(visit.id, visit.priority)
                visit.unassigned_code = missing.reason_code
                visit.unassigned_reason = missing.reason[:300]
        plan = VisitPlan(
            id=prepared.plan_id,
            started_at=prepared.started_at,
            finished_at=now,
            first_day=prepared.days[0],
            last_day=prepared.days[-1],
            trigger=trigger[:40],
            solver=result.solver[:60],
            solve_seconds=result.solve_seconds,
            planned=counts["planned"],
            kept=counts["kept"],
            moved=counts["moved"],
            unplanned=sum(unplanned_by_reason.values()),
            travel_seconds=int(result.travel.total_seconds()),
            unplanned_by_reason=dict(unplanned_by_reason),
        )
        self._plans.add(plan)
        await self._plans.flush()
        logger.info(
            "visit plan applied",
            extra={
                "plan_id": str(plan.id),
                "planned": plan.planned,
                "kept": plan.kept,
                "moved": plan.moved,
                "unplanned": plan.unplanned,
                "changed_meanwhile": counts["skipped"],
            },
        )
        return plan

    @staticmethod
    def _unchanged(
        visits: dict[uuid.UUID, Visit], prepared: PreparedPlan, visit_id: uuid.UUID
    ) -> Visit | None:
        """The visit, unless it changed since ``prepare`` (e.g. cancelled on a cure mid-plan)."""
        visit = visits.get(visit_id)
        if visit is None or _fingerprint(visit) != prepared.seen.get(visit_id):
            return None
        return visit

    async def _schedule(self, visit: Visit, stop: PlannedStop, prepared: PreparedPlan) -> None:
        visit.status = "scheduled"
        visit.team_id = stop.team_id
        visit.plan_id = prepared.plan_id
        visit.plan_day = stop.day
        visit.route_position = stop.position
        visit.service_start = stop.service_start
        visit.window_start = stop.window.start
        visit.window_end = stop.window.end
        visit.priority = prepared.priorities.get(visit.id, visit.priority)
        visit.unassigned_code = None
        visit.unassigned_reason = None
        visit.notice_status = "pending"
        visit.notice_sent_at = None
        await self._plans.flush()
        announcement = await self._events.scheduled(visit)
        # Only a notice of this announcement lets the visit go ahead.
        visit.notice_event_id = announcement.id

    async def _withdraw(self, visit: Visit, missing: Unplanned, now: datetime) -> None:
        """An announced appointment that cannot be kept is cancelled (the customer is told)
        and a new request takes its place, carrying why it is not planned."""
        visit.status = "cancelled"
        visit.cancel_reason = f"appointment cannot be kept: {missing.reason}"[:300]
        visit.cancelled_at = now
        await self._plans.flush()
        await self._events.cancelled(visit)
        self._plans.add(
            follow_up_request(visit, code=missing.reason_code, reason=missing.reason, now=now)
        )
        await self._plans.flush()

    async def recent(self, limit: int) -> list[VisitPlan]:
        return list(await self._plans.recent_plans(limit))
