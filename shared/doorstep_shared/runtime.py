"""Background workers (outbox relay, consumers, dispatchers) owned by a service's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from doorstep_shared.messaging.progress import ConsumerProgress

logger = logging.getLogger(__name__)


class WatchedConsumer(Protocol):
    """A consumer whose progress liveness follows (``EventConsumer``)."""

    @property
    def group_id(self) -> str: ...

    def run(self) -> Coroutine[Any, Any, None]: ...

    def progress(self, now: float) -> ConsumerProgress: ...

    def request_stop(self) -> None: ...


class Workers:
    """A service's background tasks. At shutdown, workers that can stop between two units of
    work (a record, a round of notices, a batch of outbox rows) are asked to, and given
    ``grace_seconds``; the rest, and any still running after that, are cancelled."""

    def __init__(self, grace_seconds: float = 10.0) -> None:
        self._grace_seconds = grace_seconds
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stoppers: dict[str, Callable[[], None]] = {}
        self._consumers: dict[str, WatchedConsumer] = {}

    def start(
        self,
        name: str,
        coroutine: Coroutine[Any, Any, None],
        *,
        request_stop: Callable[[], None] | None = None,
    ) -> None:
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(self._report_exit)
        self._tasks[name] = task
        if request_stop is not None:
            self._stoppers[name] = request_stop

    def start_consumer(self, name: str, consumer: WatchedConsumer) -> None:
        """Run ``consumer`` as worker ``name``; liveness also fails while it is stalled."""
        self.start(name, consumer.run(), request_stop=consumer.request_stop)
        self._consumers[consumer.group_id] = consumer

    def dead(self) -> list[str]:
        """Workers that stopped although nobody asked them to (liveness fails on these)."""
        return [name for name, task in self._tasks.items() if task.done() and not task.cancelled()]

    def consumer_progress(self, now: float) -> dict[str, ConsumerProgress]:
        """Each watched consumer's progress by group id (liveness fails on a stalled one)."""
        return {group: consumer.progress(now) for group, consumer in self._consumers.items()}

    async def stop(self) -> None:
        graceful = []
        for name, task in self._tasks.items():
            if name in self._stoppers:
                self._stoppers[name]()
                graceful.append(task)
            else:
                task.cancel()
        if graceful:
            _done, late = await asyncio.wait(graceful, timeout=self._grace_seconds)
            for task in late:
                logger.warning("worker did not stop in time", extra={"worker": task.get_name()})
                task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        self._stoppers.clear()
        self._consumers.clear()

    @staticmethod
    def _report_exit(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "background worker crashed",
                extra={"worker": task.get_name()},
                exc_info=task.exception(),
            )
