"""The floor the single PUT is compared with: the least a delinquency intake must do.

Per request: validate a body like case-api's snapshot with pydantic, upsert one row into a bare
table, insert one outbox row, commit. Same stack as case-api where it matters (FastAPI,
uvicorn with one worker, SQLAlchemy 2 async Core over asyncpg, a pool of 10 + 10), without
authentication, personal-data encryption, the ORM, the ladder or the relay.

``python -m benchmarks.single_put.baseline --port P`` with ``BENCH_BASELINE_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import uvicorn
from fastapi import FastAPI, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SCHEMA = (
    """
    create table if not exists delinquency (
        account_id varchar(64) primary key,
        customer_id varchar(64) not null,
        as_of_date date not null,
        product varchar(64) not null,
        currency varchar(3) not null,
        principal numeric(20, 4) not null,
        interest numeric(20, 4) not null,
        fees numeric(20, 4) not null,
        penalties numeric(20, 4) not null,
        days_past_due integer not null,
        oldest_unpaid_due_date date,
        customer jsonb not null,
        updated_at timestamptz not null
    )
    """,
    """
    create table if not exists outbox (
        id bigserial primary key,
        event_id varchar(64) not null unique,
        topic varchar(255) not null,
        message_key varchar(255) not null,
        payload text not null,
        created_at timestamptz not null,
        published_at timestamptz
    )
    """,
)

_UPSERT = text(
    """
    insert into delinquency as d (account_id, customer_id, as_of_date, product, currency,
        principal, interest, fees, penalties, days_past_due, oldest_unpaid_due_date, customer,
        updated_at)
    values (:account_id, :customer_id, :as_of_date, :product, :currency, :principal,
        :interest, :fees, :penalties, :days_past_due, :oldest_unpaid_due_date,
        cast(:customer as jsonb), :now)
    on conflict (account_id) do update set
        customer_id = excluded.customer_id, as_of_date = excluded.as_of_date,
        product = excluded.product, principal = excluded.principal,
        interest = excluded.interest, fees = excluded.fees, penalties = excluded.penalties,
        days_past_due = excluded.days_past_due,
        oldest_unpaid_due_date = excluded.oldest_unpaid_due_date,
        customer = excluded.customer, updated_at = excluded.updated_at
    where d.as_of_date <= excluded.as_of_date
    returning (xmax = 0) as inserted
    """
)
_OUTBOX = text(
    "insert into outbox (event_id, topic, message_key, payload, created_at) "
    "values (:event_id, 'bench.case-events', :key, :payload, :now)"
)

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)
_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class Address(BaseModel):
    model_config = _STRICT
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class Customer(BaseModel):
    model_config = _STRICT
    customer_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: Address | None = None
    timezone: str | None = Field(default=None, max_length=64)
    preferred_language: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")


class Arrears(BaseModel):
    model_config = _STRICT
    principal: Decimal = Field(ge=0, lt=Decimal("1e15"))
    interest: Decimal = Field(ge=0, lt=Decimal("1e15"))
    fees: Decimal = Field(ge=0, lt=Decimal("1e15"))
    penalties: Decimal = Field(ge=0, lt=Decimal("1e15"))

    @field_validator("principal", "interest", "fees", "penalties", mode="before")
    @classmethod
    def _decimal_string(cls, value: object) -> object:
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise ValueError("amounts are plain decimal strings")
        return value


class Loan(BaseModel):
    model_config = _STRICT
    product: str = Field(min_length=1, max_length=64)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    arrears: Arrears
    days_past_due: int = Field(ge=0, le=36500)
    oldest_unpaid_due_date: date | None = None


class Snapshot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of_date: date
    customer: Customer
    loan: Loan


class Result(BaseModel):
    account_id: str
    outcome: Literal["opened", "updated", "stale"]
    event_id: str | None


AccountId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


def create_app() -> FastAPI:
    database_url = os.environ["BENCH_BASELINE_DATABASE_URL"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_async_engine(database_url, pool_size=10, max_overflow=10)
        app.state.engine = engine
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="single-PUT baseline", lifespan=lifespan)

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.put("/v1/accounts/{account_id}/delinquency", response_model=Result)
    async def put_delinquency(
        account_id: AccountId, snapshot: Snapshot, request: Request, response: Response
    ) -> Result:
        engine: AsyncEngine = request.app.state.engine
        return await _apply(engine, account_id, snapshot, response)

    return app


async def _apply(
    engine: AsyncEngine, account_id: str, snapshot: Snapshot, response: Response
) -> Result:
    now = datetime.now(UTC)
    loan = snapshot.loan
    async with engine.begin() as connection:
        inserted = (
            await connection.execute(
                _UPSERT,
                {
                    "account_id": account_id,
                    "customer_id": snapshot.customer.customer_id,
                    "as_of_date": snapshot.as_of_date,
                    "product": loan.product,
                    "currency": loan.currency,
                    "principal": loan.arrears.principal,
                    "interest": loan.arrears.interest,
                    "fees": loan.arrears.fees,
                    "penalties": loan.arrears.penalties,
                    "days_past_due": loan.days_past_due,
                    "oldest_unpaid_due_date": loan.oldest_unpaid_due_date,
                    "customer": snapshot.customer.model_dump_json(),
                    "now": now,
                },
            )
        ).scalar()
        if inserted is None:  # an older as-of date than the stored one: nothing written
            return Result(account_id=account_id, outcome="stale", event_id=None)
        event_id = str(uuid.uuid4())
        outcome: Literal["opened", "updated"] = "opened" if inserted else "updated"
        payload = {
            "id": event_id,
            "type": f"case.{outcome}",
            "subject": account_id,
            "data": {"as_of_date": snapshot.as_of_date.isoformat(), **loan.model_dump(mode="json")},
        }
        row = {"event_id": event_id, "key": account_id, "payload": json.dumps(payload), "now": now}
        await connection.execute(_OUTBOX, row)
    if inserted:
        response.status_code = 201
    return Result(account_id=account_id, outcome=outcome, event_id=event_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # The options case-api's ``serve`` uses, so the two servers differ only in the app.
    uvicorn.run(
        "benchmarks.single_put.baseline:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
