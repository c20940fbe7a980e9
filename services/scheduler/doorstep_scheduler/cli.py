"""``doorstep-scheduler migrate|serve|rotate-keys|api-keys|audit``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from doorstep_scheduler.db import api_key_table, audit_table
from doorstep_scheduler.encryption import use_cipher
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.rotation import BATCH, VisitKeyRotation
from doorstep_shared.cli import ServiceCommand, run_service_cli
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.security.crypto import FieldCryptoError

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
    engine = create_engine(settings.database_url)
    try:
        result = await VisitKeyRotation(create_sessionmaker(engine)).run(max(1, args.batch_size))
    except FieldCryptoError as exc:
        # Names a column and a key id, never a value; batches before this one are kept.
        print(f"rotate-keys: stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(
        f"rotate-keys: rewrote {result.rewritten} of {result.scanned} visit rows; "
        f"all are under key id {cipher.active_key_id!r}"
    )
    return 0


COMMANDS: dict[str, ServiceCommand[SchedulerSettings]] = {
    "rotate-keys": ServiceCommand(
        help="re-encrypt the visits' customer data (address, coordinates, terms) under the "
        "active key id; run after every key change",
        run=rotate_keys,
        add_arguments=_rotate_arguments,
    ),
}


def main(argv: list[str] | None = None) -> int:
    return run_service_cli(
        prog="doorstep-scheduler",
        factory="doorstep_scheduler.main:create_app",
        migrations_dir=MIGRATIONS,
        load_settings=SchedulerSettings,
        default_port=8002,
        api_keys=api_key_table,
        audit=audit_table,
        argv=argv,
        extra_commands=COMMANDS,
    )


if __name__ == "__main__":
    sys.exit(main())
