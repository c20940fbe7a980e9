"""``dead-letters list`` and ``dead-letters replay``: which letters are in scope, what is shown."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from doorstep_shared.events.topics import dead_letter_topic
from doorstep_shared.operations import exit_codes
from doorstep_shared.operations.broker import Broker, TopicMissingError, connect
from doorstep_shared.operations.consumer_groups import ConsumerGroup, groups_reading, topics_read
from doorstep_shared.operations.dead_letters import PENDING, REPLAYED, DeadLetter, dead_letters
from doorstep_shared.operations.output import json_lines, note, table
from doorstep_shared.operations.replay import replay
from doorstep_shared.settings import ServiceSettings

COLUMNS = (
    "DLQ",
    "ORIGINAL",
    "GROUP",
    "STATE",
    "FAILED_AT",
    "CE_TYPE",
    "CE_ID",
    "BYTES",
    "SHA256",
    "ERROR",
)
ERROR_WIDTH = 80


class UsageError(ValueError):
    pass


async def run_list(
    args: argparse.Namespace, settings: ServiceSettings, groups: Sequence[ConsumerGroup]
) -> int:
    sources = _source_topics(args, groups)
    async with connect(settings) as broker:
        letters = await _letters_in_scope(broker, sources, groups, args.all_groups)
    if args.json:
        json_lines(letter.describe() for letter in letters)
    else:
        table(COLUMNS, (_row(letter) for letter in letters))
    pending = sum(letter.state == PENDING for letter in letters)
    note(f"{len(letters)} dead letters: {pending} pending, {len(letters) - pending} replayed")
    return exit_codes.OK


async def run_replay(
    args: argparse.Namespace, settings: ServiceSettings, groups: Sequence[ConsumerGroup]
) -> int:
    sources = _source_topics(args, groups)
    if args.messages and len(sources) > 1:
        raise UsageError("--message needs --topic: this service reads " + ", ".join(sources))
    async with connect(settings) as broker:
        letters = await _letters_in_scope(broker, sources, groups, args.all_groups)
        chosen = _chosen(letters, args.messages) if args.messages else _pending(letters)
        if not chosen:
            note("nothing to replay: no pending dead letter in scope")
            return exit_codes.OK
        if args.dry_run:
            for letter in chosen:
                print(f"would replay {letter.position} {_summary(letter)}")
            note(f"dry run: {len(chosen)} dead letters would be replayed, none was")
            return exit_codes.OK
        result = await replay(broker, chosen)
    for letter, copy in result.replayed:
        print(f"replayed {letter.position} -> {copy} {_summary(letter)}")
    if result.failed is None:
        note(f"replayed {len(result.replayed)} dead letters")
        return exit_codes.OK
    if result.unmarked:
        note(
            f"{result.failed.position} was re-published but its replay marker was not "
            f"({result.failure}): it stays pending and a later replay sends it again, "
            "which consumers ignore as a duplicate"
        )
    else:
        note(f"replay stopped at {result.failed.position}: {result.failure}")
    note(
        f"replayed {len(result.replayed)} of {len(chosen)}; the rest stay pending, in order, "
        "for the next replay"
    )
    return exit_codes.LIMIT_EXCEEDED


def _source_topics(args: argparse.Namespace, groups: Sequence[ConsumerGroup]) -> tuple[str, ...]:
    topics = topics_read(groups)
    if args.topic is None:
        return topics
    if args.topic not in topics:
        raise UsageError(f"{args.topic} is not a topic this service reads ({', '.join(topics)})")
    return (args.topic,)


async def _letters_in_scope(
    broker: Broker, sources: Sequence[str], groups: Sequence[ConsumerGroup], all_groups: bool
) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    for source in sources:
        dlq = dead_letter_topic(source)
        try:
            records = await broker.read_topic(dlq)
        except TopicMissingError:
            note(f"{dlq} does not exist on the broker: no dead letters there")
            continue
        ours = groups_reading(groups, source)
        letters.extend(
            letter
            for letter in dead_letters(dlq, records)
            if all_groups or letter.consumer_group in ours
        )
    return letters


def _pending(letters: Sequence[DeadLetter]) -> list[DeadLetter]:
    return [letter for letter in letters if letter.state == PENDING]


def _chosen(
    letters: Sequence[DeadLetter], positions: Sequence[tuple[int, int]]
) -> list[DeadLetter]:
    by_position = {(letter.partition, letter.offset): letter for letter in letters}
    chosen: list[DeadLetter] = []
    for partition, offset in dict.fromkeys(positions):
        letter = by_position.get((partition, offset))
        if letter is None:
            raise UsageError(f"no dead letter at {partition}:{offset} in scope")
        if letter.state == REPLAYED:
            # Its copy was published; if it failed again it was dead-lettered anew, and that
            # newer letter is the one to replay.
            note(f"{letter.position} was replayed already: skipped")
            continue
        chosen.append(letter)
    # DLQ order, whatever order they were named in: one case's events stay in order.
    return sorted(chosen, key=lambda letter: (letter.dlq_topic, letter.partition, letter.offset))


def _row(letter: DeadLetter) -> tuple[object, ...]:
    return (
        letter.position,
        f"{letter.original_topic}:{letter.original_partition}:{letter.original_offset}",
        letter.consumer_group,
        letter.state,
        letter.failed_at,
        letter.ce_type,
        letter.ce_id,
        letter.value_size,
        letter.value_sha256,
        letter.error[:ERROR_WIDTH],
    )


def _summary(letter: DeadLetter) -> str:
    return (
        f"(from {letter.original_topic}:{letter.original_partition}:{letter.original_offset}, "
        f"group {letter.consumer_group}, ce_type {letter.ce_type or '-'}, "
        f"ce_id {letter.ce_id or '-'})"
    )
