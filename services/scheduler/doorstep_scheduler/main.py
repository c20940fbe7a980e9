"""scheduler application factory."""

from __future__ import annotations

from fastapi import FastAPI

from doorstep_scheduler import models  # noqa: F401  (every mapper configured before first use)
from doorstep_scheduler.db import api_key_table, inbox_table, outbox_table
from doorstep_scheduler.encryption import use_cipher
from doorstep_scheduler.planning.problem import RoutePlanner
from doorstep_scheduler.planning.solver import PyVrpPlanner
from doorstep_scheduler.planning.travel import HaversineTravel
from doorstep_scheduler.plans.router import router as plans_router
from doorstep_scheduler.plans.wakeup import planner_wakeup, wake_planner
from doorstep_scheduler.plans.worker import planning_worker
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.teams.router import collectors_router, teams_router
from doorstep_scheduler.teams.seed import seed_demo_teams
from doorstep_scheduler.visit_terms.client import CaseApiVisitData, VisitDataSource
from doorstep_scheduler.visits.field_router import router as field_visits_router
from doorstep_scheduler.visits.handlers import (
    CONSUMER_NAME,
    HANDLED_CASE_TYPES,
    HANDLED_NOTICE_TYPES,
    NOTICE_CONSUMER_NAME,
    build_case_event_handler,
    build_notice_handler,
    case_event_order,
)
from doorstep_scheduler.visits.router import router as visits_router
from doorstep_shared.app import build_app, seal_routes, service_lifespan
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS
from doorstep_shared.messaging.case_order import GapWorker
from doorstep_shared.messaging.consumer import EventConsumer, transactional_handler

SERVICE = "scheduler"

DESCRIPTION = """
Doorstep's field-visit planner.

* Consumes case events from Kafka topic `doorstep.case-events.v1`. When an open case is in a
  stage whose treatment is `field_visit` (case-api's collection policy decides which) and no
  hold or arrangement pauses collection, it requests a visit. When the case resolves, is put on
  hold or leaves that stage (e.g. for legal review), the visit is cancelled at once.
* **Plans** the next working days with a vehicle-routing solver (PyVRP): each visit gets a team,
  a day, an appointment window and a place in the team's route, inside the rule pack's visit
  hours, the customer's windows and the team's hours, never on a public holiday, never before
  the pack's notice period, by a team as large as the pack requires and speaking the customer's
  language. Re-planning keeps appointments already given. Every visit left out says why.
* Publishes `doorstep.visit.scheduled.v1`, `doorstep.visit.cancelled.v1` and
  `doorstep.visit.outcome_recorded.v1` to `doorstep.case-status.v1` through a transactional
  outbox; reads the notifier's `doorstep.visit.notice_sent.v1` / `notice_failed.v1` back: a
  visit goes ahead only once its appointment notice was sent in time.
* **Teams and collectors**: operations manage teams, members, hours, languages and absences.
* **Field**: a team's agenda in route order, check-in with position, and the visit outcome.

Errors are RFC 9457 problem details (`application/problem+json`).
"""


async def _seed_then_plan(app: FastAPI) -> None:
    # Seed before the first run, so a local run can plan from the start.
    settings: SchedulerSettings = app.state.settings
    await seed_demo_teams(app.state.sessionmaker, settings.demo_teams)
    await planning_worker(app).run_forever(planner_wakeup(app))


def _after_commit(app: FastAPI) -> None:
    app.state.relay.notify()
    wake_planner(app)


def _start_workers(app: FastAPI) -> None:
    settings: SchedulerSettings = app.state.settings
    planning_worker(app)
    case_events = EventConsumer(
        settings,
        topics=(CASE_EVENTS,),
        group_id=settings.consumer_group,
        client_id=SERVICE,
        handled_types=HANDLED_CASE_TYPES,
        handler=transactional_handler(
            app.state.sessionmaker,
            inbox_table,
            CONSUMER_NAME,
            build_case_event_handler(settings),
            after_commit=lambda: _after_commit(app),
        ),
    )
    notices = EventConsumer(
        settings,
        topics=(CASE_STATUS,),
        group_id=settings.notice_consumer_group,
        client_id=f"{SERVICE}-notices",
        handled_types=HANDLED_NOTICE_TYPES,
        handler=transactional_handler(
            app.state.sessionmaker,
            inbox_table,
            NOTICE_CONSUMER_NAME,
            build_notice_handler(settings),
            after_commit=lambda: _after_commit(app),
        ),
    )
    # Gives up waiting for case events that never came, so a parked case moves on.
    gap_worker = GapWorker(
        app.state.sessionmaker,
        case_event_order(settings),
        settings.gap_wait_seconds,
        after_commit=lambda: _after_commit(app),
    )
    app.state.case_event_consumer = case_events
    app.state.notice_consumer = notices
    app.state.workers.start_consumer("case-event-consumer", case_events)
    app.state.workers.start_consumer("notice-consumer", notices)
    app.state.workers.start("gap-worker", gap_worker.run(), request_stop=gap_worker.request_stop)
    app.state.workers.start("planner", _seed_then_plan(app))


def create_app(
    settings: SchedulerSettings | None = None,
    *,
    visit_data: VisitDataSource | None = None,
    route_planner: RoutePlanner | None = None,
) -> FastAPI:
    """``visit_data`` and ``route_planner`` replace case-api and the solver (tests)."""
    settings = settings or SchedulerSettings()
    use_cipher(settings.cipher)
    app = build_app(
        title="Doorstep scheduler",
        description=DESCRIPTION,
        lifespan=service_lifespan(
            SERVICE, settings, outbox_table, _start_workers, api_keys=api_key_table
        ),
        settings=settings,
    )
    app.state.visit_data = visit_data or CaseApiVisitData(settings)
    app.state.route_planner = route_planner or PyVrpPlanner(
        HaversineTravel(settings.travel_speed_kmh),
        time_budget_seconds=settings.planning_time_budget_seconds,
    )
    app.include_router(field_visits_router)  # before /v1/visits/{visit_id}: /agenda
    app.include_router(visits_router)
    app.include_router(plans_router)
    app.include_router(teams_router)
    app.include_router(collectors_router)
    return seal_routes(app, settings)
