"""Faults the foundation must survive: a killed consumer, a broker outage, poison messages."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import asyncpg
import httpx
import pytest

from doorstep_local.stack import Stack
from doorstep_shared.events.topics import CASE_EVENTS, dead_letter_topic
from tests.e2e.conftest import eventually, run_async, timeline_types, unique_account
from tests.e2e.snapshots import overdue
from tests.support.kafka import produce_raw, read_all

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.kafka]

ACCOUNTS = 1000


async def _put_many(
    base_url: str, accounts: list[str], first_marker: int, headers: dict[str, str]
) -> None:
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, limits=limits, headers=headers
    ) as client:
        semaphore = asyncio.Semaphore(16)

        async def put(index: int, account: str) -> None:
            async with semaphore:
                response = await client.put(
                    f"/v1/accounts/{account}/delinquency",
                    json=overdue(first_marker + index, 12),
                )
                assert response.status_code == 201, response.text

        await asyncio.gather(*(put(i, a) for i, a in enumerate(accounts)))


async def _notice_counts(database_url: str) -> tuple[int, int, int]:
    """(notifications sent, distinct cases with a sent notice, local messages recorded)."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        sent = await conn.fetchval("SELECT count(*) FROM notification WHERE status = 'sent'")
        cases = await conn.fetchval(
            "SELECT count(DISTINCT case_id) FROM notification WHERE status = 'sent'"
        )
        recorded = await conn.fetchval("SELECT count(*) FROM local_message")
    finally:
        await conn.close()
    return int(sent), int(cases), int(recorded)


def test_kill_9_notifier_during_1000_accounts_gives_exactly_1000_notices(
    postgres_stack: Stack,
) -> None:
    stack = postgres_stack
    notifier_db = stack.extra_env["NOTIFIER_DATABASE_URL"]
    accounts = [unique_account() for _ in range(ACCOUNTS)]
    writer = asyncio.new_event_loop()
    try:
        feed = writer.create_task(
            _put_many(stack.url("case-api"), accounts, 10_000, stack.operator_headers)
        )
        # Let the notifier get part-way, then kill it without warning.
        deadline = time.monotonic() + 120
        while run_async(_notice_counts(notifier_db))[0] < 150:
            writer.run_until_complete(asyncio.sleep(0.2))
            assert time.monotonic() < deadline, "notifier made no progress"
        stack.kill_service("notifier")
        writer.run_until_complete(feed)
    finally:
        writer.close()
    killed_at = run_async(_notice_counts(notifier_db))[0]
    assert killed_at < ACCOUNTS, "the kill came too late to prove anything"

    stack.start_service("notifier")
    stack.wait_ready(["notifier"])
    eventually(
        lambda: run_async(_notice_counts(notifier_db))[0] >= ACCOUNTS,
        timeout=240,
        what="all notices after the restart",
        interval=1,
    )
    time.sleep(3)  # anything duplicated would arrive now
    sent, cases, recorded = run_async(_notice_counts(notifier_db))
    assert (sent, cases, recorded) == (ACCOUNTS, ACCOUNTS, ACCOUNTS)

    statuses = run_async(read_all(stack.broker.bootstrap_servers, "doorstep.case-status.v1"))
    notified_cases = {
        m.headers["ce_subject"]
        for m in statuses
        if m.headers.get("ce_type") == "doorstep.notification.sent.v1"
    }
    assert len(notified_cases) == ACCOUNTS


def test_broker_outage_during_intake_loses_no_event(sqlite_stack: Stack) -> None:
    """The broker goes away while case-api takes writes, then comes back.

    The local broker keeps its log in memory only, so killing it would also lose messages it
    had acknowledged, which a restarted Kafka broker never does. Freezing its process
    (SIGSTOP) makes it unreachable exactly like a broker that is down, while its log survives
    as Kafka's would. tests/shared/test_outbox_relay.py stops and restarts the process itself.
    """
    stack = sqlite_stack
    with httpx.Client(
        base_url=stack.url("case-api"), timeout=10, headers=stack.operator_headers
    ) as client:
        before = [_open(client, 20_000 + i) for i in range(20)]
        eventually(
            lambda: all(_notified(client, case) for case in before),
            timeout=60,
            what="notices before the outage",
        )
        stack.broker.pause()
        try:
            during = [_open(client, 20_100 + i) for i in range(20)]  # intake keeps accepting
            eventually(
                lambda: client.get("/readyz").status_code == 503,
                timeout=30,
                what="readiness to report the broker outage",
            )
            time.sleep(5)  # publishes time out and wait in the outbox
            assert _unpublished(stack) > 0
        finally:
            stack.broker.resume()
        eventually(
            lambda: all(_notified(client, case) for case in during),
            timeout=180,
            what="every event written during the outage to be delivered and acted on",
            interval=1,
        )
        eventually(lambda: _unpublished(stack) == 0, timeout=30, what="the outbox drained")
        assert client.get("/readyz").status_code == 200
        for case in before + during:
            assert timeline_types(client, case).count("doorstep.notification.sent.v1") == 1


def _unpublished(stack: Stack) -> int:
    database = stack.var_dir / "case_api.db"
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT count(*) FROM outbox_message WHERE published_at IS NULL")
        return int(row.fetchone()[0])


def _open(client: httpx.Client, marker: int) -> str:
    response = client.put(f"/v1/accounts/{unique_account()}/delinquency", json=overdue(marker, 12))
    assert response.status_code == 201, response.text
    return str(response.json()["case"]["id"])


def _notified(client: httpx.Client, case_id: str) -> bool:
    return "doorstep.notification.sent.v1" in timeline_types(client, case_id)


def test_poison_message_is_dead_lettered_and_later_events_still_flow(sqlite_stack: Stack) -> None:
    stack = sqlite_stack
    bootstrap = stack.broker.bootstrap_servers
    run_async(produce_raw(bootstrap, CASE_EVENTS, b"\x00 not an event", key=b"poison"))
    with httpx.Client(
        base_url=stack.url("case-api"), timeout=10, headers=stack.operator_headers
    ) as client:
        case_id = _open(client, 30_000)
        eventually(lambda: _notified(client, case_id), timeout=60, what="the next event handled")

    def dead_letters() -> list[dict[str, str]]:
        messages = run_async(read_all(bootstrap, dead_letter_topic(CASE_EVENTS)))
        return [m.headers for m in messages if m.value == b"\x00 not an event"]

    eventually(lambda: len(dead_letters()) >= 2, timeout=30, what="poison in the dead-letter topic")
    groups = {headers["dlq_consumer_group"] for headers in dead_letters()}
    assert groups == {"doorstep-notifier", "doorstep-scheduler"}
    for headers in dead_letters():
        assert headers["dlq_original_topic"] == CASE_EVENTS
        assert headers["dlq_error"]
