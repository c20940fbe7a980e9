"""``doorstep-<service> dead-letters list|replay``, ``outbox`` and ``lag``: the argument parsers
and the exit codes scripts can rely on.

Exit codes: 0 done or within the limits; 1 a limit exceeded or a replay stopped part way;
2 the broker or the database unreachable, or bad usage (argparse exits 2 on its own).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.exc import SQLAlchemyError

from doorstep_shared.operations import exit_codes
from doorstep_shared.operations.broker import (
    BROKER_ERRORS,
    BrokerUnreachableError,
    TopicMissingError,
)
from doorstep_shared.operations.consumer_groups import ConsumerGroup
from doorstep_shared.operations.dead_letter_commands import UsageError, run_list, run_replay
from doorstep_shared.operations.output import note
from doorstep_shared.operations.status_commands import run_lag, run_outbox
from doorstep_shared.settings import ServiceSettings

OPERATIONS_COMMANDS = frozenset({"dead-letters", "outbox", "lag"})

REPLAY_IS_SAFE = (
    "Replaying to the original topic is safe for every consumer group that reads it: each "
    "consumer keeps an inbox of the event ids it processed, so a group that had handled the "
    "event treats the copy as a duplicate (a no-op); the group that dead-lettered it handles "
    "it now. The copy keeps the original key, value and headers (without the dlq_* ones) and "
    "gets dlq_replayed_from=<dlq topic>:<partition>:<offset>. A replayed dead letter gets a "
    "marker on its DLQ partition, so --all sends only pending ones. Exit 0 done (or nothing "
    "to do), 1 stopped part way (the rest stay pending), 2 broker unreachable or bad usage."
)


def add_operations_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    _add_dead_letter_commands(commands)
    outbox = commands.add_parser(
        "outbox",
        help="the outbox rows the relay has not published yet: count, oldest age, by type",
        description="Unpublished outbox rows: their count, the age of the oldest, counts by "
        "event type. Exit 0, 1 when --max-age is given and the oldest is older, 2 database "
        "unreachable or not migrated.",
    )
    outbox.add_argument(
        "--max-age",
        type=_seconds,
        metavar="SECONDS",
        help="exit 1 when the oldest unpublished row is older than this",
    )
    outbox.add_argument("--json", action="store_true", help="one JSON object instead of text")
    lag = commands.add_parser(
        "lag",
        help="consumer lag of this service's groups, per partition of the topics they read",
        description="Per consumer group of this service and partition of its topics: the "
        "committed offset, the end offset and the lag (end - committed; a group without a "
        "commit counts from the beginning offset). Exit 0, 1 when some partition's lag is over "
        "--max-lag, 2 broker unreachable or a topic missing.",
    )
    lag.add_argument(
        "--max-lag",
        type=_count,
        metavar="N",
        help="exit 1 when any one partition's lag is over N records",
    )
    lag.add_argument("--json", action="store_true", help="JSON lines, one per partition")


def _add_dead_letter_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    parser = commands.add_parser(
        "dead-letters",
        help="list the dead letters of this service's consumers, or replay them after a fix",
    )
    actions = parser.add_subparsers(dest="dead_letters_command", required=True)
    listing = actions.add_parser(
        "list",
        help="dead letters with their origin, error and state (replayed or pending)",
        description="Dead letters of this service's consumer groups on the .dlq topics of the "
        "topics it reads: DLQ partition:offset, original topic:partition:offset, group, error, "
        "failed_at, ce_type, ce_id, the value's size and a short sha256 (never the value). "
        "Exit 0, 2 broker unreachable or bad usage.",
    )
    _scope_arguments(listing)
    listing.add_argument("--json", action="store_true", help="JSON lines, one per dead letter")
    replay = actions.add_parser(
        "replay",
        help="re-publish dead letters to their original topic (safe: consumers dedupe)",
        description="Re-publish dead letters to the topic they came from, acks=all, each send "
        "bounded by *_KAFKA_SEND_TIMEOUT_SECONDS, in DLQ order; it stops at the first failure. "
        + REPLAY_IS_SAFE,
    )
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every pending dead letter in scope")
    which.add_argument(
        "--message",
        dest="messages",
        action="extend",
        nargs="+",
        type=_position,
        metavar="DLQ_PARTITION:OFFSET",
        help="these dead letters (as `dead-letters list` shows them); needs --topic when the "
        "service reads more than one topic",
    )
    _scope_arguments(replay)
    replay.add_argument(
        "--dry-run", action="store_true", help="say what would be replayed; publish nothing"
    )


def _scope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--topic",
        metavar="SOURCE_TOPIC",
        help="only the dead letters of this topic (its .dlq topic); default: every topic read",
    )
    parser.add_argument(
        "--all-groups",
        action="store_true",
        help="dead letters of every consumer group, not only this service's",
    )


async def run_operation(
    args: argparse.Namespace,
    settings: ServiceSettings,
    outbox: Table,
    groups: Sequence[ConsumerGroup],
) -> int:
    command = args.command
    if command == "outbox":
        try:
            return await run_outbox(args, settings.database_url, outbox)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            # The class only: a driver's message may quote SQL parameters.
            note(f"outbox: database unreachable or not migrated ({type(exc).__name__})")
            return exit_codes.UNREACHABLE
    try:
        if command == "lag":
            return await run_lag(args, settings, groups)
        if args.dead_letters_command == "list":
            return await run_list(args, settings, groups)
        return await run_replay(args, settings, groups)
    except UsageError as exc:
        note(f"{command}: {exc}")
        return exit_codes.UNREACHABLE
    except TopicMissingError as exc:
        note(f"{command}: topic {exc} does not exist on the broker")
        return exit_codes.UNREACHABLE
    except BrokerUnreachableError as exc:
        note(f"{command}: broker unreachable ({exc})")
        return exit_codes.UNREACHABLE
    except BROKER_ERRORS as exc:
        note(f"{command}: broker unreachable ({type(exc).__name__})")
        return exit_codes.UNREACHABLE


def _position(text: str) -> tuple[int, int]:
    partition, sep, offset = text.partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not DLQ_PARTITION:OFFSET")
    return int(partition), int(offset)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number, 0 or more")
    return int(text)
