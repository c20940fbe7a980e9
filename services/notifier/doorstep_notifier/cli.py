"""``doorstep-notifier migrate|serve``."""

from __future__ import annotations

import sys
from pathlib import Path

from doorstep_notifier.db import api_key_table, audit_table
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.cli import run_service_cli

MIGRATIONS = Path(__file__).parent / "migrations"


def main(argv: list[str] | None = None) -> int:
    return run_service_cli(
        prog="doorstep-notifier",
        factory="doorstep_notifier.main:create_app",
        migrations_dir=MIGRATIONS,
        load_settings=NotifierSettings,
        default_port=8001,
        api_keys=api_key_table,
        audit=audit_table,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
