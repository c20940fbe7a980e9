"""``doorstep-case-api import FILE``: a delinquency file through the batch API, with progress.

Exit codes: 0 every row applied or unchanged, 1 some rows rejected (written to the rejects
file), 2 the file or the API could not be used (nothing more was sent after the failure).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from doorstep_case_api.feed_import.client import (
    FeedImportError,
    ImportSummary,
    default_batch_id,
    send_file,
)
from doorstep_case_api.feed_import.records import (
    CSV_COLUMNS,
    FileFormatError,
    count_rows,
    file_format,
    read_rows,
)

TOKEN_VARIABLE = "DOORSTEP_TOKEN"  # noqa: S105  (a variable's name)


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="CSV (columns: see docs) or NDJSON file")
    parser.add_argument("--format", choices=("csv", "ndjson"), help="default: by extension")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="case-api base URL")
    parser.add_argument(
        "--token-file",
        type=Path,
        help=f"file holding the bearer token (default: ${TOKEN_VARIABLE})",
    )
    parser.add_argument("--batch-size", type=int, default=5000, help="records per request")
    parser.add_argument(
        "--batch-id",
        help="prefix of the requests' Batch-Id (default: file name + content hash, so the "
        "same file imported twice is applied once)",
    )
    parser.add_argument(
        "--rejects",
        type=Path,
        help="where rejected rows go, with their reason (default: FILE.rejected.csv|ndjson)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_import(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        fmt = file_format(path, args.format)
        token = _token(args.token_file)
        total = count_rows(path, fmt)
    except (OSError, FileFormatError) as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    batch_id = args.batch_id or default_batch_id(path)
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,56}", batch_id):
        # Each request adds ".<n>" and the API takes 64 characters.
        print("import: --batch-id is 1-56 of A-Z a-z 0-9 . _ : -", file=sys.stderr)
        return 2
    rejects = args.rejects or path.with_name(f"{path.name}.rejected.{fmt}")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with (
        httpx.Client(base_url=args.url, headers=headers, timeout=args.timeout) as client,
        tqdm(total=total, unit="rows", disable=args.quiet, file=sys.stderr) as bar,
    ):
        try:
            summary = send_file(
                client,
                read_rows(path, fmt),
                batch_id=batch_id,
                batch_size=max(1, min(args.batch_size, 10_000)),
                progress=bar.update,
            )
        except (FeedImportError, FileFormatError, OSError) as exc:
            print(f"import: {exc}", file=sys.stderr)
            return 2
    _write_rejects(rejects, fmt, summary)
    _print_summary(summary, batch_id, rejects)
    return 1 if summary.rejected else 0


def _token(token_file: Path | None) -> str:
    if token_file is not None:
        return token_file.read_text().strip()
    return os.environ.get(TOKEN_VARIABLE, "").strip()


def _reason_text(reason: dict[str, Any]) -> str:
    text = f"{reason.get('title', 'rejected')}: {reason.get('detail', '')}"
    fields = [".".join(error["location"]) for error in reason.get("errors") or []]
    return f"{text} [{', '.join(fields)}]" if fields else text


def _write_rejects(path: Path, fmt: str, summary: ImportSummary) -> None:
    if not summary.rejections:
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        if fmt == "csv":
            writer = csv.DictWriter(
                handle, [*CSV_COLUMNS, "rejected_reason"], extrasaction="ignore"
            )
            writer.writeheader()
            for row, reason in summary.rejections:
                assert isinstance(row.original, dict)
                writer.writerow({**row.original, "rejected_reason": _reason_text(reason)})
            return
        for row, reason in summary.rejections:
            handle.write(json.dumps({"line": row.original, "reason": reason}) + "\n")


def _print_summary(summary: ImportSummary, batch_id: str, rejects: Path) -> None:
    print(
        f"applied {summary.applied}, unchanged {summary.unchanged}, rejected "
        f"{summary.rejected} of {summary.sent} rows (batch id {batch_id}"
        + (f"; {summary.replayed} replayed from an earlier import" if summary.replayed else "")
        + ")"
    )
    if summary.rejected:
        print(f"rejected rows and their reasons: {rejects}")
