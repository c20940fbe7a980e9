"""Background workers (outbox relay, consumers, dispatchers) owned by a service's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class Workers:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(self._report_exit)
        self._tasks[name] = task

    def dead(self) -> list[str]:
        """Workers that stopped although nobody asked them to (liveness fails on these)."""
        return [name for name, task in self._tasks.items() if task.done() and not task.cancelled()]

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    @staticmethod
    def _report_exit(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "background worker crashed",
                extra={"worker": task.get_name()},
                exc_info=task.exception(),
            )
