"""Fetches what a visit needs (address, coordinates, zone, language, visit terms) from case-api
with the scheduler's contact:visit credential."""

from __future__ import annotations

import uuid
from typing import Protocol

import httpx
from pydantic import ValidationError

from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visit_terms.exceptions import (
    VisitDataNotFoundError,
    VisitDataUnavailableError,
)
from doorstep_scheduler.visit_terms.schemas import VisitContact

# case-api writes the purpose of every disclosure into its audit log.
PLANNING_PURPOSE = "visit-planning"


class VisitDataSource(Protocol):
    async def fetch(self, case_id: uuid.UUID) -> VisitContact: ...


class CaseApiVisitData:
    """``GET {case_api_url}/v1/cases/{case_id}/contact``. Close with :meth:`aclose`."""

    def __init__(self, settings: SchedulerSettings) -> None:
        token = settings.case_api_token.get_secret_value()
        self._http = httpx.AsyncClient(
            base_url=settings.case_api_url,
            timeout=settings.contact_timeout_seconds,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            follow_redirects=False,
        )

    async def fetch(self, case_id: uuid.UUID) -> VisitContact:
        try:
            response = await self._http.get(
                f"/v1/cases/{case_id}/contact", headers={"X-Purpose": PLANNING_PURPOSE}
            )
        except httpx.TimeoutException:
            raise VisitDataUnavailableError("case-api did not answer in time") from None
        except httpx.TransportError as exc:
            raise VisitDataUnavailableError(
                f"case-api unreachable ({type(exc).__name__})"
            ) from None
        if response.status_code == 404:
            raise VisitDataNotFoundError(f"case-api has no contact data for case {case_id}")
        if response.status_code != 200:
            raise VisitDataUnavailableError(f"case-api answered HTTP {response.status_code}")
        try:
            contact = VisitContact.model_validate_json(response.content)
        except ValidationError:
            # The validation message would quote the values: personal data.
            raise VisitDataUnavailableError(
                "case-api sent visit data of an unknown shape"
            ) from None
        if contact.case_id != case_id:
            raise VisitDataUnavailableError("case-api sent visit data of another case")
        return contact

    async def aclose(self) -> None:
        await self._http.aclose()
