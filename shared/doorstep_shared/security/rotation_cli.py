"""The part of every service's ``rotate-keys`` command that is the same: the engine's
lifetime, a rotation stopped by a key error, and what it prints."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.security.crypto import FieldCryptoError


class RotationCounts(Protocol):
    @property
    def scanned(self) -> int: ...

    @property
    def rewritten(self) -> int: ...


async def run_rotation(
    database_url: str,
    rotate: Callable[[async_sessionmaker[AsyncSession]], Awaitable[RotationCounts]],
    *,
    rows: str,
    active_key_id: str,
) -> int:
    """Run ``rotate`` on the service's database; the exit code (0 done, 1 stopped)."""
    engine = create_engine(database_url)
    try:
        result = await rotate(create_sessionmaker(engine))
    except FieldCryptoError as exc:
        # Names a column and a key id, never a value; batches before this one are kept.
        print(f"rotate-keys: stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(
        f"rotate-keys: rewrote {result.rewritten} of {result.scanned} {rows}; "
        f"all are under key id {active_key_id!r}"
    )
    return 0
