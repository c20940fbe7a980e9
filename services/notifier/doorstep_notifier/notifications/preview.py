"""Previews: the message a notice would be now, for operations to check before it goes out.

Rendered exactly as the dispatcher renders it (:func:`compose_message`), with the contact data
fetched from case-api at the time of the preview. Showing it reveals the customer's name to
the caller, so every preview is recorded in the audit log (field names, never values).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.cases.repository import CaseViewRepository
from doorstep_notifier.contacts.client import PREVIEW_PURPOSE, ContactSource
from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.db import audit_table
from doorstep_notifier.decisions.service import ContactJudge
from doorstep_notifier.notifications.channels import choose_destination, possible_destinations
from doorstep_notifier.notifications.exceptions import (
    ChannelNotPossibleError,
    ContactDataNotFoundError,
    ContactDataUnavailableError,
    NotificationNotFoundError,
)
from doorstep_notifier.notifications.masking import mask_recipient
from doorstep_notifier.notifications.messages import compose_message
from doorstep_notifier.notifications.models import NoticeKind, Notification, NotificationStatus
from doorstep_notifier.notifications.rendering import BankDetails, LanguageSupport
from doorstep_notifier.notifications.repository import NotificationRepository
from doorstep_notifier.notifications.schemas import NoticePreview
from doorstep_notifier.notifications.status_events import decision_facts
from doorstep_notifier.providers.base import Channel
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.audit import record_pii_read
from doorstep_shared.case_api_contact import ContactNotFoundError, ContactUnavailableError
from doorstep_shared.clock import utc_now
from doorstep_shared.contact_rules import TimezoneUnresolvedError
from doorstep_shared.events.contracts import ContactDecisionFacts

# What a preview shows unmasked: the name in the salutation (the recipient is masked).
PREVIEW_DISCLOSES = ("name",)


class NoticePreviewService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._notices = NotificationRepository(session)

    async def notification(self, notification_id: uuid.UUID) -> Notification:
        notification = await self._notices.get(notification_id)
        if notification is None:
            raise NotificationNotFoundError(f"no notification {notification_id}")
        return notification

    async def notification_of_case(self, case_id: uuid.UUID) -> Notification:
        """The case's pending overdue notice (there is at most one), else its newest overdue
        notice. Visit notices, several per case, are previewed by their id."""
        for status in (NotificationStatus.PENDING.value, None):
            found = await self._notices.list_newest_first(
                case_id=case_id, status=status, limit=1, kind=NoticeKind.OVERDUE.value
            )
            if found:
                return found[0]
        raise NotificationNotFoundError(f"no notification for case {case_id}")

    async def rules_now(
        self, notification: Notification, contact: Contact, channel: str, judge: ContactJudge
    ) -> ContactDecisionFacts | None:
        """What the contact rules would say now, for the channel shown (nothing is logged)."""
        case = await CaseViewRepository(self._session).get(notification.case_id)
        try:
            decision = await judge.judge(
                self._session, notification, case, contact, channel, utc_now()
            )
        except TimezoneUnresolvedError:
            return None
        return decision_facts(decision)

    async def record(self, *, actor: str, case_id: uuid.UUID, purpose: str | None) -> None:
        """Audit the preview; the caller commits before answering."""
        await record_pii_read(
            self._session,
            audit_table,
            actor=actor,
            case_id=case_id,
            fields=PREVIEW_DISCLOSES,
            purpose=purpose,
            now=utc_now(),
        )


async def fetch_contact(contacts: ContactSource, case_id: uuid.UUID) -> Contact:
    try:
        return await contacts.fetch(case_id, purpose=PREVIEW_PURPOSE)
    except ContactNotFoundError as exc:
        raise ContactDataNotFoundError(str(exc)) from None
    except ContactUnavailableError as exc:
        raise ContactDataUnavailableError(str(exc)) from None


def render_preview(
    notification: Notification,
    contact: Contact,
    channel: Channel | None,
    *,
    settings: NotifierSettings,
    supports_language: LanguageSupport,
) -> NoticePreview:
    if channel is None:
        destination = choose_destination(contact)
        if destination is None:
            raise ChannelNotPossibleError("the customer has no phone, e-mail or postal address")
    else:
        destination = next(
            (d for d in possible_destinations(contact) if d.channel == channel), None
        )
        if destination is None:
            raise ChannelNotPossibleError(f"the contact data allows no {channel}")
    message = compose_message(
        notification,
        contact,
        destination,
        bank=BankDetails.from_settings(settings),
        supports_language=supports_language,
    )
    senders: dict[Channel, str] = {
        "sms": settings.sms_sender_id,
        "email": settings.email_from,
        "letter": settings.letter_sender,
    }
    return NoticePreview(
        notification_id=notification.id,
        case_id=notification.case_id,
        notification_status=NotificationStatus(notification.status),
        channel=message.channel,
        sender=senders[message.channel],
        recipient=mask_recipient(message.channel, message.recipient),
        language=message.language,
        subject=message.subject,
        body=message.body,
    )
