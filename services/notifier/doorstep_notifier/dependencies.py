"""Request-scoped dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.contacts.client import CaseApiContacts, ContactSource
from doorstep_notifier.settings import NotifierSettings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


def get_settings(request: Request) -> NotifierSettings:
    settings: NotifierSettings = request.app.state.settings
    return settings


async def get_contacts(request: Request) -> AsyncIterator[ContactSource]:
    """A case-api client for one request (previews are rare; the dispatcher keeps its own)."""
    contacts = CaseApiContacts(get_settings(request))
    try:
        yield contacts
    finally:
        await contacts.aclose()


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[NotifierSettings, Depends(get_settings)]
ContactsDep = Annotated[ContactSource, Depends(get_contacts)]
