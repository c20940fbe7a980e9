"""/healthz (workers alive, consumers moving) and /readyz (database and broker reachable)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from doorstep_shared.messaging.kafka import broker_reachable
from doorstep_shared.messaging.progress import ConsumerProgress
from doorstep_shared.runtime import Workers

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


_CONSUMER_EXAMPLE = {
    "handled": 1520,
    "duplicates": 3,
    "skipped_unknown": 0,
    "dead_lettered": 1,
    "retries": 2,
    "lag": 0,
    "seconds_since_progress": 0.4,
    "stalled": False,
}


@router.get(
    "/healthz",
    summary="Liveness",
    description=(
        "200 while the process's background workers run and every Kafka consumer moves. 503 "
        "when a worker stopped, or a consumer is stalled: it has records waiting (`lag` > 0, "
        "or one in hand) and finished none for longer than `*_CONSUMER_STALL_SECONDS`, or its "
        "poll loop has not come back for that long. An idle consumer is never stalled. "
        "`consumers` is keyed by consumer group; `lag` is null while unknown. Dependencies "
        "(database, broker) are `/readyz`'s concern."
    ),
    responses={
        200: {
            "description": "Alive.",
            "content": {
                "application/json": {
                    "example": {
                        "status": "ok",
                        "consumers": {"doorstep-notifier": _CONSUMER_EXAMPLE},
                    }
                }
            },
        },
        503: {
            "description": "A worker stopped or a consumer is stalled; the body names which.",
            "content": {
                "application/json": {
                    "example": {
                        "status": "failing",
                        "dead_workers": [],
                        "stalled_consumers": ["doorstep-notifier"],
                        "consumers": {
                            "doorstep-notifier": {
                                **_CONSUMER_EXAMPLE,
                                "lag": 42,
                                "seconds_since_progress": 312.5,
                                "stalled": True,
                            }
                        },
                    }
                }
            },
        },
    },
)
async def healthz(request: Request) -> JSONResponse:
    workers: Workers = request.app.state.workers
    progress = workers.consumer_progress(time.monotonic())
    dead = workers.dead()
    stalled = sorted(group for group, state in progress.items() if state.stalled)
    consumers = {group: _consumer_body(state) for group, state in progress.items()}
    if dead or stalled:
        logger.warning(
            "liveness failing", extra={"dead_workers": dead, "stalled_consumers": stalled}
        )
        return JSONResponse(
            {
                "status": "failing",
                "dead_workers": dead,
                "stalled_consumers": stalled,
                "consumers": consumers,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "consumers": consumers})


def _consumer_body(state: ConsumerProgress) -> dict[str, Any]:
    body = asdict(state)
    body["seconds_since_progress"] = round(state.seconds_since_progress, 3)
    return body


@router.get(
    "/readyz",
    summary="Readiness",
    description="200 when the database and the Kafka broker are reachable, else 503.",
    responses={
        200: {
            "description": "Ready.",
            "content": {
                "application/json": {
                    "example": {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
                }
            },
        },
        503: {"description": "The database or the broker is unreachable; each check says which."},
    },
)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        async with request.app.state.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    reachable = await broker_reachable(request.app.state.settings)
    checks["broker"] = "ok" if reachable else "unreachable"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )
