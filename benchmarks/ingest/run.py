"""Entry point: ``python -m benchmarks.ingest.run [--records 100000] [--per-request 10000]``.

The nightly feed through ``POST /v1/delinquency-batches`` on the real case-api (``serve`` on a
scratch PostgreSQL database, a local broker for its outbox relay, a JWT with accounts:write),
against the raw rate (``raw``: the same NDJSON, COPY into a staging table and one upsert into
a bare table) on another scratch database of the same PostgreSQL, in the same run. Two loads
of the same accounts:

* first: every account is new, so every record opens a case;
* second: the next day's feed, one day later with changed amounts, so every case updates
  (the nightly feed's common case).

Each load sends its requests one after another (``--concurrency``), but starts none that
would end after ``--load-seconds``: a slow endpoint is measured on fewer records instead of for
longer (the result says how many; the first request always goes). Then it waits for the relay
to publish the outbox, so the backlog does not weigh on the next measurement, checks what
case-api stored against what was sent, and runs the raw path on exactly the same batches
``--raw-repeats`` times (the median counts: it is short, so one spike on the machine would
otherwise decide it). Target: the endpoint at 40 % or more of the raw records/s. Writes
``benchmarks/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.common import (
    BENCH_DATE,
    asyncpg_dsn,
    create_database,
    drop_database,
    load_average,
    process_cpu_seconds,
    running_case_api,
    source_revision,
    wait_outbox_drained,
    write_result,
)
from benchmarks.ingest import raw
from benchmarks.ingest.client import post_batches
from benchmarks.ingest.records import Batch, feed

TARGET = 0.40  # the endpoint's records/s as a share of the raw rate, from the issue
RESULT_NAME = "ingest"
PREFIX = "FEED"
LOADS = (("first", 0, "every account new: cases open"), ("second", 1, "next day: cases update"))


async def _raw_once(dsn: str, loads: list[list[Batch]], concurrency: int) -> dict[str, Any]:
    """A fresh table, the earlier loads untimed, then the last one timed."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("truncate snapshot")
    finally:
        await connection.close()
    for earlier in loads[:-1]:
        await raw.load(dsn, earlier, concurrency)
    return await raw.load(dsn, loads[-1], concurrency)


def measure_raw(
    dsn: str, loads: list[list[Batch]], concurrency: int, repeats: int
) -> dict[str, Any]:
    runs = [asyncio.run(_raw_once(dsn, loads, concurrency)) for _ in range(repeats)]
    median = statistics.median(run["records_per_second"] for run in runs)
    chosen = min(runs, key=lambda run: abs(run["records_per_second"] - median))
    return {**chosen, "repeats_records_per_second": [r["records_per_second"] for r in runs]}


def _as_of(revision: int) -> date:
    return BENCH_DATE + timedelta(days=revision)


async def _case_api_counts(database: str, revision: int) -> dict[str, int]:
    """What case-api holds for the feed's accounts after a load, and its outbox size."""
    connection = await asyncpg.connect(asyncpg_dsn(database))
    try:
        row = await connection.fetchrow(
            "select count(*) filter (where status = 'open') as open_cases,"
            " count(*) filter (where status = 'open' and as_of_date = $2) as at_as_of_date"
            " from collection_case where account_id like $1",
            f"{PREFIX}-%",
            _as_of(revision),
        )
        outbox = await connection.fetchval("select count(*) from outbox_message")
        return {
            "open_cases": row["open_cases"],
            "at_as_of_date": row["at_as_of_date"],
            "outbox_rows_total": outbox,
        }
    finally:
        await connection.close()


async def _raw_count(dsn: str, revision: int) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        query = "select count(*) from snapshot where as_of_date = $1"
        return int(await connection.fetchval(query, _as_of(revision)))
    finally:
        await connection.close()


def run(args: argparse.Namespace, work_dir: Path, case_db: str, raw_db: str) -> int:
    started = time.perf_counter()
    first = feed(PREFIX, args.records, args.per_request, revision=0)
    print(
        f"ingest: {args.records} records in requests of {args.per_request}, "
        f"{sum(len(line) for line in first[0]) / len(first[0]):.0f} bytes a record, "
        f"built in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    feeds = [first]
    raw_dsn = asyncpg_dsn(raw_db)
    asyncio.run(raw.create_schema(raw_dsn))
    rows: list[dict[str, Any]] = []
    run_id = f"{int(time.time())}"
    load_before = load_average()
    available = len(feeds[0])  # the second load re-reports only what the first one sent
    with running_case_api(work_dir, case_db) as case_api:
        outbox_before = 0
        for number, (name, revision, what) in enumerate(LOADS):
            if number == len(feeds):
                # Later loads re-report only the accounts the first one sent: build just those.
                sent = min(args.records, available * args.per_request)
                feeds.append(feed(PREFIX, sent, args.per_request, revision))
            cpu_before = process_cpu_seconds(case_api.pid)
            endpoint = asyncio.run(
                post_batches(
                    case_api.url,
                    case_api.token,
                    feeds[number][:available],
                    f"bench-{run_id}-{name}",
                    args.concurrency,
                    args.load_seconds,
                )
            )
            available = endpoint["requests"]
            drained, left = asyncio.run(wait_outbox_drained(case_db, args.drain_limit))
            counts = asyncio.run(_case_api_counts(case_db, revision))
            endpoint["outbox_rows"] = counts.pop("outbox_rows_total") - outbox_before
            outbox_before += endpoint["outbox_rows"]
            endpoint["outbox_drain_seconds_after"] = round(drained, 2)
            endpoint["outbox_left_unpublished"] = left
            endpoint["stored"] = counts
            cpu_after = process_cpu_seconds(case_api.pid)
            if cpu_before is not None and cpu_after is not None:
                # The relay's publishing of this load's events included.
                cpu_ms = 1000 * (cpu_after - cpu_before) / endpoint["records"]
                endpoint["server_cpu_ms_per_record"] = round(cpu_ms, 3)
            print(f"  endpoint {name:<6} {_brief(endpoint)}", flush=True)
            # The raw path gets exactly the batches the endpoint got.
            measured = [earlier[:available] for earlier in feeds[: number + 1]]
            baseline = measure_raw(raw_dsn, measured, args.concurrency, args.raw_repeats)
            baseline["rows_at_as_of_date"] = asyncio.run(_raw_count(raw_dsn, revision))
            print(f"  raw      {name:<6} {_brief(baseline)}", flush=True)
            ratio = round(endpoint["records_per_second"] / baseline["records_per_second"], 4)
            rows.append(
                {
                    "load": name,
                    "what": what,
                    "endpoint": endpoint,
                    "raw": baseline,
                    "ratio": ratio,
                    "target_met": ratio >= TARGET,
                    "stored_as_sent": counts["at_as_of_date"] == endpoint["records"]
                    and baseline["rows_at_as_of_date"] == endpoint["records"]
                    and endpoint["results"] == {"applied": endpoint["records"]},
                }
            )
    wrong = [row["load"] for row in rows if not row["stored_as_sent"]]
    figures = {
        "endpoint": "POST /v1/delinquency-batches (application/x-ndjson, streamed)",
        "target": f"endpoint >= {TARGET:.0%} of the raw records/s",
        "settings": {
            "records": args.records,
            "records_per_request": args.per_request,
            "concurrent_requests": args.concurrency,
            "load_seconds_budget": args.load_seconds,
            "raw_repeats": args.raw_repeats,
            "case_api": "doorstep_case_api.cli serve (uvicorn, one worker) on a scratch "
            "PostgreSQL database, local broker, bearer JWT with accounts:write, daily "
            "evaluation job off; the relay's drain is waited for after each load",
            "raw": "benchmarks/ingest/raw.py: json.loads per line, asyncpg COPY into a temporary "
            "staging table, INSERT ... SELECT ... ON CONFLICT (account_id) DO UPDATE into a bare "
            "table, one transaction per request-sized batch; same PostgreSQL, same batches",
        },
        "machine_load_average_before_after": [load_before, load_average()],
        "source": source_revision(),
        "loads": rows,
        "target_met": all(row["target_met"] for row in rows),
    }
    if wrong:
        print(json.dumps(figures, indent=2))
        print(f"ingest: what was stored does not match what was sent ({wrong}); no result written")
        return 1
    path = write_result(RESULT_NAME, figures)
    summary = " | ".join(
        f"{row['load']} load ({row['what']}, {row['endpoint']['records']} records): endpoint "
        f"{row['endpoint']['records_per_second']} records/s vs raw "
        f"{row['raw']['records_per_second']} = {row['ratio']:.1%}"
        for row in rows
    )
    met = "met" if figures["target_met"] else "NOT met"
    print(f"ingest: {summary} | target {TARGET:.0%}: {met} -> {path}", flush=True)
    return 0


def _brief(figures: dict[str, Any]) -> str:
    text = f"{figures['records_per_second']:9.1f} records/s in {figures['seconds']} s"
    for key in ("repeats_records_per_second", "results", "outcomes", "rejection_types"):
        if figures.get(key):
            text += f"  {key} {figures[key]}"
    if figures.get("server_cpu_ms_per_record"):
        text += f"  server CPU {figures['server_cpu_ms_per_record']} ms/record"
    if "outbox_rows" in figures:
        text += (
            f"  outbox {figures['outbox_rows']} rows, drained "
            f"{figures['outbox_drain_seconds_after']} s after; stored {figures['stored']}"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--per-request", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=1, help="requests at a time")
    parser.add_argument("--raw-repeats", type=int, default=3)
    parser.add_argument("--drain-limit", type=float, default=300.0, help="seconds")
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=90.0,
        help="per load: no request starts that would end after this (at the mean time of "
        "the ones before); a slow endpoint is measured on fewer records, not for longer",
    )
    args = parser.parse_args(argv)

    work_dir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    case_db = asyncio.run(create_database("bench_ingest_case_api"))
    raw_db = asyncio.run(create_database("bench_ingest_raw"))
    status = 1
    try:
        status = run(args, work_dir, case_db, raw_db)
        return status
    finally:
        asyncio.run(drop_database(case_db))
        asyncio.run(drop_database(raw_db))
        if status:
            print(f"server logs kept in {work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
