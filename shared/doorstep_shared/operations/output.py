"""What the operator commands print: aligned tables for people, JSON lines for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    for row in [list(columns), *cells]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def json_lines(records: Iterable[Mapping[str, Any]]) -> None:
    for record in records:
        print(json.dumps(record, sort_keys=True, default=str))


def note(message: str) -> None:
    """Summaries and errors go to stderr, so stdout stays the table or the JSON lines."""
    print(message, file=sys.stderr)


def _cell(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)
