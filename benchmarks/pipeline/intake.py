"""Feeding accounts to case-api the way core banking does: concurrent single PUTs, PUTs at a
fixed rate (open loop: each request leaves at its time, whatever the earlier ones do), or NDJSON
batches (``POST /v1/delinquency-batches``).

The closed-loop feeds ask a ``Gate`` before each request, which holds them back while too many
accounts are in the pipeline and stops them at a deadline: a platform slower than the feed then
gets a bounded backlog instead of an unbounded one, and the run a bounded length. The paced
feed gives up once the accounts without an outcome are ``max_lag`` seconds' worth: the
platform cannot keep up with that rate."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from benchmarks.pipeline.accounts import AccountSource

RETRYABLE = {429, 502, 503, 504}
MAX_TRIES = 8
BATCH_ROUTE = "/v1/delinquency-batches"


@dataclass
class Gate:
    """At most ``max_in_flight`` accounts accepted but without a notice outcome (``finished``
    is kept up to date by whoever watches the timelines), and nothing new after ``deadline``
    (``time.monotonic()``)."""

    max_in_flight: int
    deadline: float
    finished: int = 0
    admitted: int = 0
    closed: bool = False

    async def admit(self, accounts: int) -> bool:
        while self.admitted + accounts - self.finished > self.max_in_flight:
            if time.monotonic() > self.deadline:
                break
            await asyncio.sleep(0.1)
        if self.closed or time.monotonic() > self.deadline:
            self.closed = True
            return False
        self.admitted += accounts
        return True


@dataclass
class IntakeStats:
    requests: int = 0
    accounts_accepted: int = 0
    accounts_rejected: int = 0
    retries: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    first_sent: float = 0.0  # wall clock (time.time()) of the first request
    last_answered: float = 0.0
    gave_up_after_seconds: float | None = None  # paced feed: when it fell too far behind
    # account id -> wall-clock time its request was sent (paced runs: the latency's start)
    sent_at: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return max(0.0, self.last_answered - self.first_sent)

    def summary(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "accounts_accepted": self.accounts_accepted,
            "accounts_rejected": self.accounts_rejected,
            "retries": self.retries,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "seconds": round(self.seconds, 3),
            "accounts_per_second": round(self.accounts_accepted / self.seconds, 1)
            if self.seconds
            else None,
            "gave_up_after_seconds": self.gave_up_after_seconds,
        }


class Intake:
    def __init__(self, base_url: str, token: str, connections: int) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(120.0),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def batch_route_exists(self) -> bool:
        """True once case-api serves the batch route (it is listed in its OpenAPI document)."""
        document = (await self._client.get("/openapi.json")).json()
        return BATCH_ROUTE in document.get("paths", {})

    async def _put(self, source: AccountSource, index: int, stats: IntakeStats) -> None:
        account = source.account_id(index)
        body = json.dumps(source.body(index)).encode()
        for attempt in range(MAX_TRIES):
            sent = time.time()
            if attempt == 0:
                stats.sent_at[account] = sent
                stats.first_sent = stats.first_sent or sent
            try:
                response = await self._client.put(
                    f"/v1/accounts/{account}/delinquency",
                    content=body,
                    headers={"content-type": "application/json"},
                )
            except httpx.TransportError:
                stats.retries += 1
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            stats.requests += 1
            stats.statuses[response.status_code] += 1
            if response.status_code in RETRYABLE:
                stats.retries += 1
                await asyncio.sleep(float(response.headers.get("retry-after", 0.5 * (attempt + 1))))
                continue
            stats.last_answered = time.time()
            if response.is_success:
                stats.accounts_accepted += 1
            else:
                stats.accounts_rejected += 1
            return
        stats.accounts_rejected += 1

    async def put_all(
        self,
        source: AccountSource,
        count: int,
        concurrency: int,
        gate: Gate | None = None,
        start: int = 0,
    ) -> IntakeStats:
        """``count`` accounts by single PUTs, ``concurrency`` requests in flight."""
        stats = IntakeStats()
        queue = iter(range(start, start + count))

        async def worker() -> None:
            for index in queue:  # one shared iterator: each index goes to one worker
                if gate is not None and not await gate.admit(1):
                    return
                rejected_before = stats.accounts_rejected
                await self._put(source, index, stats)
                if gate is not None:  # a refused account will never have an outcome
                    gate.admitted -= stats.accounts_rejected - rejected_before

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return stats

    async def paced_put(
        self,
        source: AccountSource,
        rate: float,
        seconds: float,
        max_lag: float,
        done: Gate,
        start: int = 0,
    ) -> IntakeStats:
        """Single PUTs at ``rate`` per second for ``seconds``, each sent at its own moment;
        given up once more than ``max_lag`` seconds' worth of accounts sent have no outcome yet
        (``done.finished``): the platform is then falling behind the rate."""
        stats = IntakeStats()
        count = int(rate * seconds)
        began = time.monotonic()
        tasks = []
        for offset in range(count):
            delay = began + offset / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if (offset - done.finished) / rate > max_lag:
                stats.gave_up_after_seconds = round(time.monotonic() - began, 1)
                break
            tasks.append(asyncio.create_task(self._put(source, start + offset, stats)))
        await asyncio.gather(*tasks)
        return stats

    async def batch_all(
        self,
        source: AccountSource,
        count: int,
        batch_size: int,
        concurrency: int,
        gate: Gate | None = None,
        start: int = 0,
    ) -> IntakeStats:
        """``count`` accounts in NDJSON batches of ``batch_size``, ``concurrency`` at once."""
        stats = IntakeStats()
        firsts = iter(range(start, start + count, batch_size))
        end = start + count

        async def worker() -> None:
            for first in firsts:
                indexes = range(first, min(first + batch_size, end))
                if gate is not None and not await gate.admit(len(indexes)):
                    return
                rejected_before = stats.accounts_rejected
                await self._batch(source, indexes, stats)
                if gate is not None:  # a refused record will never have an outcome
                    gate.admitted -= stats.accounts_rejected - rejected_before

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return stats

    async def _batch(self, source: AccountSource, indexes: range, stats: IntakeStats) -> None:
        body = b"".join(source.batch_line(index) for index in indexes)
        batch_id = f"bench-{uuid.uuid4().hex}"  # the same id on a retry: replayed, not re-applied
        for attempt in range(MAX_TRIES):
            sent = time.time()
            stats.first_sent = stats.first_sent or sent
            for index in indexes:
                stats.sent_at.setdefault(source.account_id(index), sent)
            try:
                response = await self._client.post(
                    BATCH_ROUTE,
                    content=body,
                    headers={"content-type": "application/x-ndjson", "Batch-Id": batch_id},
                )
            except httpx.TransportError:
                stats.retries += 1
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            stats.requests += 1
            stats.statuses[response.status_code] += 1
            if response.status_code in RETRYABLE:
                stats.retries += 1
                await asyncio.sleep(float(response.headers.get("retry-after", 0.5 * (attempt + 1))))
                continue
            stats.last_answered = time.time()
            if not response.is_success:
                stats.accounts_rejected += len(indexes)
                return
            answer = response.json()
            rejected = int(answer.get("rejected", 0))
            stats.accounts_accepted += len(indexes) - rejected
            stats.accounts_rejected += rejected
            return
        stats.accounts_rejected += len(indexes)
