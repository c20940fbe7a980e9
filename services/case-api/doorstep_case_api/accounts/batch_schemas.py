"""Batch intake API: many delinquency snapshots in one request, a result for each."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from doorstep_case_api.accounts.schemas import DelinquencySnapshot, IntakeOutcome

ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
BATCH_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"

RecordVerdict = Literal["applied", "unchanged", "rejected"]


def _record_example() -> dict[str, Any]:
    extra = DelinquencySnapshot.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    examples = extra["examples"]
    assert isinstance(examples, list)
    first = examples[0]
    assert isinstance(first, dict)
    return {"account_id": "LOAN-42", **first}


BATCH_RECORD_EXAMPLE = _record_example()


class BatchRecord(DelinquencySnapshot):
    """One line of an NDJSON batch, or one element of a JSON array: the body of
    ``PUT /v1/accounts/{account_id}/delinquency`` with the account id inside."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [BATCH_RECORD_EXAMPLE]}
    )

    account_id: str = Field(min_length=1, max_length=64, pattern=ACCOUNT_ID_PATTERN)


class RecordProblem(BaseModel):
    """Why a record was refused, as RFC 9457 names it; submitted values are never echoed."""

    type: str
    title: str
    detail: str
    errors: list[dict[str, Any]] | None = None


class RecordResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(description="Position of the record in the batch, from 0.")
    account_id: str | None = Field(description="None when the record could not be read.")
    result: RecordVerdict
    outcome: IntakeOutcome | None = Field(
        default=None, description="What the snapshot did, as the single PUT reports it."
    )
    case_id: uuid.UUID | None = None
    reason: RecordProblem | None = Field(default=None, description="Set when rejected.")


class StreamProblem(BaseModel):
    """The body stopped being readable: the records before ``at_index`` were handled, none
    after it was read."""

    type: str
    title: str
    detail: str
    at_index: int


class BatchResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "core-2026-12-04",
                    "received": 3,
                    "applied": 1,
                    "unchanged": 1,
                    "rejected": 1,
                    "replayed": 0,
                    "complete": True,
                    "stream_error": None,
                    "results": [
                        {
                            "index": 0,
                            "account_id": "LOAN-42",
                            "result": "applied",
                            "outcome": "opened",
                            "case_id": "0b7c6f5e-3a56-4c1e-9a43-2f1f1f0f7a10",
                            "reason": None,
                        },
                        {
                            "index": 1,
                            "account_id": "LOAN-43",
                            "result": "unchanged",
                            "outcome": "no_case",
                            "case_id": None,
                            "reason": None,
                        },
                        {
                            "index": 2,
                            "account_id": "LOAN-44",
                            "result": "rejected",
                            "outcome": None,
                            "case_id": None,
                            "reason": {
                                "type": "https://doorstep.dev/problems/stale-snapshot",
                                "title": "Snapshot is older than the one already applied",
                                "detail": "as_of_date 2026-12-01 is older than the last "
                                "applied 2026-12-03; nothing was changed.",
                                "errors": None,
                            },
                        },
                    ],
                }
            ]
        }
    )

    batch_id: str
    received: int = Field(description="Records read from the body.")
    applied: int
    unchanged: int
    rejected: int
    replayed: int = Field(
        description="Records whose result comes from an earlier request with this batch id "
        "(nothing was applied again)."
    )
    complete: bool = Field(description="False when the body could not be read to its end.")
    stream_error: StreamProblem | None = None
    results: list[RecordResult]
