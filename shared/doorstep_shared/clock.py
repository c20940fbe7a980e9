"""Timezone-aware time. Every timestamp in Doorstep is aware; naive ones are bugs."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
