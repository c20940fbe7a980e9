"""``doorstep-scheduler migrate|serve|rotate-keys|api-keys|audit|dead-letters|outbox|lag``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from doorstep_scheduler.db import api_key_table, audit_table, outbox_table
from doorstep_scheduler.encryption import use_cipher
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.rotation import BATCH, VisitKeyRotation
from doorstep_shared.cli import ServiceCommand, run_service_cli
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS
from doorstep_shared.operations import ConsumerGroup
from doorstep_shared.security.crypto import FieldCryptoError
from doorstep_shared.security.rotation_cli import run_rotation

MIGRATIONS = Path(__file__).parent / "migrations"


def _rotate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-size", type=int, default=BATCH, help="visit rows per transaction")


async def rotate_keys(settings: SchedulerSettings, args: argparse.Namespace) -> int:
    try:
        cipher = settings.cipher
    except FieldCryptoError as exc:
        print(f"rotate-keys: {exc}", file=sys.stderr)
        return 2
    use_cipher(cipher)
    return await run_rotation(
        settings.database_url,
        lambda sessions: VisitKeyRotation(sessions).run(max(1, args.batch_size)),
        rows="visit rows",
        active_key_id=cipher.active_key_id,
    )


COMMANDS: dict[str, ServiceCommand[SchedulerSettings]] = {
    "rotate-keys": ServiceCommand(
        help="re-encrypt the visits' customer data (address, coordinates, terms) under the "
        "active key id; run after every key change",
        run=rotate_keys,
        add_arguments=_rotate_arguments,
    ),
}


def consumer_groups(settings: SchedulerSettings) -> tuple[ConsumerGroup, ...]:
    """As main.py subscribes them: case events, and the notifier's appointment-notice updates."""
    return (
        ConsumerGroup(settings.consumer_group, (CASE_EVENTS,)),
        ConsumerGroup(settings.notice_consumer_group, (CASE_STATUS,)),
    )


def main(argv: list[str] | None = None) -> int:
    return run_service_cli(
        prog="doorstep-scheduler",
        factory="doorstep_scheduler.main:create_app",
        migrations_dir=MIGRATIONS,
        load_settings=SchedulerSettings,
        default_port=8002,
        api_keys=api_key_table,
        audit=audit_table,
        outbox=outbox_table,
        consumer_groups=consumer_groups,
        argv=argv,
        extra_commands=COMMANDS,
    )


if __name__ == "__main__":
    sys.exit(main())
