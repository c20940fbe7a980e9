"""Sends a delinquency file to case-api's batch endpoint, a batch at a time."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import httpx

from doorstep_case_api.feed_import.records import FileRow

BATCH_PATH = "/v1/delinquency-batches"


@dataclass
class ImportSummary:
    applied: int = 0
    unchanged: int = 0
    rejected: int = 0
    replayed: int = 0
    rejections: list[tuple[FileRow, dict[str, Any]]] = field(default_factory=list)

    def count(self, verdict: str) -> None:
        if verdict == "applied":
            self.applied += 1
        elif verdict == "unchanged":
            self.unchanged += 1
        else:
            self.rejected += 1

    @property
    def sent(self) -> int:
        return self.applied + self.unchanged + self.rejected


class FeedImportError(RuntimeError):
    """The API refused a whole request or could not be reached: the import stops there."""


def default_batch_id(path: Path) -> str:
    """The file's name and content hash: importing the same file again replays its results
    instead of applying it twice."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    stem = re.sub(r"[^A-Za-z0-9._:-]", "-", path.stem)[:40] or "feed"
    return f"{stem}-{digest.hexdigest()[:16]}"


def batches(rows: Iterable[FileRow], size: int) -> Iterator[list[FileRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def send_file(
    client: httpx.Client,
    rows: Iterable[FileRow],
    *,
    batch_id: str,
    batch_size: int,
    progress: Callable[[int], object],
) -> ImportSummary:
    summary = ImportSummary()
    for number, chunk in enumerate(batches(rows, batch_size)):
        body = _post(client, f"{batch_id}.{number}", chunk)
        for result in body["results"]:
            summary.count(result["result"])
            if result["result"] == "rejected":
                summary.rejections.append((chunk[result["index"]], result["reason"] or {}))
        summary.replayed += body["replayed"]
        if not body["complete"]:
            problem = body.get("stream_error") or {}
            raise FeedImportError(f"batch {number} was cut short: {problem.get('detail', '')}")
        progress(len(chunk))
    return summary


def _post(client: httpx.Client, batch_id: str, chunk: list[FileRow]) -> dict[str, Any]:
    content = b"\n".join(row.line for row in chunk) + b"\n"
    try:
        response = client.post(
            BATCH_PATH,
            content=content,
            headers={"Batch-Id": batch_id, "Content-Type": "application/x-ndjson"},
        )
    except httpx.HTTPError as exc:
        raise FeedImportError(f"case-api could not be reached: {exc}") from exc
    if response.status_code != 200:
        raise FeedImportError(_refusal(response))
    body: dict[str, Any] = response.json()
    return body


def _refusal(response: httpx.Response) -> str:
    try:
        problem = response.json()
    except ValueError:
        return f"case-api answered {response.status_code}"
    return (
        f"case-api answered {response.status_code}: {problem.get('title')}: {problem.get('detail')}"
    )
