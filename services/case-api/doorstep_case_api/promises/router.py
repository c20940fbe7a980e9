"""Promises to pay, recorded by operations staff."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from doorstep_case_api.cases.context import CaseContext, CaseRules
from doorstep_case_api.cases.exceptions import CaseNotFoundError
from doorstep_case_api.dependencies import IfMatch, RulesDep, SessionDep, after_commit
from doorstep_case_api.operations.concurrency import check_if_match
from doorstep_case_api.promises.schemas import PromiseCreate, PromiseList, PromiseRead
from doorstep_case_api.promises.service import (
    ensure_case_currency,
    promises_of_case,
    record_promise,
)
from doorstep_shared.errors import PROBLEM_JSON

router = APIRouter(prefix="/v1", tags=["promises"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


async def _locked_case(rules: CaseRules, case_id: uuid.UUID, if_match: str | None) -> CaseContext:
    case = await rules.context_cases().lock(case_id)
    if case is None:
        raise CaseNotFoundError(f"no case {case_id}")
    check_if_match(if_match, case)
    return rules.context(case)
