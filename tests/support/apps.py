"""Running a service's real ASGI app (with its lifespan) in the test's event loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from doorstep_shared.clock import utc_now
from doorstep_shared.db.migrations import upgrade
from doorstep_shared.security.api_keys import ApiKeyRepository
from doorstep_shared.security.principal import ALL_SCOPES


async def migrate(migrations_dir: Path, database_url: str) -> None:
    await asyncio.to_thread(upgrade, migrations_dir, database_url)


async def issue_key(
    app: FastAPI,
    scopes: Iterable[str],
    team_id: uuid.UUID | None = None,
    name: str = "test",
) -> str:
    """A real API key in the app's own database (the app's lifespan must be running)."""
    async with app.state.sessionmaker() as session, session.begin():
        issued = await ApiKeyRepository(session, app.state.api_key_table).issue(
            name=name, scopes=scopes, team_id=team_id, expires_at=None, now=utc_now()
        )
    return issued.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def app_client(
    app: FastAPI, scopes: Iterable[str] | None = ALL_SCOPES
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app that carries an API key with ``scopes`` (every scope by default);
    ``scopes=None`` gives a client without any credential."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = bearer(await issue_key(app, scopes)) if scopes is not None else {}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            yield client
