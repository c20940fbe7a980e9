"""Request-scoped dependencies: DB session, settings, service credential."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.business_date.service import BusinessDateService
from doorstep_case_api.cases.context import CaseRules
from doorstep_case_api.policy.model import CollectionPolicy
from doorstep_case_api.settings import CaseApiSettings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    # Routers commit explicitly before returning, so a failed commit is a 5xx, never a 2xx.
    async with request.app.state.sessionmaker() as session:
        yield session


def get_settings(request: Request) -> CaseApiSettings:
    settings: CaseApiSettings = request.app.state.settings
    return settings


def after_commit(request: Request) -> None:
    """Wake the outbox relay: new rows are committed."""
    relay = getattr(request.app.state, "relay", None)
    if relay is not None:
        relay.notify()


async def _settings(request: Request) -> CaseApiSettings:
    # async: FastAPI runs a plain-def dependency in its thread pool, a hop on every request.
    return get_settings(request)


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[CaseApiSettings, Depends(_settings)]


def get_policy(request: Request) -> CollectionPolicy:
    policy: CollectionPolicy = request.app.state.policy
    return policy


async def policy_dependency(request: Request) -> CollectionPolicy:
    return get_policy(request)


async def get_case_rules(session: SessionDep, request: Request) -> CaseRules:
    """Policy, business date and event source for a request that changes cases."""
    settings = get_settings(request)
    business_date = await BusinessDateService(session, settings.bank_timezone).today()
    return CaseRules(session, get_policy(request), business_date, settings.event_source)


RulesDep = Annotated[CaseRules, Depends(get_case_rules)]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="ETag of the case read.")]


def get_personal_data(request: Request) -> PersonalDataCodec:
    """Encrypts and decrypts customer personal data with the keys create_app loaded."""
    return PersonalDataCodec(request.app.state.field_cipher, request.app.state.blind_index)


async def _personal_data(request: Request) -> PersonalDataCodec:
    return get_personal_data(request)


PersonalDataDep = Annotated[PersonalDataCodec, Depends(_personal_data)]
