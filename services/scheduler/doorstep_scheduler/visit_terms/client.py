"""Fetches what a visit needs (address, coordinates, zone, language, visit terms) from case-api
with the scheduler's contact:visit credential."""

from __future__ import annotations

import uuid
from typing import Protocol

from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visit_terms.schemas import VisitContact
from doorstep_shared.case_api_contact import case_api_client, fetch_contact

# case-api writes the purpose of every disclosure into its audit log.
PLANNING_PURPOSE = "visit-planning"


class VisitDataSource(Protocol):
    async def fetch(self, case_id: uuid.UUID) -> VisitContact: ...


class CaseApiVisitData:
    """``GET {case_api_url}/v1/cases/{case_id}/contact``. Close with :meth:`aclose`."""

    def __init__(self, settings: SchedulerSettings) -> None:
        self._http = case_api_client(
            settings.case_api_url,
            settings.case_api_token.get_secret_value(),
            settings.contact_timeout_seconds,
        )

    async def fetch(self, case_id: uuid.UUID) -> VisitContact:
        return await fetch_contact(self._http, case_id, PLANNING_PURPOSE, VisitContact)

    async def aclose(self) -> None:
        await self._http.aclose()
