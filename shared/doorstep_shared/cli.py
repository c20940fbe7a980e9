"""Command-line entry shared by the three services: ``migrate`` and ``serve``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import uvicorn

from doorstep_shared.db.migrations import upgrade
from doorstep_shared.settings import ServiceSettings


def run_service_cli(
    *,
    prog: str,
    factory: str,
    migrations_dir: Path,
    load_settings: Callable[[], ServiceSettings],
    default_port: int,
    argv: list[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=f"Run or migrate Doorstep {prog}.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations and exit")
    serve = commands.add_parser("serve", help="migrate, then serve HTTP and run the workers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=default_port)
    serve.add_argument("--no-migrate", action="store_true", help="skip migrations at start")
    args = parser.parse_args(argv)

    settings = load_settings()
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
