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
from doorstep_shared.security.body_limit import BodySizeLimit
from doorstep_shared.security.guard import (
    Authenticator,
    assert_every_route_guarded,
    install_scope_docs,
)
from doorstep_shared.security.ratelimit import RateLimiter
from doorstep_shared.settings import ServiceSettings, refuse_insecure_production

logger = logging.getLogger(__name__)

StartWorkers = Callable[[FastAPI], None]


def service_lifespan(
    service: str,
    settings: ServiceSettings,
    outbox: Table,
    start_workers: StartWorkers,
    api_keys: Table,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Engine, sessionmaker, outbox relay and the service's own workers, built at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service, settings.log_level)
        engine = create_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.authenticator = Authenticator(settings, app.state.sessionmaker, api_keys)
        app.state.api_key_table = api_keys
        app.state.workers = Workers(settings.shutdown_grace_seconds)
        app.state.relay = OutboxRelay(engine, outbox, settings, client_id=service)
        if settings.background_workers_enabled:
            if settings.kafka_create_topics:
                try:
                    await ensure_topics(settings)
                except Exception as exc:
                    # The broker may still be starting; the relay retries and creates them.
                    logger.warning("topics not checked", extra={"error": type(exc).__name__})
            app.state.workers.start(
                "outbox-relay", app.state.relay.run(), request_stop=app.state.relay.request_stop
            )
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
    settings: ServiceSettings,
) -> FastAPI:
    refuse_insecure_production(settings)
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(health_router)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    return app


def seal_routes(
    app: FastAPI,
    settings: ServiceSettings,
    exempt: frozenset[str] = frozenset(),
    streamed_bodies: dict[str, int] | None = None,
) -> FastAPI:
    """Last step of ``create_app``: every route has an access rule, and its docs say which.

    The body limit goes on last, so it is the outermost middleware: nothing reads a body
    (the idempotency middleware hashes it) before the limit applies. ``streamed_bodies`` maps
    the paths of routes that read their body as a stream to their own limit.
    """
    assert_every_route_guarded(app, exempt)
    install_scope_docs(app)
    streamed = streamed_bodies or {}
    app.add_middleware(
        BodySizeLimit,
        limit_for=lambda path: streamed.get(path, settings.max_request_body_bytes),
        streamed=frozenset(streamed),
    )
    return app
