"""The load generator, in a process of its own so its CPU is not the server's.

``python -m benchmarks.single_put.load --url U --mode open|update --prefix P ...`` (bearer
token in ``BENCH_LOAD_TOKEN``) runs ``--concurrency`` workers on one pooled
``httpx.AsyncClient`` for ``--warmup`` seconds (not counted) and then ``--duration`` seconds
(measured: requests that start and finish inside it), and prints one JSON object with the
figures (and every measured latency, for merging slices).

``open``: every request reports a new account (``<prefix>-<n>``), so every request writes.
``update``: re-reports the ``--accounts`` accounts the ``open`` runs made, in turn, each time one
day newer with changed amounts. ``--start`` continues the sequence where an earlier slice of
the same phase stopped, so accounts stay new and re-reports stay newer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks.common import account_id, delinquency_snapshot, percentile

TOKEN_VARIABLE = "BENCH_LOAD_TOKEN"  # bearer token; unset for the baseline, which has no auth


@dataclass
class Plan:
    """Hands out the next (account, body) to whichever worker asks: one sequence for all."""

    mode: str
    prefix: str
    accounts: int
    start: int = 0  # where an earlier slice of the same phase stopped
    issued: int = 0

    def next_request(self) -> tuple[str, bytes]:
        n = self.start + self.issued
        self.issued += 1
        if self.mode == "open":
            index, revision = n, 0
        else:
            index, revision = n % self.accounts, 1 + n // self.accounts
        # Customers of their own too: a phase with another prefix opens new customers.
        snapshot = delinquency_snapshot(index, revision, customer_prefix=f"{self.prefix}-C")
        body = json.dumps(snapshot).encode()
        return account_id(self.prefix, index), body


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: int = 0  # any non-2xx or transport error, warm-up included
    first_failure: str | None = None

    def fail(self, what: str) -> None:
        self.failures += 1
        if self.first_failure is None:
            self.first_failure = what[:500]


async def _worker(
    client: httpx.AsyncClient, plan: Plan, tally: Tally, measure_from: float, end: float
) -> None:
    headers = {"content-type": "application/json"}
    while time.perf_counter() < end:
        account, body = plan.next_request()
        started = time.perf_counter()
        try:
            response = await client.put(
                f"/v1/accounts/{account}/delinquency", content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            tally.fail(f"{type(exc).__name__}: {exc}")
            continue
        finished = time.perf_counter()
        if response.status_code >= 300:
            tally.fail(f"{response.status_code}: {response.text}")
        if started >= measure_from and finished <= end:
            tally.latencies.append(finished - started)
            tally.statuses[response.status_code] += 1
            if response.status_code < 300:
                tally.outcomes[str(response.json().get("outcome"))] += 1


async def run_load(
    url: str,
    token: str,
    plan: Plan,
    concurrency: int,
    warmup: float,
    duration: float,
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    tally = Tally()
    async with httpx.AsyncClient(
        base_url=url,
        headers={"authorization": f"Bearer {token}"} if token else {},
        limits=limits,
        timeout=60,
    ) as client:
        measure_from = time.perf_counter() + warmup
        end = measure_from + duration
        await asyncio.gather(
            *(_worker(client, plan, tally, measure_from, end) for _ in range(concurrency))
        )
    latencies = tally.latencies
    return {
        "mode": plan.mode,
        "concurrency": concurrency,
        "warmup_seconds": warmup,
        "measured_seconds": duration,
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / duration, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.50), 2) if latencies else None,
        "p90_ms": round(1000 * percentile(latencies, 0.90), 2) if latencies else None,
        "p99_ms": round(1000 * percentile(latencies, 0.99), 2) if latencies else None,
        "max_ms": round(1000 * max(latencies), 2) if latencies else None,
        "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
        "outcomes": dict(sorted(tally.outcomes.items())),
        "failures": tally.failures,
        "first_failure": tally.first_failure,
        "issued": plan.issued,  # requests sent, warm-up and the unmeasured tail included
        "latencies_ms": [round(1000 * seconds, 2) for seconds in latencies],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--mode", choices=("open", "update"), required=True)
    parser.add_argument("--prefix", required=True, help="account id prefix of this run")
    parser.add_argument("--accounts", type=int, default=0, help="update: accounts to re-report")
    parser.add_argument("--start", type=int, default=0, help="requests earlier slices sent")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args(argv)
    if args.mode == "update" and args.accounts < 1:
        parser.error("--mode update needs --accounts (how many an open run made)")
    plan = Plan(args.mode, args.prefix, args.accounts, args.start)
    # The bearer token comes in the environment, not on the command line other users can see.
    token = os.environ.get(TOKEN_VARIABLE, "")
    figures = asyncio.run(
        run_load(args.url, token, plan, args.concurrency, args.warmup, args.duration)
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
