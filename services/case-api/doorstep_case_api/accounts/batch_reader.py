"""Reads a batch body record by record as it arrives: NDJSON lines or a JSON array's elements.

Nothing holds the whole body: NDJSON is split on newlines, a JSON array goes through ijson's
incremental parser. A line that is not JSON rejects only that record; a JSON array that stops
being JSON ends the stream (nothing after the break can be located).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import ijson
from pydantic import ValidationError

from doorstep_case_api.accounts.batch_schemas import BatchRecord, RecordProblem, StreamProblem
from doorstep_shared.errors import PROBLEM_BASE, redacted_errors

MAX_RECORD_BYTES = 256 * 1024
_JSON_READ = 4096


@dataclass(frozen=True)
class RawRecord:
    index: int
    record: BatchRecord | None
    problem: RecordProblem | None
    account_id: str | None
    digest: bytes  # of the record's canonical JSON: what makes a replay "the same batch"


class StreamBroken(Exception):
    def __init__(self, problem: StreamProblem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def _stream_problem(slug: str, title: str, detail: str, at_index: int) -> StreamBroken:
    return StreamBroken(
        StreamProblem(type=PROBLEM_BASE + slug, title=title, detail=detail, at_index=at_index)
    )


def _invalid(title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> RecordProblem:
    return RecordProblem(
        type=PROBLEM_BASE + "validation-error", title=title, detail=detail, errors=errors
    )


def parse_record(index: int, value: Any) -> RawRecord:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).digest()
    account_id = value.get("account_id") if isinstance(value, dict) else None
    shown_id = account_id if isinstance(account_id, str) and len(account_id) <= 64 else None
    if not isinstance(value, dict):
        problem = _invalid("Record is not valid", "A record is a JSON object.")
        return RawRecord(index, None, problem, None, digest)
    try:
        record = BatchRecord.model_validate(value)
    except ValidationError as exc:
        problem = _invalid(
            "Record is not valid",
            "One or more fields are missing or invalid; see 'errors'.",
            redacted_errors(exc.errors()),
        )
        return RawRecord(index, None, problem, shown_id, digest)
    return RawRecord(index, record, None, record.account_id, digest)


async def ndjson_records(chunks: AsyncIterator[bytes]) -> AsyncIterator[RawRecord]:
    index = 0
    pending = b""
    async for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                yield _ndjson_line(index, line)
                index += 1
        if len(pending) > MAX_RECORD_BYTES:
            raise _stream_problem(
                "record-too-large",
                "Record is too large",
                f"A record is at most {MAX_RECORD_BYTES} bytes on one line.",
                index,
            )
    if pending.strip():
        yield _ndjson_line(index, pending)


def _ndjson_line(index: int, line: bytes) -> RawRecord:
    try:
        value = json.loads(line)
    except ValueError:
        digest = hashlib.sha256(line.strip()).digest()
        problem = _invalid("Record is not JSON", "This line is not a JSON object.")
        return RawRecord(index, None, problem, None, digest)
    return parse_record(index, value)


class _AsyncReader:
    """The ``read(n)`` ijson's async parser wants, over the request's body chunks."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    async def peek_first_byte(self) -> bytes:
        while not self._buffer.lstrip():
            chunk = await anext(self._chunks, None)
            if chunk is None:
                return b""
            self._buffer += chunk
        return self._buffer.lstrip()[:1]

    async def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson probes with read(0) for bytes or text and drops the answer
        if not self._buffer:
            self._buffer = await anext(self._chunks, b"")
        cut = size if size > 0 else len(self._buffer)
        data, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return data


async def json_array_records(chunks: AsyncIterator[bytes]) -> AsyncIterator[RawRecord]:
    reader = _AsyncReader(chunks)
    first = await reader.peek_first_byte()
    if first != b"[":
        raise _stream_problem(
            "not-a-json-array",
            "Body is not a JSON array",
            "Send a JSON array of records (application/json) or one record per line "
            "(application/x-ndjson).",
            0,
        )
    index = 0
    try:
        # Small reads: a syntax error loses the records already parsed in the same read.
        async for value in ijson.items(reader, "item", use_float=True, buf_size=_JSON_READ):
            yield parse_record(index, value)
            index += 1
    except ijson.JSONError:
        raise _stream_problem(
            "malformed-json",
            "Body is not valid JSON",
            f"The JSON array stops being valid JSON after record {index}; the records before "
            "it were handled, none from it on. Resend those from at_index.",
            index,
        ) from None


def too_many_records(index: int) -> StreamBroken:
    return _stream_problem(
        "too-many-records",
        "Batch has too many records",
        f"A batch holds at most {index} records; they were handled, the rest was not read. "
        "Send the rest as another batch.",
        index,
    )


def body_cut_off(limit: int, records_read: int) -> StreamProblem:
    return StreamProblem(
        type=PROBLEM_BASE + "payload-too-large",
        title="Request body too large",
        detail=f"The body exceeds {limit} bytes; it was cut off there and the last record read "
        "may be incomplete. Send smaller batches.",
        at_index=records_read,
    )
