"""``doorstep-case-api migrate|serve``."""

from __future__ import annotations

import sys
from pathlib import Path

from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.cli import run_service_cli

MIGRATIONS = Path(__file__).parent / "migrations"


def main(argv: list[str] | None = None) -> int:
    return run_service_cli(
        prog="doorstep-case-api",
        factory="doorstep_case_api.main:create_app",
        migrations_dir=MIGRATIONS,
        load_settings=CaseApiSettings,
        default_port=8000,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
