"""``doorstep-scheduler migrate|serve``."""

from __future__ import annotations

import sys
from pathlib import Path

from doorstep_scheduler.db import api_key_table, audit_table
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_shared.cli import run_service_cli

MIGRATIONS = Path(__file__).parent / "migrations"


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
    )


if __name__ == "__main__":
    sys.exit(main())
