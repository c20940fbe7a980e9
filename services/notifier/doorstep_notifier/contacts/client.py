"""Fetches a case's contact data from case-api over HTTP, with the service credential."""

from __future__ import annotations

import uuid
from typing import Protocol

from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.case_api_contact import case_api_client, fetch_contact

# Why the notifier reads contact data: case-api writes it into its audit log (X-Purpose).
NOTICE_PURPOSE = "overdue-notice"
PREVIEW_PURPOSE = "notice-preview"


class ContactSource(Protocol):
    async def fetch(self, case_id: uuid.UUID, *, purpose: str = NOTICE_PURPOSE) -> Contact: ...


class CaseApiContacts:
    """``GET {case_api_url}/v1/cases/{case_id}/contact``. Close with :meth:`aclose`.

    5xx, throttling and 401/403 (a credential mix-up an operator fixes) are outages: the notice
    waits and is retried, up to the attempt limit."""

    def __init__(self, settings: NotifierSettings) -> None:
        self._http = case_api_client(
            settings.case_api_url,
            settings.case_api_token.get_secret_value(),
            settings.contact_timeout_seconds,
        )

    async def fetch(self, case_id: uuid.UUID, *, purpose: str = NOTICE_PURPOSE) -> Contact:
        return await fetch_contact(self._http, case_id, purpose, Contact)

    async def aclose(self) -> None:
        await self._http.aclose()
