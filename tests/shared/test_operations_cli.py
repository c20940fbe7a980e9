"""The operator commands for faults, run through the services' CLIs on the real broker and
databases: ``dead-letters list|replay``, ``outbox`` and ``lag``."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import insert

from doorstep_case_api.cli import main as case_api_main
from doorstep_case_api.db import outbox_table
from doorstep_local.broker import free_port
from doorstep_notifier.cli import main as notifier_main
from doorstep_shared.clock import utc_now
from doorstep_shared.db.engine import create_engine
from doorstep_shared.events.contracts import EventData, to_envelope
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.events.topics import CASE_STATUS, dead_letter_topic
from doorstep_shared.messaging.consumer import EventConsumer, Handler, PermanentEventError
from doorstep_shared.settings import ServiceSettings
from tests.support.events import case_opened
from tests.support.infra import wait_until
from tests.support.kafka import Message, produce_raw

DLQ = dead_letter_topic(CASE_STATUS)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@dataclass
class Cli:
    """A service's CLI as a shell runs it: its own event loop, settings from the environment."""

    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def env(self, **values: str) -> None:
        for name, value in values.items():
            self.monkeypatch.setenv(name, value)

    async def __call__(self, main: Callable[[list[str]], int], *argv: str) -> Run:
        self.capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    runner = Cli(monkeypatch, capsys)
    runner.env(CASE_API_KAFKA_SEND_TIMEOUT_SECONDS="5", NOTIFIER_KAFKA_SEND_TIMEOUT_SECONDS="5")
    return runner


def new_group() -> str:
    return f"test-ops-{uuid.uuid4().hex[:10]}"


def settings(bootstrap: str) -> ServiceSettings:
    return ServiceSettings(database_url="unused", kafka_bootstrap_servers=bootstrap)


async def offsets(bootstrap: str, topic: str) -> tuple[dict[int, int], dict[int, int]]:
    """Beginning and end offsets of each partition, seen independently of the commands."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        beginning = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return {tp.partition: o for tp, o in beginning.items()}, {
        tp.partition: o for tp, o in end.items()
    }


async def commit(bootstrap: str, group: str, topic: str, at: dict[int, int]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        tps = {TopicPartition(topic, p): o for p, o in at.items()}
        consumer.assign(list(tps))
        await consumer.commit(tps)
    finally:
        await consumer.stop()


async def committed(bootstrap: str, group: str, tp: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()  # not subscribed: it asks the coordinator, it does not join
    try:
        return await consumer.committed(tp)
    finally:
        await consumer.stop()


async def start_group_at_end(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Commit ``group`` at the topic's end, so it sees only what a test publishes next."""
    _, end = await offsets(bootstrap, topic)
    await commit(bootstrap, group, topic, end)
    return end


async def read_from(bootstrap: str, topic: str, start: dict[int, int]) -> list[Message]:
    """Every message of ``topic`` from the ``start`` offsets to the current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    messages: list[Message] = []
    try:
        tps = [TopicPartition(topic, p) for p in start]
        end = await consumer.end_offsets(tps)
        todo = [tp for tp in tps if end[tp] > start[tp.partition]]
        if not todo:
            return []
        consumer.assign(todo)
        for tp in todo:
            consumer.seek(tp, start[tp.partition])
        for _ in range(30):
            if all([await consumer.position(tp) >= end[tp] for tp in todo]):
                break
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                messages.extend(
                    Message(r.topic, r.partition, r.offset, r.key, r.value, _text(r.headers))
                    for r in records
                    if r.offset < end[TopicPartition(r.topic, r.partition)]
                )
        else:
            raise AssertionError(f"could not read {topic} to its end")
    finally:
        await consumer.stop()
    return messages


def _text(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode() for name, value in headers}


async def publish(bootstrap: str, topic: str, envelope: EventEnvelope) -> None:
    await produce_raw(
        bootstrap,
        topic,
        envelope.kafka_value(),
        key=envelope.subject.encode(),
        headers=envelope.kafka_headers(),
    )


@asynccontextmanager
async def running(consumer: EventConsumer) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def until(task: asyncio.Task[None], done: Callable[[], Awaitable[bool]], what: str) -> None:
    async def reached() -> bool:
        if task.done():
            task.result()  # a crashed consumer fails the test now, not at the timeout
        return await done()

    await wait_until(reached, message=what)


def consumer_of(bootstrap: str, group: str, handler: Handler) -> EventConsumer:
    return EventConsumer(
        settings(bootstrap),
        topics=(CASE_STATUS,),
        group_id=group,
        client_id="test-ops",
        handler=handler,
    )


@dataclass
class DeadLettered:
    group: str
    envelope: EventEnvelope
    marker: str
    consumer: asyncio.Task[None]
    fixed: bool = False  # set it to deploy the fix: the handler then takes the event
    handled: list[str] = field(default_factory=list)


@pytest.fixture
async def dead_lettered(kafka_bootstrap: str, cli: Cli) -> AsyncIterator[DeadLettered]:
    """An event that case-api's status consumer group could not handle, dead-lettered by a real
    EventConsumer of that group, which keeps running (the handler refused it for good)."""
    group = new_group()
    await start_group_at_end(kafka_bootstrap, group, CASE_STATUS)
    marker = f"MARKER{uuid.uuid4().hex[:8]}"
    envelope = to_envelope(case_opened(uuid.uuid4(), product=f"loan-{marker}"), "urn:test", 1)

    async def handler(received: EventEnvelope, _data: EventData) -> bool:
        if not state.fixed:
            raise PermanentEventError("refused by the handler under test")
        state.handled.append(received.id)
        return True

    consumer = consumer_of(kafka_bootstrap, group, handler)
    async with running(consumer) as task:
        state = DeadLettered(group, envelope, marker, task)
        await publish(kafka_bootstrap, CASE_STATUS, envelope)
        await until(task, _stat(lambda: consumer.stats.dead_lettered >= 1), "the dead letter")
        cli.env(CASE_API_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, CASE_API_CONSUMER_GROUP=group)
        yield state


def _stat(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def done() -> bool:
        return check()

    return done


@pytest.mark.kafka
async def test_a_dead_letter_is_listed_pending_with_its_origin_and_never_its_value(
    cli: Cli, dead_lettered: DeadLettered, kafka_bootstrap: str
) -> None:
    value = dead_lettered.envelope.kafka_value()

    listed = await cli(case_api_main, "dead-letters", "list", "--json")

    assert listed.code == 0, listed.err
    [letter] = listed.json_lines()  # only this service's group: the one under test
    assert letter["consumer_group"] == dead_lettered.group
    assert letter["state"] == "pending"
    assert letter["dlq_topic"] == DLQ
    assert letter["original_topic"] == CASE_STATUS
    assert letter["error"] == "refused by the handler under test"
    assert letter["ce_type"] == "doorstep.case.opened.v1"
    assert letter["ce_id"] == dead_lettered.envelope.id
    assert letter["value_bytes"] == len(value)
    assert hashlib.sha256(value).hexdigest().startswith(letter["value_sha256"])
    assert letter["failed_at"]
    original = await read_from(
        kafka_bootstrap, CASE_STATUS, {letter["original_partition"]: letter["original_offset"]}
    )
    assert original[0].headers["ce_id"] == dead_lettered.envelope.id
    on_dlq = await read_from(kafka_bootstrap, DLQ, {letter["dlq_partition"]: letter["dlq_offset"]})
    assert on_dlq[0].value == value

    table = await cli(case_api_main, "dead-letters", "list")
    assert table.code == 0
    assert f"{letter['dlq_partition']}:{letter['dlq_offset']}" in table.out
    assert "pending" in table.out
    assert "1 dead letters: 1 pending, 0 replayed" in table.err
    for run in (listed, table):
        assert dead_lettered.marker not in run.out + run.err
        assert dead_lettered.envelope.subject not in run.out + run.err  # the case id, the key

    cli.env(CASE_API_CONSUMER_GROUP=new_group())
    other_group = await cli(case_api_main, "dead-letters", "list", "--json")
    assert other_group.code == 0
    assert other_group.json_lines() == []
    every_group = await cli(case_api_main, "dead-letters", "list", "--json", "--all-groups")
    assert dead_lettered.envelope.id in {line["ce_id"] for line in every_group.json_lines()}


@pytest.mark.kafka
async def test_replay_puts_the_original_back_once_and_the_fixed_consumer_handles_it(
    cli: Cli, dead_lettered: DeadLettered, kafka_bootstrap: str
) -> None:
    dead_lettered.fixed = True
    _, before = await offsets(kafka_bootstrap, CASE_STATUS)

    dry = await cli(case_api_main, "dead-letters", "replay", "--all", "--dry-run")
    assert dry.code == 0, dry.err
    assert "would replay" in dry.out
    assert await read_from(kafka_bootstrap, CASE_STATUS, before) == []  # published nothing
    [still] = (await cli(case_api_main, "dead-letters", "list", "--json")).json_lines()
    assert still["state"] == "pending"

    replayed = await cli(case_api_main, "dead-letters", "replay", "--all")
    assert replayed.code == 0, replayed.err
    [copy] = await read_from(kafka_bootstrap, CASE_STATUS, before)
    envelope = dead_lettered.envelope
    assert copy.value == envelope.kafka_value()
    assert copy.key == envelope.subject.encode()
    assert not [
        name for name in copy.headers if name.startswith("dlq_") and name != "dlq_replayed_from"
    ]
    replayed_from = f"{DLQ}:{still['dlq_partition']}:{still['dlq_offset']}"
    assert copy.headers["dlq_replayed_from"] == replayed_from
    original_headers = _text(envelope.kafka_headers())
    assert {name: copy.headers[name] for name in original_headers} == original_headers
    assert f"-> {CASE_STATUS}:{copy.partition}:{copy.offset}" in replayed.out

    [marked] = (await cli(case_api_main, "dead-letters", "list", "--json")).json_lines()
    assert marked["state"] == "replayed"
    _, after_first = await offsets(kafka_bootstrap, CASE_STATUS)
    again = await cli(case_api_main, "dead-letters", "replay", "--all")
    assert again.code == 0
    assert "nothing to replay" in again.err
    assert await read_from(kafka_bootstrap, CASE_STATUS, after_first) == []

    # The running consumer of the group that dead-lettered it, fixed, handled the copy.
    await until(dead_lettered.consumer, _stat(lambda: bool(dead_lettered.handled)), "handled")
    assert dead_lettered.handled == [envelope.id]


@pytest.mark.kafka
async def test_replay_of_named_messages_checks_each_position(
    cli: Cli, dead_lettered: DeadLettered, kafka_bootstrap: str
) -> None:
    [letter] = (await cli(case_api_main, "dead-letters", "list", "--json")).json_lines()
    position = f"{letter['dlq_partition']}:{letter['dlq_offset']}"
    _, before = await offsets(kafka_bootstrap, CASE_STATUS)

    unknown = await cli(
        case_api_main,
        "dead-letters",
        "replay",
        "--message",
        position,
        f"{letter['dlq_partition']}:{letter['dlq_offset'] + 10_000}",
    )
    assert unknown.code == 2
    assert "no dead letter at" in unknown.err
    assert await read_from(kafka_bootstrap, CASE_STATUS, before) == []  # none of them sent

    named = await cli(case_api_main, "dead-letters", "replay", "--message", position)
    assert named.code == 0, named.err
    copies = await read_from(kafka_bootstrap, CASE_STATUS, before)
    assert [m.headers["dlq_replayed_from"] for m in copies] == [f"{DLQ}:{position}"]

    twice = await cli(case_api_main, "dead-letters", "replay", "--message", position)
    assert twice.code == 0
    assert "replayed already" in twice.err


async def test_a_service_reading_two_topics_needs_the_topic_for_a_named_message(cli: Cli) -> None:
    # Refused before any broker is asked: the bootstrap address is not even listening.
    cli.env(NOTIFIER_KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    ambiguous = await cli(notifier_main, "dead-letters", "replay", "--message", "0:1")
    assert ambiguous.code == 2
    assert "--message needs --topic" in ambiguous.err
    foreign = await cli(notifier_main, "dead-letters", "list", "--topic", "doorstep.other.v1")
    assert foreign.code == 2
    assert "is not a topic this service reads" in foreign.err


def test_bad_usage_exits_2_and_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as neither:
        case_api_main(["dead-letters", "replay"])
    assert neither.value.code == 2
    with pytest.raises(SystemExit) as bad_position:
        case_api_main(["dead-letters", "replay", "--message", "3"])
    assert bad_position.value.code == 2
    with pytest.raises(SystemExit) as negative:
        case_api_main(["lag", "--max-lag", "-1"])
    assert negative.value.code == 2
    capsys.readouterr()
    for command in (
        ["dead-letters"],
        ["dead-letters", "list"],
        ["dead-letters", "replay"],
        ["outbox"],
        ["lag"],
    ):
        with pytest.raises(SystemExit) as shown:
            case_api_main([*command, "--help"])
        assert shown.value.code == 0
        assert "usage:" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        case_api_main(["dead-letters", "replay", "--help"])
    assert "inbox" in capsys.readouterr().out  # why a replay is safe for the other groups


async def test_a_broker_that_does_not_answer_exits_2(cli: Cli) -> None:
    cli.env(CASE_API_KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    for argv in (["lag"], ["dead-letters", "list"], ["dead-letters", "replay", "--all"]):
        run = await cli(case_api_main, *argv)
        assert run.code == 2, argv
        assert "broker unreachable" in run.err


# --- outbox -------------------------------------------------------------------------------


@pytest.fixture
async def outbox_db(database_url: str, cli: Cli) -> str:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(outbox_table.create)
    await engine.dispose()
    cli.env(CASE_API_DATABASE_URL=database_url)
    return database_url


async def add_rows(database_url: str, *rows: tuple[str, timedelta, bool]) -> None:
    now = utc_now()
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        for event_type, age, published in rows:
            await conn.execute(
                insert(outbox_table).values(
                    event_id=str(uuid.uuid4()),
                    event_type=event_type,
                    topic="doorstep.case-events.v1",
                    message_key=str(uuid.uuid4()),
                    headers=[],
                    payload="{}",
                    created_at=now - age,
                    published_at=now if published else None,
                )
            )
    await engine.dispose()


async def test_outbox_counts_unpublished_rows_by_type_with_the_oldest_age(
    cli: Cli, outbox_db: str
) -> None:
    await add_rows(
        outbox_db,
        ("doorstep.case.opened.v1", timedelta(hours=2), True),  # published: not backlog
        ("doorstep.case.opened.v1", timedelta(minutes=10), False),
        ("doorstep.case.opened.v1", timedelta(minutes=1), False),
        ("doorstep.case.updated.v1", timedelta(minutes=5), False),
    )

    run = await cli(case_api_main, "outbox", "--json")

    assert run.code == 0, run.err
    [summary] = run.json_lines()
    assert summary["unpublished"] == 3
    assert summary["by_event_type"] == {"doorstep.case.opened.v1": 2, "doorstep.case.updated.v1": 1}
    assert 600 <= summary["oldest_age_seconds"] < 7200
    text = await cli(case_api_main, "outbox")
    assert "unpublished: 3" in text.out
    assert "doorstep.case.updated.v1" in text.out

    over = await cli(case_api_main, "outbox", "--max-age", "300")
    assert over.code == 1
    assert "over --max-age" in over.err
    within = await cli(case_api_main, "outbox", "--max-age", "7200")
    assert within.code == 0


async def test_an_empty_outbox_is_within_any_max_age(cli: Cli, outbox_db: str) -> None:
    await add_rows(outbox_db, ("doorstep.case.opened.v1", timedelta(days=1), True))
    run = await cli(case_api_main, "outbox", "--json", "--max-age", "0")
    assert run.code == 0
    assert run.json_lines() == [
        {
            "unpublished": 0,
            "oldest_created_at": None,
            "oldest_age_seconds": None,
            "by_event_type": {},
        }
    ]


async def test_outbox_exits_2_when_the_database_is_unreachable_or_not_migrated(
    cli: Cli, tmp_path: Path
) -> None:
    cli.env(CASE_API_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    unreachable = await cli(case_api_main, "outbox")
    assert unreachable.code == 2
    assert "database unreachable" in unreachable.err
    cli.env(CASE_API_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert (await cli(case_api_main, "outbox")).code == 2


# --- lag ----------------------------------------------------------------------------------


@pytest.mark.kafka
async def test_lag_per_partition_before_and_after_the_consumer_commits(
    cli: Cli, kafka_bootstrap: str
) -> None:
    group = new_group()
    start = await start_group_at_end(kafka_bootstrap, group, CASE_STATUS)
    case_id = uuid.uuid4()
    events = [to_envelope(case_opened(case_id), "urn:test", n) for n in (1, 2, 3)]
    for envelope in events:
        await publish(kafka_bootstrap, CASE_STATUS, envelope)
    [busy] = {m.partition for m in await read_from(kafka_bootstrap, CASE_STATUS, start)}
    beginning, end = await offsets(kafka_bootstrap, CASE_STATUS)
    cli.env(CASE_API_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, CASE_API_CONSUMER_GROUP=group)

    behind = await cli(case_api_main, "lag", "--json")

    assert behind.code == 0, behind.err
    rows = {row["partition"]: row for row in behind.json_lines()}
    assert set(rows) == set(end)
    assert {row["group"] for row in rows.values()} == {group}
    assert {p: row["lag"] for p, row in rows.items()} == {p: 3 if p == busy else 0 for p in end}
    assert rows[busy]["committed"] == start[busy]
    assert rows[busy]["end"] == end[busy] == start[busy] + 3
    assert (await cli(case_api_main, "lag", "--max-lag", "2")).code == 1
    assert (await cli(case_api_main, "lag", "--max-lag", "3")).code == 0
    table = await cli(case_api_main, "lag")
    assert f"{group}: total lag 3" in table.out

    handled: list[str] = []

    async def handle(received: EventEnvelope, _data: EventData) -> bool:
        handled.append(received.id)
        return True

    consumer = consumer_of(kafka_bootstrap, group, handle)

    async def caught_up() -> bool:
        return (
            await committed(kafka_bootstrap, group, TopicPartition(CASE_STATUS, busy)) == end[busy]
        )

    async with running(consumer) as task:
        await until(task, caught_up, "the consumer's commit")
    assert handled == [e.id for e in events]

    caught = await cli(case_api_main, "lag", "--json", "--max-lag", "0")
    assert caught.code == 0, caught.err
    assert {row["partition"]: (row["committed"], row["lag"]) for row in caught.json_lines()} == {
        p: (end[p], 0) for p in end
    }

    # A group that never committed counts from the beginning of each partition.
    cli.env(CASE_API_CONSUMER_GROUP=new_group())
    fresh = await cli(case_api_main, "lag", "--json")
    assert {row["partition"]: (row["committed"], row["lag"]) for row in fresh.json_lines()} == {
        p: (None, end[p] - beginning[p]) for p in end
    }
