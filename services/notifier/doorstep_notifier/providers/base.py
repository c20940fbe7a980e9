"""The channel-provider interface: SMS, e-mail and letter gateways plug in behind it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

Channel = Literal["sms", "email", "letter"]


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A rendered notice for one recipient. Personal data: never log or publish it."""

    notification_id: uuid.UUID
    case_id: uuid.UUID
    channel: Channel
    recipient: str = field(repr=False)
    subject: str | None = field(repr=False)
    body: str = field(repr=False)
    language: str


@dataclass(frozen=True, slots=True)
class Delivery:
    provider: str
    provider_message_id: str


class ProviderUnavailableError(Exception):
    """The provider cannot take the message now (outage, throttling): retry later.

    Messages of provider errors are stored and logged, so they must not contain personal data.
    """


class MessageRejectedError(Exception):
    """The provider refuses this message for good (e.g. an invalid number): do not retry."""


class ChannelProvider(Protocol):
    """Delivers one message.

    ``send`` runs inside the transaction that marks the notification sent and stages its
    ``NotificationSent`` event, so whatever the provider writes to ``session`` commits with
    them or not at all. A provider calling a remote gateway must pass
    ``message.notification_id`` as the gateway's idempotency key: the transaction can still
    roll back after the gateway accepted the message, and the notification is then retried.
    """

    name: str

    def supports_language(self, channel: Channel, language: str) -> bool:
        """False if messages of ``channel`` cannot be shown in ``language`` (e.g. no font with
        its glyphs for letters); the notice is then rendered in the default language."""
        ...

    async def send(self, session: AsyncSession, message: OutgoingMessage) -> Delivery: ...
