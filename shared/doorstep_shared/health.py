"""/healthz (alive) and /readyz (database and broker reachable) for every service."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from doorstep_shared.messaging.kafka import broker_reachable

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", summary="Liveness", description="200 while the process and its workers run."
)
async def healthz(request: Request) -> JSONResponse:
    dead = request.app.state.workers.dead()
    if dead:
        return JSONResponse({"status": "failing", "dead_workers": dead}, status_code=503)
    return JSONResponse({"status": "ok"})


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
