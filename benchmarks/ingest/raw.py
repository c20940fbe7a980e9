"""The raw rate: the same NDJSON into a bare table by the fastest plain route PostgreSQL has.

Per request-sized batch, on one asyncpg connection: parse each line (``json.loads``, dates and
Decimals), COPY the rows into a temporary staging table, then one ``INSERT ... SELECT ... ON
CONFLICT (account_id) DO UPDATE`` into the table, in one transaction. No validation, no
events, no cases: the floor the batch endpoint is measured against.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from benchmarks.ingest.records import Batch

SCHEMA = """
create table if not exists snapshot (
    account_id varchar(64) primary key,
    as_of_date date not null,
    customer_id varchar(64) not null,
    product varchar(64) not null,
    currency varchar(3) not null,
    principal numeric(20, 4) not null,
    interest numeric(20, 4) not null,
    fees numeric(20, 4) not null,
    penalties numeric(20, 4) not null,
    days_past_due integer not null,
    oldest_unpaid_due_date date,
    updated_at timestamptz not null
)
"""
COLUMNS = (
    "account_id",
    "as_of_date",
    "customer_id",
    "product",
    "currency",
    "principal",
    "interest",
    "fees",
    "penalties",
    "days_past_due",
    "oldest_unpaid_due_date",
    "updated_at",
)
_STAGING = "create temporary table staging (like snapshot) on commit delete rows"
_UPSERT = f"""
insert into snapshot ({", ".join(COLUMNS)})
select {", ".join(COLUMNS)} from staging
on conflict (account_id) do update set
    {", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])}
where snapshot.as_of_date <= excluded.as_of_date
"""


def _row(line: bytes, now: datetime) -> tuple[Any, ...]:
    record = json.loads(line)
    loan = record["loan"]
    arrears = loan["arrears"]
    oldest = loan.get("oldest_unpaid_due_date")
    return (
        record["account_id"],
        date.fromisoformat(record["as_of_date"]),
        record["customer"]["customer_id"],
        loan["product"],
        loan["currency"],
        Decimal(arrears["principal"]),
        Decimal(arrears["interest"]),
        Decimal(arrears["fees"]),
        Decimal(arrears["penalties"]),
        int(loan["days_past_due"]),
        date.fromisoformat(oldest) if oldest else None,
        now,
    )


async def create_schema(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(SCHEMA)
    finally:
        await connection.close()


async def load(dsn: str, batches: list[Batch], concurrency: int) -> dict[str, Any]:
    """Every batch through COPY + upsert, ``concurrency`` connections taking the next batch."""
    queue: asyncio.Queue[Batch] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    seconds: list[float] = []
    written = 0

    async def worker() -> None:
        nonlocal written
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(_STAGING)
            while not queue.empty():
                batch = queue.get_nowait()
                started = time.perf_counter()
                now = datetime.now(UTC)
                rows = [_row(line, now) for line in batch]
                async with connection.transaction():
                    await connection.copy_records_to_table("staging", records=rows, columns=COLUMNS)
                    status = await connection.execute(_UPSERT)
                written += int(status.split()[-1])
                seconds.append(time.perf_counter() - started)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    records = sum(len(batch) for batch in batches)
    return {
        "records": records,
        "rows_written": written,
        "seconds": round(elapsed, 3),
        "records_per_second": round(records / elapsed, 1),
        "request_seconds_max": round(max(seconds), 3),
    }
