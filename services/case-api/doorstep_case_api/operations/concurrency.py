"""Optimistic concurrency on case mutations: ETag on reads, If-Match on writes (412)."""

from __future__ import annotations

from fastapi import Response

from doorstep_case_api.cases.models import Case
from doorstep_shared.errors import ProblemError


class PreconditionFailedError(ProblemError):
    status = 412
    type_slug = "case-changed"
    title = "The case changed since you read it"


def check_if_match(if_match: str | None, case: Case) -> None:
    """Refuse the change when the caller read an older version of the case.

    Without If-Match the change applies (core banking and services do not read first).
    """
    if if_match is None or if_match.strip() == "*":
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if case.etag not in candidates:
        raise PreconditionFailedError(
            "Read the case again and retry with its current ETag.", current_etag=case.etag
        )


def set_etag(response: Response, case: Case) -> None:
    response.headers["ETag"] = case.etag
