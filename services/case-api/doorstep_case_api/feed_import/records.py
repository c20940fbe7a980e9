"""Rows of a delinquency file as batch records: CSV columns or NDJSON lines.

A CSV file has one column per field of the flat snapshot (see ``CSV_COLUMNS``); empty cells are
left out, so the API's own defaults and checks apply. NDJSON lines are sent as they are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "phone",
    "email",
    "national_id",
    "timezone",
    "preferred_language",
)
ADDRESS_COLUMNS = (
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
)
LOAN_COLUMNS = ("product", "currency", "days_past_due", "oldest_unpaid_due_date")
ARREARS_COLUMNS = ("principal", "interest", "fees", "penalties")
CSV_COLUMNS = (
    "account_id",
    "as_of_date",
    *CUSTOMER_COLUMNS,
    *ADDRESS_COLUMNS,
    *LOAN_COLUMNS,
    *ARREARS_COLUMNS,
)


@dataclass(frozen=True)
class FileRow:
    """One record to send, and the original row to write back if it is rejected."""

    line: bytes  # the NDJSON line sent to the API
    original: dict[str, str] | str


class FileFormatError(ValueError):
    pass


def file_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    raise FileFormatError(f"cannot tell the format of {path.name}: use --format csv|ndjson")


def read_rows(path: Path, fmt: str) -> Iterator[FileRow]:
    if fmt == "csv":
        yield from _csv_rows(path)
    else:
        yield from _ndjson_rows(path)


def count_rows(path: Path, fmt: str) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1) if fmt == "csv" else lines


def _ndjson_rows(path: Path) -> Iterator[FileRow]:
    with path.open("rb") as handle:
        for raw in handle:
            line = raw.strip()
            if line:
                yield FileRow(line, line.decode("utf-8", errors="replace"))


def _csv_rows(path: Path) -> Iterator[FileRow]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
        if unknown:
            raise FileFormatError(f"unknown CSV columns: {', '.join(sorted(unknown))}")
        for row in reader:
            yield FileRow(json.dumps(csv_record(row)).encode(), row)


def csv_record(row: dict[str, str]) -> dict[str, Any]:
    """The nested batch record of one flat CSV row."""

    def cells(names: tuple[str, ...]) -> dict[str, Any]:
        return {name: row[name].strip() for name in names if (row.get(name) or "").strip()}

    customer: dict[str, Any] = cells(CUSTOMER_COLUMNS)
    address = {key.removeprefix("address_"): value for key, value in cells(ADDRESS_COLUMNS).items()}
    for coordinate in ("latitude", "longitude"):
        if coordinate in address:
            address[coordinate] = _number(address[coordinate])
    if address:
        customer["address"] = address
    loan: dict[str, Any] = cells(LOAN_COLUMNS)
    if "days_past_due" in loan:
        loan["days_past_due"] = _number(loan["days_past_due"])
    loan["arrears"] = cells(ARREARS_COLUMNS)  # decimal strings, as the API wants them
    return {**cells(("account_id", "as_of_date")), "customer": customer, "loan": loan}


def _number(text: str) -> Any:
    # Sent as JSON numbers when they read as numbers; otherwise as they are, for the API to
    # refuse with the field's name.
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text
