"""``doorstep-notifier migrate|serve|api-keys|audit|dead-letters|outbox|lag``."""

from __future__ import annotations

import sys
from pathlib import Path

from doorstep_notifier.db import api_key_table, audit_table, outbox_table
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.cli import run_service_cli
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS
from doorstep_shared.operations import ConsumerGroup

MIGRATIONS = Path(__file__).parent / "migrations"


def consumer_groups(settings: NotifierSettings) -> tuple[ConsumerGroup, ...]:
    """As main.py subscribes them: case events, and the scheduler's visit events."""
    return (
        ConsumerGroup(settings.consumer_group, (CASE_EVENTS,)),
        ConsumerGroup(settings.visit_consumer_group, (CASE_STATUS,)),
    )


def main(argv: list[str] | None = None) -> int:
    return run_service_cli(
        prog="doorstep-notifier",
        factory="doorstep_notifier.main:create_app",
        migrations_dir=MIGRATIONS,
        load_settings=NotifierSettings,
        default_port=8001,
        api_keys=api_key_table,
        audit=audit_table,
        outbox=outbox_table,
        consumer_groups=consumer_groups,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
