"""Pieces every service's ``create_app`` uses: problem handlers, health routes, core state."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Table

from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.errors import install_problem_handlers
from doorstep_shared.health import router as health_router
from doorstep_shared.logging import configure_logging
from doorstep_shared.messaging.kafka import ensure_topics
from doorstep_shared.messaging.outbox import OutboxRelay
from doorstep_shared.runtime import Workers
from doorstep_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)

StartWorkers = Callable[[FastAPI], None]


def service_lifespan(
    service: str,
    settings: ServiceSettings,
    outbox: Table,
    start_workers: StartWorkers,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Engine, sessionmaker, outbox relay and the service's own workers, built at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service, settings.log_level)
        engine = create_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.workers = Workers()
        app.state.relay = OutboxRelay(engine, outbox, settings, client_id=service)
        if settings.background_workers_enabled:
            if settings.kafka_create_topics:
                try:
                    await ensure_topics(settings)
                except Exception as exc:
                    # The broker may still be starting; the relay retries and creates them.
                    logger.warning("topics not checked", extra={"error": type(exc).__name__})
            app.state.workers.start("outbox-relay", app.state.relay.run())
            start_workers(app)
        logger.info("service started")
        try:
            yield
        finally:
            await app.state.workers.stop()
            await engine.dispose()
            logger.info("service stopped")

    return lifespan


def build_app(
    *,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(health_router)
    return app
