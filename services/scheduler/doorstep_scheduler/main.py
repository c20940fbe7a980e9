"""scheduler application factory."""

from __future__ import annotations

from fastapi import FastAPI

from doorstep_scheduler import models  # noqa: F401  (every mapper configured before first use)
from doorstep_scheduler.collectors.router import router as collectors_router
from doorstep_scheduler.collectors.seed import seed_demo_collectors
from doorstep_scheduler.db import api_key_table, inbox_table, outbox_table
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.handlers import (
    CONSUMER_NAME,
    HANDLED_CASE_TYPES,
    build_case_event_handler,
)
from doorstep_scheduler.visits.router import router as visits_router
from doorstep_shared.app import build_app, seal_routes, service_lifespan
from doorstep_shared.events.topics import CASE_EVENTS
from doorstep_shared.messaging.consumer import EventConsumer, transactional_handler

SERVICE = "scheduler"

DESCRIPTION = """
Doorstep's field-visit planner.

* Consumes case events from Kafka topic `doorstep.case-events.v1`. When an open case is in a
  stage whose treatment is `field_visit` (case-api's collection policy decides which) and no
  hold or arrangement pauses collection, it requests a visit and assigns it to a collector team
  and a time window. When the case resolves, is put on hold or leaves that stage (e.g. for
  legal review), the visit is cancelled at once.
* Publishes `doorstep.visit.scheduled.v1` and `doorstep.visit.cancelled.v1` to
  `doorstep.case-status.v1` through a transactional outbox.
* **Visits**: operations read visits, including those left unassigned and why.
* **Collectors**: operations register collector teams and their daily capacity.

Errors are RFC 9457 problem details (`application/problem+json`).
"""


async def _seed_then_consume(app: FastAPI, consumer: EventConsumer) -> None:
    # Seed before the first event is handled, so a local run can schedule from the start.
    settings: SchedulerSettings = app.state.settings
    await seed_demo_collectors(app.state.sessionmaker, settings.demo_collectors)
    await consumer.run()


def _start_case_event_consumer(app: FastAPI) -> None:
    settings: SchedulerSettings = app.state.settings
    consumer = EventConsumer(
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
            after_commit=app.state.relay.notify,
        ),
    )
    app.state.case_event_consumer = consumer
    app.state.workers.start("case-event-consumer", _seed_then_consume(app, consumer))


def create_app(settings: SchedulerSettings | None = None) -> FastAPI:
    settings = settings or SchedulerSettings()
    app = build_app(
        title="Doorstep scheduler",
        description=DESCRIPTION,
        lifespan=service_lifespan(
            SERVICE, settings, outbox_table, _start_case_event_consumer, api_keys=api_key_table
        ),
        settings=settings,
    )
    app.include_router(visits_router)
    app.include_router(collectors_router)
    return seal_routes(app, settings)
