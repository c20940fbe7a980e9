"""``doorstep-<service> api-keys create|list|revoke``: the operator's way to manage keys.

``create`` prints the new key alone on stdout (so scripts can capture it) and its details on
stderr; the key is never shown again. Exit codes: 0 done, 1 no such key, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import timedelta

from sqlalchemy import Table

from doorstep_shared.audit.chain import append
from doorstep_shared.audit.cli import operator
from doorstep_shared.clock import utc_now
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.security.api_keys import ApiKeyRecord, ApiKeyRepository
from doorstep_shared.security.principal import ALL_SCOPES


def add_api_key_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("api-keys", help="create, list and revoke API keys")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="issue a key; prints it once on stdout")
    create.add_argument("--name", required=True, help="who or what holds the key")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=sorted(ALL_SCOPES),
        help="a scope the key grants (repeat for several)",
    )
    create.add_argument("--team", type=uuid.UUID, help="a collector team: sees only its visits")
    create.add_argument(
        "--expires-in-days", type=int, default=365, help="0 for a key that never expires"
    )
    actions.add_parser("list", help="every key, without secrets")
    revoke = actions.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix", help="the 8 characters after 'dsk_'")


def run_api_key_command(
    args: argparse.Namespace, database_url: str, table: Table, audit: Table
) -> int:
    return asyncio.run(_run(args, database_url, table, audit))


async def _run(args: argparse.Namespace, database_url: str, table: Table, audit: Table) -> int:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            keys = ApiKeyRepository(session, table)
            now = utc_now()
            if args.action == "create":
                if args.expires_in_days < 0:
                    print("--expires-in-days must be 0 or more", file=sys.stderr)
                    return 2
                expires = (
                    now + timedelta(days=args.expires_in_days) if args.expires_in_days else None
                )
                issued = await keys.issue(
                    name=args.name,
                    scopes=args.scope,
                    team_id=args.team,
                    expires_at=expires,
                    now=now,
                )
                await append(
                    session,
                    audit,
                    actor=operator(),
                    action="api_key.created",
                    now=now,
                    details={
                        "prefix": issued.record.prefix,
                        "name": args.name,
                        "scopes": list(issued.record.scopes),
                        "team_id": str(args.team) if args.team else None,
                    },
                )
                print(issued.token)
                print(_describe(issued.record), file=sys.stderr)
                return 0
            if args.action == "list":
                for record in await keys.list():
                    print(_describe(record))
                return 0
            if await keys.revoke(args.prefix, now):
                await append(
                    session,
                    audit,
                    actor=operator(),
                    action="api_key.revoked",
                    now=now,
                    details={"prefix": args.prefix},
                )
                print(f"revoked {args.prefix}", file=sys.stderr)
                return 0
            print(f"no active key with prefix {args.prefix}", file=sys.stderr)
            return 1
    finally:
        await engine.dispose()


def _describe(record: ApiKeyRecord) -> str:
    now = utc_now()
    state = "active" if record.active_at(now) else "revoked" if record.revoked_at else "expired"
    expires = record.expires_at.date().isoformat() if record.expires_at else "never"
    team = f" team={record.team_id}" if record.team_id else ""
    return (
        f"{record.prefix}  {state:<7}  {record.name}  scopes={','.join(record.scopes)}{team}"
        f"  expires={expires}"
    )
