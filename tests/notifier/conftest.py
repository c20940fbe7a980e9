"""Notifier fixtures: a migrated database, the case-event handler, a contact stub, dispatchers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from doorstep_notifier.cli import MIGRATIONS
from doorstep_notifier.contacts.client import CaseApiContacts
from doorstep_notifier.db import inbox_table, outbox_table
from doorstep_notifier.notifications.dispatcher import Dispatcher
from doorstep_notifier.notifications.handlers import CONSUMER_NAME, apply_case_event
from doorstep_notifier.notifications.models import Notification
from doorstep_notifier.providers.base import ChannelProvider
from doorstep_notifier.providers.channels import Closeable
from doorstep_notifier.providers.local import LocalProvider
from doorstep_notifier.providers.models import LocalMessage
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.clock import utc_now
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.events.contracts import CaseState
from doorstep_shared.messaging.consumer import Handler, transactional_handler
from tests.notifier.contact_stub import TOKEN, ContactStub, running_contact_stub
from tests.notifier.factories import envelope
from tests.support.apps import migrate


@dataclass
class NotifierDb:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def notifications(self, case_id: uuid.UUID) -> list[Notification]:
        async with self.sessionmaker() as session:
            result = await session.execute(
                select(Notification)
                .where(Notification.case_id == case_id)
                .order_by(Notification.created_at, Notification.id)
            )
            return list(result.scalars())

    async def only_notification(self, case_id: uuid.UUID) -> Notification:
        found = await self.notifications(case_id)
        assert len(found) == 1, f"expected one notification, found {len(found)}"
        return found[0]

    async def local_messages(self) -> list[LocalMessage]:
        async with self.sessionmaker() as session:
            return list((await session.execute(select(LocalMessage))).scalars())

    async def outbox(self) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(
                (await conn.execute(select(outbox_table).order_by(outbox_table.c.id))).all()
            )

    async def processed_events(self) -> int:
        async with self.engine.connect() as conn:
            return len((await conn.execute(select(inbox_table))).all())


@asynccontextmanager
async def migrated_notifier_db(url: str) -> AsyncIterator[NotifierDb]:
    await migrate(MIGRATIONS, url)
    engine = create_engine(url)
    try:
        yield NotifierDb(url, engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()


def case_event_handler(db: NotifierDb) -> Handler:
    """The notifier's real consumer handler (inbox guard included), as the consumer calls it."""
    return transactional_handler(db.sessionmaker, inbox_table, CONSUMER_NAME, apply_case_event)


@pytest.fixture
async def notifier_db(database_url: str) -> AsyncIterator[NotifierDb]:
    async with migrated_notifier_db(database_url) as db:
        yield db


CaseEventSink = Callable[[CaseState], Awaitable[None]]


@pytest.fixture
def handle(notifier_db: NotifierDb) -> Handler:
    return case_event_handler(notifier_db)


@pytest.fixture
def publish(handle: Handler) -> CaseEventSink:
    """Hand a case event, in a new envelope, to the handler."""

    async def publish(data: CaseState) -> None:
        assert await handle(envelope(data), data)

    return publish


@pytest.fixture(scope="session")
async def contact_stub() -> AsyncIterator[ContactStub]:
    async with running_contact_stub() as stub:
        yield stub


class SteppingClock:
    """A clock the test moves forward, so backoff is checked without waiting for it."""

    def __init__(self) -> None:
        # Ahead of real time: notices created by the handler (at real time) are due at once.
        self.now = utc_now() + timedelta(seconds=60)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class DispatcherUnderTest:
    dispatcher: Dispatcher
    clock: SteppingClock
    settings: NotifierSettings
    relay_wakeups: list[int] = field(default_factory=list)

    async def round(self) -> int:
        return await self.dispatcher.dispatch_due()


MakeDispatcher = Callable[..., Awaitable[DispatcherUnderTest]]


@pytest.fixture
async def make_dispatcher(
    notifier_db: NotifierDb, contact_stub: ContactStub
) -> AsyncIterator[MakeDispatcher]:
    opened: list[tuple[CaseApiContacts, AsyncEngine]] = []
    providers: list[ChannelProvider] = []

    async def make(
        clock: SteppingClock | None = None,
        provider_factory: Callable[[NotifierSettings], ChannelProvider] | None = None,
        **overrides: Any,
    ) -> DispatcherUnderTest:
        """A dispatcher on the test database; ``provider_factory`` builds its channel provider
        from the settings (default: the local provider)."""
        values: dict[str, Any] = {
            "database_url": notifier_db.url,
            "case_api_url": contact_stub.url,
            "case_api_token": TOKEN,
            # Generous: a loaded CI machine must not turn a normal answer into an outage.
            "contact_timeout_seconds": 2.0,
            "dispatch_lease_seconds": 5.0,
            "dispatch_backoff_base_seconds": 30.0,
            "dispatch_backoff_cap_seconds": 600.0,
            **overrides,
        }
        settings = NotifierSettings(**values)
        # An engine per dispatcher, as two notifier processes would have.
        engine = create_engine(notifier_db.url)
        contacts = CaseApiContacts(settings)
        opened.append((contacts, engine))
        clock = clock or SteppingClock()
        wakeups: list[int] = []
        channel_provider = provider_factory(settings) if provider_factory else LocalProvider()
        providers.append(channel_provider)
        dispatcher = Dispatcher(
            create_sessionmaker(engine),
            contacts,
            channel_provider,
            settings,
            on_outbox_rows=lambda: wakeups.append(1),
            clock=clock,
        )
        return DispatcherUnderTest(dispatcher, clock, settings, wakeups)

    yield make
    for contacts, engine in opened:
        await contacts.aclose()
        await engine.dispose()
    for channel_provider in providers:
        if isinstance(channel_provider, Closeable):
            await channel_provider.aclose()
