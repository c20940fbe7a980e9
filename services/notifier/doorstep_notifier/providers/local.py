"""The local provider: records each message in the notifier's database instead of sending it.

For development, demos and banks that collect outgoing messages from the database themselves.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.providers.base import Channel, Delivery, OutgoingMessage
from doorstep_notifier.providers.models import LocalMessage
from doorstep_notifier.providers.repository import LocalMessageRepository
from doorstep_shared.clock import utc_now


class LocalProvider:
    name = "local"

    def supports_language(self, channel: Channel, language: str) -> bool:
        return True

    async def send(self, session: AsyncSession, message: OutgoingMessage) -> Delivery:
        record = LocalMessage(
            notification_id=message.notification_id,
            channel=message.channel,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
            language=message.language,
            recorded_at=utc_now(),
        )
        await LocalMessageRepository(session).add(record)
        return Delivery(provider=self.name, provider_message_id=f"local-{record.id}")
