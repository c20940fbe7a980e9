"""Watching the pipeline from the services' databases (read-only SQL).

The figures come from case-api's ``timeline_entry``: ``recorded_at`` is set by the status
consumer when it writes the notice's outcome, in the transaction that commits it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from benchmarks.common import asyncpg_dsn
from doorstep_shared.events.contracts import (
    NotificationDeferred,
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
)
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS

# A notice's final outcome on the timeline (deferred is not final: the notice still waits).
OUTCOME_TYPES = [
    NotificationSent.event_type,
    NotificationFailed.event_type,
    NotificationSuppressed.event_type,
]
WAITING_TYPE = NotificationDeferred.event_type
CASE_EVENT_CONSUMERS = {"notifier": "notifier-case-events", "scheduler": "scheduler-case-events"}
STATUS_CONSUMER = "case-status-writeback"


POLL_ROWS = 5_000


@dataclass(frozen=True)
class Progress:
    outcomes: Counter[str]
    deferred: int
    last_recorded_at: datetime | None

    @property
    def finished(self) -> int:
        return sum(self.outcomes.values())


@dataclass
class OutcomeTally:
    """Notice outcomes on timelines after entry ``last_id``, counted as they are read."""

    last_id: int
    outcomes: Counter[str] = field(default_factory=Counter)
    deferred: int = 0
    last_recorded_at: datetime | None = None

    def add(self, event_type: str, recorded_at: datetime) -> None:
        if event_type == WAITING_TYPE:
            self.deferred += 1
        elif event_type in OUTCOME_TYPES:
            self.outcomes[event_type.split(".")[2]] += 1
            if self.last_recorded_at is None or recorded_at > self.last_recorded_at:
                self.last_recorded_at = recorded_at

    def progress(self) -> Progress:
        return Progress(Counter(self.outcomes), self.deferred, self.last_recorded_at)


class Databases:
    """One connection to each service's database."""

    def __init__(self, names: dict[str, str]) -> None:
        self._names = names
        self._connections: dict[str, asyncpg.Connection] = {}

    async def open(self) -> None:
        for service, database in self._names.items():
            self._connections[service] = await asyncpg.connect(asyncpg_dsn(database))

    async def close(self) -> None:
        for connection in self._connections.values():
            await connection.close()
        self._connections.clear()

    @property
    def names(self) -> dict[str, str]:
        return dict(self._names)

    def __getitem__(self, service: str) -> asyncpg.Connection:
        return self._connections[service]

    async def timeline_mark(self) -> int:
        """The newest timeline entry id: a phase counts only entries after it."""
        return int(
            await self["case-api"].fetchval("select coalesce(max(id), 0) from timeline_entry")
        )

    async def progress(self, tally: OutcomeTally) -> Progress:
        """Bring ``tally`` up to date with the timeline entries written since it last looked.

        Reads only the new rows, in id order through the primary key, so polling stays cheap
        however long the timeline grows (a filter on event_type alone is a sequential scan,
        and would load PostgreSQL more the longer the run)."""
        while True:
            rows = await self["case-api"].fetch(
                "select id, event_type, recorded_at from timeline_entry where id > $1"
                " order by id limit $2",
                tally.last_id,
                POLL_ROWS,
            )
            for row in rows:
                tally.add(row["event_type"], row["recorded_at"])
            if rows:
                tally.last_id = int(rows[-1]["id"])
            if len(rows) < POLL_ROWS:
                return tally.progress()

    async def outcome_times(self, account_prefix: str) -> dict[str, datetime]:
        """When the first outcome of each account's notice reached its case timeline."""
        rows = await self["case-api"].fetch(
            "select c.account_id, min(t.recorded_at) as at from timeline_entry t"
            " join collection_case c on c.id = t.case_id"
            " where c.account_id like $1 and t.event_type = any($2::text[])"
            " group by c.account_id",
            account_prefix + "-%",
            OUTCOME_TYPES,
        )
        return {row["account_id"]: row["at"] for row in rows}

    async def backlog(self) -> dict[str, int]:
        """Work still in flight anywhere: unpublished outbox rows and events not yet consumed.
        All zero means the pipeline is idle."""
        case_api = self["case-api"]
        waiting = {
            f"{service}_outbox_unpublished": int(
                await self[service].fetchval(
                    "select count(*) from outbox_message where published_at is null"
                )
            )
            for service in self._connections
        }
        case_events = int(
            await case_api.fetchval(
                "select count(*) from outbox_message where topic = $1", CASE_EVENTS
            )
        )
        for service, consumer in CASE_EVENT_CONSUMERS.items():
            consumed = await _consumed(self[service], consumer)
            waiting[f"{service}_case_events_unconsumed"] = case_events - consumed
        statuses = 0
        for service in CASE_EVENT_CONSUMERS:
            statuses += int(
                await self[service].fetchval(
                    "select count(*) from outbox_message where topic = $1", CASE_STATUS
                )
            )
        waiting["case_api_status_unconsumed"] = statuses - await _consumed(
            case_api, STATUS_CONSUMER
        )
        return waiting

    async def events_published(self) -> Counter[str]:
        """Outbox rows so far by service and event type (published or not)."""
        counts: Counter[str] = Counter()
        for service, connection in self._connections.items():
            rows = await connection.fetch(
                "select event_type, count(*) as n from outbox_message group by event_type"
            )
            for row in rows:
                counts[f"{service} {row['event_type']}"] = int(row["n"])
        return counts

    async def case_event_size(self) -> tuple[int, int]:
        """Average value and header bytes of case-api's case events (the baseline's size)."""
        row = await self["case-api"].fetchrow(
            "select avg(octet_length(payload)) as value, avg(octet_length(headers::text)) as"
            " headers from outbox_message where topic = $1",
            CASE_EVENTS,
        )
        if row is None or row["value"] is None:
            return 600, 300
        return int(row["value"]), int(row["headers"])


async def _consumed(connection: asyncpg.Connection, consumer: str) -> int:
    return int(
        await connection.fetchval(
            "select count(*) from processed_event where consumer = $1", consumer
        )
    )


DATABASE_COUNTERS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_fetched")


async def database_counters(databases: Databases) -> dict[str, Any]:
    """PostgreSQL's own counters for each service's database: transactions and rows, and per
    table the sequential scans (a table read whole each time would not scale). Backends report
    them within a second or so of a transaction's end: read them after the pipeline settled."""
    counters: dict[str, Any] = {}
    for service, database in databases.names.items():
        connection = databases[service]
        row = await connection.fetchrow(
            f"select {', '.join(DATABASE_COUNTERS)} from pg_stat_database where datname = $1",
            database,
        )
        tables = await connection.fetch(
            "select relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) as idx_scan"
            " from pg_stat_user_tables"
        )
        counters[service] = {
            **{name: int(row[name]) for name in DATABASE_COUNTERS},
            "tables": {
                t["relname"]: (int(t["seq_scan"]), int(t["seq_tup_read"]), int(t["idx_scan"]))
                for t in tables
            },
        }
    return counters


def counters_per_account(
    before: dict[str, Any], after: dict[str, Any], accounts: int, top: int = 3
) -> dict[str, Any]:
    """What one account cost each database: transactions, rows written and read, and the
    tables most read by sequential scans (rows per account)."""
    if not accounts:
        return {}
    result: dict[str, Any] = {}
    for service, now in after.items():
        then = before[service]
        per = {name: round((now[name] - then[name]) / accounts, 2) for name in DATABASE_COUNTERS}
        scans = []
        for table, (seq, read, index) in now["tables"].items():
            seq0, read0, index0 = then["tables"].get(table, (0, 0, 0))
            if read - read0 > 0:
                scans.append(
                    {
                        "table": table,
                        "seq_scans_per_account": round((seq - seq0) / accounts, 2),
                        "rows_read_per_account": round((read - read0) / accounts, 1),
                        "index_scans_per_account": round((index - index0) / accounts, 2),
                    }
                )
        scans.sort(key=lambda scan: -float(scan["rows_read_per_account"]))
        result[service] = {**per, "most_sequentially_read_tables": scans[:top]}
    return result
