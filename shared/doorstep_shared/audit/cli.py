"""``doorstep-<service> audit verify|purge``: check the audit chain, apply its retention."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from doorstep_shared.audit.retention import purge_before, retention_cutoff
from doorstep_shared.audit.verify import verify
from doorstep_shared.clock import utc_now
from doorstep_shared.db.engine import create_engine, create_sessionmaker, is_sqlite


def add_audit_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "audit", help="verify the audit log's hash chain, or purge entries past their retention"
    )
    actions = parser.add_subparsers(dest="audit_command", required=True)
    actions.add_parser(
        "verify",
        help="walk the hash chain; exit 0 when intact, 1 naming the first broken entry",
    )
    actions.add_parser(
        "purge",
        help="delete entries older than *_AUDIT_RETENTION_YEARS and record the purge",
    )


async def run_audit(
    args: argparse.Namespace, database_url: str, audit_table: Table, retention_years: int
) -> int:
    if args.audit_command == "verify":
        return await verify_chain(database_url, audit_table)
    return await purge_old_entries(database_url, audit_table, retention_years)


async def verify_chain(database_url: str, audit_table: Table) -> int:
    engine = _reading_engine(database_url)
    try:
        async with engine.connect() as conn:
            result = await verify(conn, audit_table)
    finally:
        await engine.dispose()
    if not result.ok:
        print(
            f"audit verify: BROKEN at entry {result.broken_entry_id}: {result.reason} "
            f"({result.entries_checked} entries before it are intact)",
            file=sys.stderr,
        )
        return 1
    print(f"audit verify: intact, {result.entries_checked} entries checked")
    if result.head_hash is not None:
        # Kept outside the database, it shows a chain rewritten from the start (verify.py).
        print(f"audit verify: head hash {result.head_hash}")
    return 0


async def purge_old_entries(database_url: str, audit_table: Table, years: int) -> int:
    now = utc_now()
    cutoff = retention_cutoff(now, years)
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            result = await purge_before(session, audit_table, cutoff, actor=operator(), now=now)
    finally:
        await engine.dispose()
    print(
        f"audit purge: deleted {result.deleted} entries older than {cutoff.isoformat()} "
        f"(retention {years} years)"
    )
    return 0


def _reading_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        # The project's SQLite engine starts every transaction with BEGIN IMMEDIATE, which
        # would hold the only write lock for the whole walk; plain reads in WAL mode block
        # no writer.
        return create_async_engine(url, hide_parameters=True)
    # One snapshot for the anchor and every page, whatever commits meanwhile.
    return create_engine(url, isolation_level="REPEATABLE READ")


def operator() -> str:
    """Who the audit log names for a command run from a shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in some containers
        return "cli"
