"""Reading a case's contact data from case-api (``GET /v1/cases/{id}/contact``), as the notifier
and the scheduler both do with their service credentials: the call, its failures as two kinds,
and the answer's common parts. Each service parses the answer into its own tolerant model.

Messages name no personal data (callers store them): a validation error would quote values.
"""

from __future__ import annotations

import uuid
from datetime import time
from typing import TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

TOLERANT = ConfigDict(frozen=True, extra="ignore")


class ContactNotFoundError(Exception):
    """case-api has no such case: asking again will not help."""


class ContactUnavailableError(Exception):
    """case-api could not answer now (down, slow, 5xx, a credential mix-up): try again later."""


class ContactAddress(BaseModel):
    model_config = TOLERANT

    line1: str | None = Field(default=None, repr=False)
    line2: str | None = Field(default=None, repr=False)
    city: str | None = Field(default=None, repr=False)
    region: str | None = Field(default=None, repr=False)
    postal_code: str | None = Field(default=None, repr=False)
    country: str | None = None
    latitude: float | None = Field(default=None, repr=False)
    longitude: float | None = Field(default=None, repr=False)


class LocalHours(BaseModel):
    model_config = TOLERANT

    start: time
    end: time


AnswerT = TypeVar("AnswerT", bound=BaseModel)


def case_api_client(base_url: str, token: str, timeout_seconds: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout_seconds,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        follow_redirects=False,
    )


async def fetch_contact(
    http: httpx.AsyncClient, case_id: uuid.UUID, purpose: str, answer: type[AnswerT]
) -> AnswerT:
    """The case's contact answer as ``answer``; ``purpose`` goes to case-api's audit log."""
    try:
        response = await http.get(f"/v1/cases/{case_id}/contact", headers={"X-Purpose": purpose})
    except httpx.TimeoutException:
        raise ContactUnavailableError("case-api did not answer in time") from None
    except httpx.TransportError as exc:
        raise ContactUnavailableError(f"case-api unreachable ({type(exc).__name__})") from None
    if response.status_code == 404:
        raise ContactNotFoundError(f"case-api has no contact data for case {case_id}")
    if response.status_code != 200:
        # 5xx and throttling are outages; 401/403 are a credential mix-up an operator fixes.
        raise ContactUnavailableError(f"case-api answered HTTP {response.status_code}")
    try:
        contact = answer.model_validate_json(response.content)
    except ValidationError:
        raise ContactUnavailableError("case-api sent contact data of an unknown shape") from None
    if getattr(contact, "case_id", None) != case_id:
        raise ContactUnavailableError("case-api sent contact data of another case")
    return contact
