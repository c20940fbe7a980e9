"""Wake the planning worker after a change that affects plans (a new team, a sick collector)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI


def planner_wakeup(app: FastAPI) -> asyncio.Event:
    """The event the planning worker waits on between runs; created on first use."""
    event: asyncio.Event | None = getattr(app.state, "planner_wakeup", None)
    if event is None:
        event = asyncio.Event()
        app.state.planner_wakeup = event
    return event


def wake_planner(app: FastAPI) -> None:
    """Ask for a planning run soon; call after the change is committed."""
    planner_wakeup(app).set()
