"""Batch intake from core banking: the nightly feed, up to 10,000 snapshots per request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request
from sqlalchemy.exc import IntegrityError

from doorstep_case_api.accounts.batch_reader import (
    RawRecord,
    StreamBroken,
    body_cut_off,
    json_array_records,
    ndjson_records,
    too_many_records,
)
from doorstep_case_api.accounts.batch_schemas import (
    BATCH_ID_PATTERN,
    BATCH_RECORD_EXAMPLE,
    BatchRecord,
    BatchResult,
    RecordResult,
    StreamProblem,
)
from doorstep_case_api.accounts.batch_service import BatchIntakeService, ChunkOutcome
from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.dependencies import (
    PersonalDataDep,
    SettingsDep,
    after_commit,
    get_case_rules,
)
from doorstep_shared.errors import PROBLEM_JSON, ProblemError
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

BATCH_PATH = "/v1/delinquency-batches"
router = APIRouter(prefix=BATCH_PATH, tags=["intake"])

NDJSON = ("application/x-ndjson", "application/jsonl", "application/ndjson")
BatchId = Annotated[
    str,
    Header(
        alias="Batch-Id",
        pattern=BATCH_ID_PATTERN,
        description="The feed's own id for this batch (1-64 of A-Z a-z 0-9 . _ : -). Sending "
        "the same batch again returns the first results and applies nothing twice.",
    ),
]
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Up to 10,000 records, each the body of PUT /v1/accounts/{account_id}"
        "/delinquency plus its `account_id`: one per line (NDJSON) or a JSON array. Read as "
        "it arrives.",
        "content": {
            "application/x-ndjson": {
                "schema": {"$ref": "#/components/schemas/BatchRecord"},
                "example": json.dumps(BATCH_RECORD_EXAMPLE) + "\n",
            },
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/BatchRecord"}},
                "example": [BATCH_RECORD_EXAMPLE],
            },
        },
    }
}


def document_batch_record(app: FastAPI) -> None:
    """The body is read as a stream, so FastAPI does not see its model: put it in the
    OpenAPI components the operation refers to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        if "BatchRecord" not in schemas:
            schema = BatchRecord.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas["BatchRecord"] = schema
        return document

    app.openapi = openapi  # type: ignore[method-assign]


class UnsupportedBatchTypeError(ProblemError):
    status = 415
    type_slug = "unsupported-media-type"
    title = "Batch body type is not supported"


@router.post(
    "",
    dependencies=[require(Scope.ACCOUNTS_WRITE)],
    response_model=BatchResult,
    summary="Report many accounts' delinquency snapshots",
    description=(
        "Each record has the single PUT's rules: it opens, updates or resolves its account's "
        "case, and a snapshot older than the account's last one is refused. A bad record is "
        "rejected alone, with its reason; the others are applied. Records are applied in "
        "chunks, each one transaction with its events; the response lists every record's "
        "result in order. The same `Batch-Id` again returns the stored results (`replayed`) "
        "without applying anything twice, so a feed can resend a batch after a timeout."
    ),
    responses={
        200: {"description": "Every record read has its result (see `complete`)."},
        415: {"description": "Neither NDJSON nor a JSON array.", **_problem},
        422: {"description": "Batch-Id missing or invalid.", **_problem},
    },
    openapi_extra=_BODY_DOC,
)
async def post_batch(
    batch_id: BatchId,
    request: Request,
    settings: SettingsDep,
    personal_data: PersonalDataDep,
) -> BatchResult:
    records = _records_of(request)
    results: list[RecordResult] = []
    replayed = 0
    stream_error: StreamProblem | None = None
    chunk: list[RawRecord] = []
    chunk_index = 0

    async def flush() -> None:
        nonlocal chunk, chunk_index, replayed
        if not chunk:
            return
        outcome = await _apply_chunk(request, personal_data, batch_id, chunk_index, chunk)
        results.extend(outcome.results)
        replayed += len(outcome.results) if outcome.replayed else 0
        chunk, chunk_index = [], chunk_index + 1

    try:
        async for raw in records:
            if raw.index >= settings.max_batch_records:
                raise too_many_records(raw.index)
            chunk.append(raw)
            if len(chunk) >= settings.batch_chunk_records:
                await flush()
    except StreamBroken as broken:
        stream_error = broken.problem
    await flush()
    cut_off_at = request.scope.get("state", {}).get("body_cut_off_at")
    if cut_off_at is not None:
        stream_error = body_cut_off(cut_off_at, len(results))
    return BatchResult(
        batch_id=batch_id,
        received=len(results),
        applied=sum(r.result == "applied" for r in results),
        unchanged=sum(r.result == "unchanged" for r in results),
        rejected=sum(r.result == "rejected" for r in results),
        replayed=replayed,
        complete=stream_error is None,
        stream_error=stream_error,
        results=results,
    )


def _records_of(request: Request) -> AsyncIterator[RawRecord]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in NDJSON:
        return ndjson_records(request.stream())
    if media_type == "application/json":
        return json_array_records(request.stream())
    raise UnsupportedBatchTypeError(
        "Send application/x-ndjson (one record per line) or application/json (an array)."
    )


async def _apply_chunk(
    request: Request,
    personal_data: PersonalDataCodec,
    batch_id: str,
    chunk_index: int,
    chunk: list[RawRecord],
) -> ChunkOutcome:
    for attempt in range(2):
        async with request.app.state.sessionmaker() as session:
            rules = await get_case_rules(session, request)
            outcome = await BatchIntakeService(rules, personal_data).apply_chunk(
                batch_id, chunk_index, chunk
            )
            try:
                await session.commit()
            except IntegrityError:
                # A concurrent request with this batch id stored the chunk first: the next
                # attempt finds it and returns its results.
                if attempt:
                    raise
                await session.rollback()
                continue
        if not outcome.replayed:
            after_commit(request)
        return outcome
    raise AssertionError("unreachable")  # pragma: no cover
