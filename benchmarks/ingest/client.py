"""The feed's side of ``POST /v1/delinquency-batches``: each batch streamed as NDJSON."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx

from benchmarks.ingest.records import Batch, streamed

BATCH_PATH = "/v1/delinquency-batches"


class BatchFailedError(RuntimeError):
    pass


async def post_batches(
    url: str,
    token: str,
    batches: list[Batch],
    batch_prefix: str,
    concurrency: int,
    budget_seconds: float,
) -> dict[str, Any]:
    """The batches in order (``Batch-Id`` ``<batch_prefix>-<n>``), ``concurrency`` at a time,
    until all are sent or the budget is spent: no request starts that would, at the mean time
    of those before it, end after ``budget_seconds``; the first one always goes. So the first
    ``requests`` batches are the ones measured.

    Raises ``BatchFailedError`` on a non-200 answer, an incomplete batch or a record count
    that does not match what was sent.
    """
    queue: asyncio.Queue[tuple[int, Batch]] = asyncio.Queue()
    for numbered in enumerate(batches):
        queue.put_nowait(numbered)
    verdicts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    seconds: list[float] = []
    sent: list[int] = []  # records of each request answered

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            expected = sum(seconds) / len(seconds) if seconds else 0.0
            if time.perf_counter() + expected > deadline:
                return  # the next request would end after the budget
            number, batch = queue.get_nowait()
            started = time.perf_counter()
            response = await client.post(
                BATCH_PATH,
                content=streamed(batch),
                headers={
                    "batch-id": f"{batch_prefix}-{number:04d}",
                    "content-type": "application/x-ndjson",
                },
            )
            seconds.append(time.perf_counter() - started)
            sent.append(len(batch))
            if response.status_code != 200:
                raise BatchFailedError(f"batch {number}: {response.status_code} {response.text}")
            answer = response.json()
            if answer.get("complete") is False or answer["received"] != len(batch):
                raise BatchFailedError(
                    f"batch {number}: sent {len(batch)}, received {answer['received']}, "
                    f"stream error {answer.get('stream_error')}"
                )
            for result in answer["results"]:
                verdicts[result["result"]] += 1
                outcomes[str(result["outcome"])] += 1
                if result.get("reason"):
                    reasons[str(result["reason"].get("type"))] += 1

    limits = httpx.Limits(max_connections=concurrency)
    timeout = httpx.Timeout(600.0, connect=10.0)
    async with httpx.AsyncClient(
        base_url=url, headers={"authorization": f"Bearer {token}"}, limits=limits, timeout=timeout
    ) as client:
        started = time.perf_counter()
        deadline = started + budget_seconds
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    records = sum(sent)
    return {
        "records": records,
        "requests": len(sent),
        "stopped_by_time_budget": len(sent) < len(batches),
        "seconds": round(elapsed, 3),
        "records_per_second": round(records / elapsed, 1),
        "request_seconds_max": round(max(seconds), 3),
        "results": dict(sorted(verdicts.items())),
        "outcomes": dict(sorted(outcomes.items())),
        "rejection_types": dict(sorted(reasons.items())),
    }
