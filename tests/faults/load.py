"""Load for the fault scenarios: intake over case-api's HTTP API, run on a thread of its own
so the test can kill and restart processes while it goes on."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.snapshots import overdue

RETRY_FOR_SECONDS = 300.0


class Intake:
    """Puts snapshots like a core banking system would: a failed or unanswered request is
    sent again until case-api answers it, and only an answer counts as accepted."""

    def __init__(self, base_url: str, headers: dict[str, str], concurrency: int = 16) -> None:
        self._base_url = base_url
        self._headers = headers
        self._concurrency = concurrency
        self.accepted: dict[str, Decimal] = {}
        self.answered = 0  # requests case-api answered with a success
        self.retried = 0

    async def open_accounts(self, accounts: list[str], first_marker: int) -> None:
        await self.update_accounts({a: [Decimal("1200.00")] for a in accounts}, first_marker)

    async def update_accounts(
        self, principals: dict[str, list[Decimal]], first_marker: int, writers: int | None = None
    ) -> None:
        """Each account's snapshots in order (one writer per account at a time), the
        accounts spread over ``writers`` concurrent writers."""
        accounts = list(principals)
        markers = {account: first_marker + i for i, account in enumerate(accounts)}
        writers = writers or self._concurrency
        limits = httpx.Limits(max_connections=writers)
        async with httpx.AsyncClient(
            base_url=self._base_url, timeout=30, limits=limits, headers=self._headers
        ) as client:

            async def writer(index: int) -> None:
                mine = accounts[index::writers]
                rounds = max((len(principals[a]) for a in mine), default=0)
                for step in range(rounds):
                    for account in mine:
                        if step < len(principals[account]):
                            principal = principals[account][step]
                            await self.put(client, account, markers[account], principal)

            await asyncio.gather(*(writer(i) for i in range(writers)))

    async def put(
        self, client: httpx.AsyncClient, account: str, marker: int, principal: Decimal
    ) -> None:
        body = overdue(marker, 12, principal=str(principal))
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            try:
                response = await client.put(f"/v1/accounts/{account}/delinquency", json=body)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code in (200, 201):
                self.accepted[account] = principal
                self.answered += 1
                return
            if response is not None and response.status_code < 500:
                raise AssertionError(f"intake refused: {response.status_code} {response.text}")
            self.retried += 1
            assert time.monotonic() < deadline, "case-api did not come back"
            await asyncio.sleep(0.5)


class Background:
    """A coroutine on a thread and event loop of its own; ``join`` re-raises its failure."""

    def __init__(self, start: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(start,), daemon=True)
        self._thread.start()

    def _run(self, start: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            asyncio.run(start())
        except BaseException as exc:  # handed to join()
            self._error = exc

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float = 900) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the load did not finish"
        if self._error is not None:
            raise self._error
