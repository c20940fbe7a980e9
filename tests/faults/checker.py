"""The independent checker: after a fault scenario, what the services stored and what the
topics hold must satisfy the invariants a bank relies on (docs/reliability.md).

It reads each service's database and the topics directly, never through the services' code,
so a bug in the code under test cannot hide itself here.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from doorstep_case_api.cases.handlers import HANDLED_STATUS_TYPES
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS, dead_letter_topic
from tests.support.kafka import Message, read_all

# The consumers of case events, by the service whose database keeps their inbox.
CASE_EVENT_CONSUMERS = {"notifier": "notifier-case-events", "scheduler": "scheduler-case-events"}
STATUS_WRITEBACK = "case-status-writeback"
NOTICE_SENT = "doorstep.notification.sent.v1"


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    cases: int = 0
    events_published: int = 0
    case_event_duplicates_in_transit: int = 0
    status_updates: int = 0
    notices_sent: int = 0
    dead_letters: int = 0

    def fail(self, message: str) -> None:
        self.violations.append(message)

    def assert_clean(self) -> None:
        shown = "\n".join(self.violations[:40])
        assert not self.violations, f"{len(self.violations)} invariant violations:\n{shown}"


@dataclass(frozen=True)
class Expectations:
    """What the scenario's driver knows it did."""

    # account id -> the principal arrears of the last snapshot case-api accepted for it.
    accepted: dict[str, Decimal]
    # Values of the messages the scenario put on a topic as poison on purpose.
    poison: frozenset[bytes] = frozenset()
    # Overdue notices sent per case, when the scenario makes that knowable (one per opening).
    notices_per_case: int | None = None


async def check(databases: dict[str, str], bootstrap: str, expected: Expectations) -> Report:
    """``databases``: SQLAlchemy URLs by service name (case-api, notifier, scheduler)."""
    report = Report()
    # Poison the scenario injected is not an event anyone wrote: only dead letters count it.
    case_events = [
        m for m in await read_all(bootstrap, CASE_EVENTS) if m.value not in expected.poison
    ]
    status_events = [
        m for m in await read_all(bootstrap, CASE_STATUS) if m.value not in expected.poison
    ]
    case_api = await _rows(databases["case-api"], _CASE_API_QUERIES)
    published = _check_case_api(case_api, case_events, expected, report)
    for service, consumer in CASE_EVENT_CONSUMERS.items():
        rows = await _rows(databases[service], _consumer_queries(consumer))
        _check_consumer(service, consumer, rows, published, case_api, report)
        if rows["unpublished"][0]["n"]:
            report.fail(f"{service}: {rows['unpublished'][0]['n']} outbox rows never published")
    notifier = await _rows(databases["notifier"], _NOTIFIER_QUERIES)
    _check_notices(notifier, expected, report)
    _check_status_writeback(case_api, status_events, report)
    await _check_dead_letters(bootstrap, expected, report)
    return report


_CASE_API_QUERIES = {
    "cases": "SELECT id, account_id, status, principal, last_sequence FROM collection_case",
    "outbox": "SELECT event_id, event_type, message_key, headers, published_at FROM outbox_message"
    " WHERE topic = :case_events",
    "unpublished": "SELECT count(*) AS n FROM outbox_message WHERE published_at IS NULL",
    "timeline": "SELECT event_id FROM timeline_entry",
    "writeback": "SELECT event_id FROM processed_event WHERE consumer = :writeback",
}

_NOTIFIER_QUERIES = {
    "notices": "SELECT id, case_id, kind, stage, status FROM notification",
    "messages": "SELECT notification_id FROM local_message",
    "sent_updates": "SELECT count(*) AS n FROM outbox_message WHERE event_type = :notice_sent",
}


def _consumer_queries(consumer: str) -> dict[str, str]:
    return {
        "inbox": "SELECT event_id, processed_at FROM processed_event WHERE consumer = "
        f"'{consumer}' ORDER BY processed_at",
        "views": "SELECT case_id, last_sequence FROM case_view",
        "unpublished": "SELECT count(*) AS n FROM outbox_message WHERE published_at IS NULL",
    }


async def _rows(url: str, queries: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    engine = create_async_engine(url)
    parameters = {
        "case_events": CASE_EVENTS,
        "writeback": STATUS_WRITEBACK,
        "notice_sent": NOTICE_SENT,
    }
    try:
        async with engine.connect() as conn:
            results = {}
            for name, sql in queries.items():
                statement = text(sql)
                wanted = {key: parameters[key] for key in statement.compile().params}
                rows = (await conn.execute(statement, wanted)).mappings().all()
                results[name] = [dict(row) for row in rows]
            return results
    finally:
        await engine.dispose()


def _case_id(value: Any) -> str:
    return str(uuid.UUID(str(value)))


@dataclass(frozen=True)
class PublishedEvent:
    event_id: str
    case_id: str
    sequence: int


def _check_case_api(
    rows: dict[str, list[dict[str, Any]]],
    topic: list[Message],
    expected: Expectations,
    report: Report,
) -> dict[str, PublishedEvent]:
    """Every accepted intake has one case reflecting it; no case without its events and no
    event without its case; the outbox drained; everything it holds reached the topic."""
    cases_by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in rows["cases"]:
        cases_by_account[case["account_id"]].append(case)
    report.cases = len(rows["cases"])
    for account, principal in expected.accepted.items():
        cases = cases_by_account.get(account, [])
        if len(cases) != 1:
            report.fail(f"account {account}: {len(cases)} cases for an accepted intake")
        elif Decimal(str(cases[0]["principal"])) != principal:
            report.fail(
                f"account {account}: case shows principal {cases[0]['principal']}, "
                f"the last accepted snapshot said {principal}"
            )
    unknown = set(cases_by_account) - set(expected.accepted)
    if unknown:
        report.fail(f"{len(unknown)} cases for accounts no accepted intake named")
    if rows["unpublished"][0]["n"]:
        report.fail(f"case-api: {rows['unpublished'][0]['n']} outbox rows never published")

    published: dict[str, PublishedEvent] = {}
    for row in rows["outbox"]:
        headers = dict(row["headers"]) if not isinstance(row["headers"], dict) else row["headers"]
        published[row["event_id"]] = PublishedEvent(
            row["event_id"], _case_id(row["message_key"]), int(headers["ce_sequence"])
        )
    report.events_published = len(published)
    sequences: dict[str, list[int]] = defaultdict(list)
    for event in published.values():
        sequences[event.case_id].append(event.sequence)
    for case in rows["cases"]:
        case_id = _case_id(case["id"])
        have = sorted(sequences.pop(case_id, []))
        if have != list(range(1, case["last_sequence"] + 1)):
            report.fail(
                f"case {case_id}: events with sequences {_span(have)}, the case is at "
                f"{case['last_sequence']}"
            )
    for case_id in sequences:
        report.fail(f"events for case {case_id}, which does not exist")

    on_topic = Counter(m.headers.get("ce_id") for m in topic)
    report.case_event_duplicates_in_transit = sum(n - 1 for n in on_topic.values())
    missing = [event_id for event_id in published if event_id not in on_topic]
    if missing:
        report.fail(f"{len(missing)} events acknowledged by case-api are not on {CASE_EVENTS}")
    phantom = [event_id for event_id in on_topic if event_id not in published]
    if phantom:
        report.fail(f"{len(phantom)} messages on {CASE_EVENTS} that case-api never wrote")
    return published


def _check_consumer(
    service: str,
    consumer: str,
    rows: dict[str, list[dict[str, Any]]],
    published: dict[str, PublishedEvent],
    case_api: dict[str, list[dict[str, Any]]],
    report: Report,
) -> None:
    """consumed ⊇ published, each case's events applied in sequence, views caught up."""
    claimed = [row["event_id"] for row in rows["inbox"]]
    missing = set(published) - set(claimed)
    if missing:
        report.fail(f"{service}: {len(missing)} published events never consumed")
    applied: dict[str, list[int]] = defaultdict(list)
    for event_id in claimed:  # in the order the consumer claimed them
        event = published.get(event_id)
        if event is not None:
            applied[event.case_id].append(event.sequence)
    for case_id, order in applied.items():
        if order != sorted(order) or len(set(order)) != len(order):
            report.fail(f"{service}: case {case_id} events applied in the order {order}")
    views = {_case_id(v["case_id"]): v["last_sequence"] for v in rows["views"]}
    for case in case_api["cases"]:
        case_id = _case_id(case["id"])
        if views.get(case_id) != case["last_sequence"]:
            report.fail(
                f"{service}: view of case {case_id} at {views.get(case_id)}, "
                f"case-api at {case['last_sequence']}"
            )


def _check_notices(
    rows: dict[str, list[dict[str, Any]]], expected: Expectations, report: Report
) -> None:
    """One notice per due notice: no case told twice about the same stage, one provider
    message and one status update per notice sent."""
    overdue = Counter(
        (_case_id(n["case_id"]), n["stage"]) for n in rows["notices"] if n["kind"] == "overdue"
    )
    for (case_id, stage), count in overdue.items():
        if count > 1:
            report.fail(f"case {case_id}: {count} overdue notices for stage {stage}")
    sent = [n for n in rows["notices"] if n["status"] == "sent"]
    report.notices_sent = len(sent)
    messages = Counter(_case_id(m["notification_id"]) for m in rows["messages"])
    for notice in sent:
        if messages.get(_case_id(notice["id"])) != 1:
            report.fail(f"notice {notice['id']}: {messages.get(_case_id(notice['id']), 0)} sends")
    if len(messages) != len(sent):
        report.fail(f"{len(messages)} provider messages for {len(sent)} notices sent")
    if rows["sent_updates"][0]["n"] != len(sent):
        report.fail(f"{rows['sent_updates'][0]['n']} sent updates for {len(sent)} notices sent")
    if expected.notices_per_case is not None:
        per_case = Counter(_case_id(n["case_id"]) for n in sent)
        wrong = {c: n for c, n in per_case.items() if n != expected.notices_per_case}
        if wrong or len(per_case) != len(expected.accepted):
            report.fail(
                f"notices sent to {len(per_case)} cases ({len(wrong)} with a count other than "
                f"{expected.notices_per_case}); {len(expected.accepted)} accounts were opened"
            )


def _check_status_writeback(
    case_api: dict[str, list[dict[str, Any]]], topic: list[Message], report: Report
) -> None:
    """One timeline entry per status update case-api takes."""
    updates = {m.headers.get("ce_id") for m in topic if m.headers.get("ce_type") in _WRITTEN}
    report.status_updates = len(updates)
    entries = Counter(row["event_id"] for row in case_api["timeline"])
    for event_id in updates:
        if entries.get(event_id) != 1:
            report.fail(f"status update {event_id}: {entries.get(event_id, 0)} timeline entries")
    claimed = {row["event_id"] for row in case_api["writeback"]}
    if updates - claimed:
        report.fail(f"case-api: {len(updates - claimed)} status updates never consumed")


_WRITTEN = frozenset(HANDLED_STATUS_TYPES)


async def _check_dead_letters(bootstrap: str, expected: Expectations, report: Report) -> None:
    """Dead-letter topics hold only the poison the scenario injected."""
    for topic in (CASE_EVENTS, CASE_STATUS):
        for message in await read_all(bootstrap, dead_letter_topic(topic), idle_ms=500):
            report.dead_letters += 1
            if message.value not in expected.poison:
                report.fail(
                    f"{dead_letter_topic(topic)} holds a message that was not injected poison "
                    f"(type {message.headers.get('ce_type')}, "
                    f"error {message.headers.get('dlq_error')})"
                )


def _span(values: list[int]) -> str:
    if len(values) > 6:
        return f"[{values[0]}..{values[-1]}] ({len(values)} of them)"
    return str(values)


async def settled(
    databases: dict[str, str],
    bootstrap: str,
    expected: Expectations,
    timeout: float,
    interval: float = 3.0,
) -> Report:
    """Check until the invariants hold (the services catch up after a fault) or ``timeout``
    passes; the last report either way, for the test to assert on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        report = await check(databases, bootstrap, expected)
        if not report.violations or loop.time() > deadline:
            return report
        await asyncio.sleep(interval)
