"""The nightly feed's records, as NDJSON lines grouped into requests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from benchmarks.common import account_id, delinquency_snapshot

Batch = list[bytes]  # one request's NDJSON lines, each ending in a newline


def feed(prefix: str, records: int, per_request: int, revision: int) -> list[Batch]:
    """``records`` accounts ``<prefix>-<n>`` at ``revision`` (0: first report; 1: the next
    day, one day more past due with more interest and penalties), ``per_request`` a batch."""
    lines = [
        json.dumps(
            {"account_id": account_id(prefix, n), **delinquency_snapshot(n, revision)}
        ).encode()
        + b"\n"
        for n in range(records)
    ]
    return [lines[start : start + per_request] for start in range(0, records, per_request)]


async def streamed(batch: Batch, chunk_bytes: int = 64 * 1024) -> AsyncIterator[bytes]:
    """The body as it goes on the wire (chunked), about ``chunk_bytes`` at a time."""
    pending: list[bytes] = []
    size = 0
    for line in batch:
        pending.append(line)
        size += len(line)
        if size >= chunk_bytes:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)
