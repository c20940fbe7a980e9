"""Fetches a case's contact data from case-api over HTTP, with the service credential."""

from __future__ import annotations

import uuid
from typing import Protocol

import httpx
from pydantic import ValidationError

from doorstep_notifier.contacts.exceptions import ContactNotFoundError, ContactUnavailableError
from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.settings import NotifierSettings

# Why the notifier reads contact data: case-api writes it into its audit log (X-Purpose).
NOTICE_PURPOSE = "overdue-notice"
PREVIEW_PURPOSE = "notice-preview"


class ContactSource(Protocol):
    async def fetch(self, case_id: uuid.UUID, *, purpose: str = NOTICE_PURPOSE) -> Contact: ...


class CaseApiContacts:
    """``GET {case_api_url}/v1/cases/{case_id}/contact``. Close with :meth:`aclose`."""

    def __init__(self, settings: NotifierSettings) -> None:
        token = settings.case_api_token.get_secret_value()
        self._http = httpx.AsyncClient(
            base_url=settings.case_api_url,
            timeout=settings.contact_timeout_seconds,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
            },
            follow_redirects=False,
        )

    async def fetch(self, case_id: uuid.UUID, *, purpose: str = NOTICE_PURPOSE) -> Contact:
        try:
            response = await self._http.get(
                f"/v1/cases/{case_id}/contact", headers={"X-Purpose": purpose}
            )
        except httpx.TimeoutException:
            raise ContactUnavailableError("case-api did not answer in time") from None
        except httpx.TransportError as exc:
            raise ContactUnavailableError(f"case-api unreachable ({type(exc).__name__})") from None
        if response.status_code == 404:
            raise ContactNotFoundError(f"case-api has no contact data for case {case_id}")
        if response.status_code != 200:
            # 5xx and throttling are outages; 401/403 are a credential mix-up an operator
            # fixes. Either way the notice waits and is retried, up to the attempt limit.
            raise ContactUnavailableError(f"case-api answered HTTP {response.status_code}")
        try:
            contact = Contact.model_validate_json(response.content)
        except ValidationError:
            # The validation message would quote the values: personal data.
            raise ContactUnavailableError(
                "case-api sent contact data of an unknown shape"
            ) from None
        if contact.case_id != case_id:
            raise ContactUnavailableError("case-api sent contact data of another case")
        return contact

    async def aclose(self) -> None:
        await self._http.aclose()
