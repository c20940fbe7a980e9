"""The ``channels`` provider: each message goes to the provider of its channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.providers.base import (
    Channel,
    ChannelProvider,
    Delivery,
    MessageRejectedError,
    OutgoingMessage,
)


@runtime_checkable
class Closeable(Protocol):
    async def aclose(self) -> None: ...


class ChannelsProvider:
    name = "channels"

    def __init__(self, providers: Mapping[Channel, ChannelProvider]) -> None:
        self._providers = dict(providers)

    def supports_language(self, channel: Channel, language: str) -> bool:
        provider = self._providers.get(channel)
        return provider is not None and provider.supports_language(channel, language)

    async def send(self, session: AsyncSession, message: OutgoingMessage) -> Delivery:
        provider = self._providers.get(message.channel)
        if provider is None:
            raise MessageRejectedError(f"no provider configured for {message.channel}")
        return await provider.send(session, message)

    async def aclose(self) -> None:
        for provider in self._providers.values():
            if isinstance(provider, Closeable):
                await provider.aclose()
