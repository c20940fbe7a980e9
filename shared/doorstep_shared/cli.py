"""Command-line entry shared by the three services: ``migrate``, ``serve``, ``api-keys``,
``audit``, the operator commands for faults (``dead-letters``, ``outbox``, ``lag``) and their own.

A service adds its own subcommands (``rotate-keys``...) through ``extra_commands``: each
names its help text, its arguments, and an async handler that gets the loaded settings and
the parsed arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import uvicorn
from sqlalchemy import Table

from doorstep_shared.audit.cli import add_audit_commands, run_audit
from doorstep_shared.db.migrations import upgrade
from doorstep_shared.operations import ConsumerGroup
from doorstep_shared.operations.commands import (
    OPERATIONS_COMMANDS,
    add_operations_commands,
    run_operation,
)
from doorstep_shared.security.api_key_cli import add_api_key_commands, run_api_key_command
from doorstep_shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def _no_arguments(_parser: argparse.ArgumentParser) -> None:
    return None


@dataclass(frozen=True)
class ServiceCommand(Generic[S]):
    help: str
    run: Callable[[S, argparse.Namespace], Coroutine[Any, Any, int]]
    add_arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments


def run_service_cli(
    *,
    prog: str,
    factory: str,
    migrations_dir: Path,
    load_settings: Callable[[], S],
    default_port: int,
    api_keys: Table,
    audit: Table,
    outbox: Table,
    consumer_groups: Callable[[S], Sequence[ConsumerGroup]],
    argv: list[str] | None = None,
    extra_commands: Mapping[str, ServiceCommand[S]] | None = None,
) -> int:
    extra = dict(extra_commands or {})
    clash = extra.keys() & {"migrate", "serve", "api-keys", "audit", *OPERATIONS_COMMANDS}
    if clash:
        raise ValueError(f"extra commands may not replace {sorted(clash)}")
    parser = argparse.ArgumentParser(prog=prog, description=f"Run or migrate Doorstep {prog}.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations and exit")
    serve = commands.add_parser("serve", help="migrate, then serve HTTP and run the workers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=default_port)
    serve.add_argument("--no-migrate", action="store_true", help="skip migrations at start")
    add_api_key_commands(commands)
    add_audit_commands(commands)
    add_operations_commands(commands)
    for name, command in extra.items():
        command.add_arguments(commands.add_parser(name, help=command.help))
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.command == "api-keys":
        return run_api_key_command(args, settings.database_url, api_keys, audit)
    if args.command == "audit":
        return asyncio.run(
            run_audit(args, settings.database_url, audit, settings.audit_retention_years)
        )
    if args.command in OPERATIONS_COMMANDS:
        # The service's consumer groups come from its settings, with the topics its main
        # subscribes them to.
        groups = consumer_groups(settings)
        return asyncio.run(run_operation(args, settings, outbox, groups))
    if args.command in extra:
        # Extra commands work on a migrated database and do not migrate it themselves.
        return asyncio.run(extra[args.command].run(settings, args))
    if args.command == "migrate" or not args.no_migrate:
        upgrade(migrations_dir, settings.database_url)
    if args.command == "serve":
        uvicorn.run(
            factory,
            factory=True,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    return 0
