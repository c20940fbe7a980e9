"""``doorstep-case-api migrate|serve|rotate-keys|api-keys|audit|import|dead-letters|outbox|lag``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.accounts.rotation import BATCH, KeyRotation
from doorstep_case_api.db import api_key_table, audit_table, outbox_table
from doorstep_case_api.feed_import.command import add_import_arguments, run_import
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.cli import ServiceCommand, run_service_cli
from doorstep_shared.events.topics import CASE_STATUS
from doorstep_shared.operations import ConsumerGroup
from doorstep_shared.security.crypto import FieldCryptoError, field_crypto
from doorstep_shared.security.rotation_cli import run_rotation

MIGRATIONS = Path(__file__).parent / "migrations"


def _rotate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size", type=int, default=BATCH, help="customer rows per transaction"
    )


async def rotate_keys(settings: CaseApiSettings, args: argparse.Namespace) -> int:
    try:
        cipher, index = field_crypto(settings)
    except FieldCryptoError as exc:
        print(f"rotate-keys: {exc}", file=sys.stderr)
        return 2
    codec = PersonalDataCodec(cipher, index)
    return await run_rotation(
        settings.database_url,
        lambda sessions: KeyRotation(sessions, codec).run(max(1, args.batch_size)),
        rows="customer rows",
        active_key_id=cipher.active_key_id,
    )


async def import_feed(_settings: CaseApiSettings, args: argparse.Namespace) -> int:
    # Through the API, not the database: the same checks, events and results as the feed.
    return await asyncio.to_thread(run_import, args)


COMMANDS: dict[str, ServiceCommand[CaseApiSettings]] = {
    "import": ServiceCommand(
        help="send a delinquency file (CSV or NDJSON) through POST /v1/delinquency-batches "
        "with a progress bar; rejected rows go to a file with their reason",
        run=import_feed,
        add_arguments=add_import_arguments,
    ),
    "rotate-keys": ServiceCommand(
        help="re-encrypt customer personal data under the active key id (and encrypt values "
        "written before encryption); run after every key change and after upgrading",
        run=rotate_keys,
        add_arguments=_rotate_arguments,
    ),
}


def consumer_groups(settings: CaseApiSettings) -> tuple[ConsumerGroup, ...]:
    """As main.py subscribes them: the status write-back reads the case-status topic."""
    return (ConsumerGroup(settings.consumer_group, (CASE_STATUS,)),)


def main(argv: list[str] | None = None) -> int:
    return run_service_cli(
        prog="doorstep-case-api",
        factory="doorstep_case_api.main:create_app",
        migrations_dir=MIGRATIONS,
        load_settings=CaseApiSettings,
        default_port=8000,
        api_keys=api_key_table,
        audit=audit_table,
        outbox=outbox_table,
        consumer_groups=consumer_groups,
        argv=argv,
        extra_commands=COMMANDS,
    )


if __name__ == "__main__":
    sys.exit(main())
