"""``outbox`` and ``lag``: how far behind the relay and the consumers are, with a limit."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from sqlalchemy import Table

from doorstep_shared.clock import utc_now
from doorstep_shared.operations import exit_codes
from doorstep_shared.operations.backlog import reading_engine, unpublished_outbox
from doorstep_shared.operations.broker import connect
from doorstep_shared.operations.consumer_groups import ConsumerGroup
from doorstep_shared.operations.lag import consumer_lag, group_totals, largest_lag
from doorstep_shared.operations.output import json_lines, note, table
from doorstep_shared.settings import ServiceSettings

LAG_COLUMNS = ("GROUP", "TOPIC", "PARTITION", "COMMITTED", "BEGINNING", "END", "LAG")


async def run_outbox(args: argparse.Namespace, database_url: str, outbox: Table) -> int:
    engine = reading_engine(database_url)
    try:
        async with engine.connect() as conn:
            backlog = await unpublished_outbox(conn, outbox)
    finally:
        await engine.dispose()
    age = backlog.oldest_age(utc_now())
    age_seconds = None if age is None else round(age.total_seconds(), 3)
    if args.json:
        json_lines(
            [
                {
                    "unpublished": backlog.unpublished,
                    "oldest_created_at": backlog.oldest_created_at,
                    "oldest_age_seconds": age_seconds,
                    "by_event_type": backlog.by_event_type,
                }
            ]
        )
    else:
        print(f"unpublished: {backlog.unpublished}")
        if backlog.oldest_created_at is not None:
            print(f"oldest: {backlog.oldest_created_at.isoformat()} ({age_seconds} s old)")
        table(("EVENT_TYPE", "UNPUBLISHED"), sorted(backlog.by_event_type.items()))
    if args.max_age is not None and age is not None and age.total_seconds() > args.max_age:
        note(f"outbox: the oldest unpublished row is {age_seconds} s old, over --max-age")
        return exit_codes.LIMIT_EXCEEDED
    return exit_codes.OK


async def run_lag(
    args: argparse.Namespace, settings: ServiceSettings, groups: Sequence[ConsumerGroup]
) -> int:
    async with connect(settings) as broker:
        lags = await consumer_lag(broker, groups)
    if args.json:
        json_lines(lag.describe() for lag in lags)
    else:
        table(
            LAG_COLUMNS,
            (
                (
                    lag.group_id,
                    lag.topic,
                    lag.partition,
                    lag.committed,
                    lag.beginning,
                    lag.end,
                    lag.lag,
                )
                for lag in lags
            ),
        )
        for group, total in group_totals(lags).items():
            print(f"{group}: total lag {total}")
    largest = largest_lag(lags)
    if args.max_lag is not None and largest > args.max_lag:
        note(f"lag: {largest} records on one partition, over --max-lag {args.max_lag}")
        return exit_codes.LIMIT_EXCEEDED
    return exit_codes.OK
