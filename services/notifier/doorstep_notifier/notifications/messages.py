"""The message a notice becomes for one destination: rendered for its channel and language.

The dispatcher sends what :func:`compose_message` builds, and the preview API shows the same,
so operations see exactly what the customer would get.
"""

from __future__ import annotations

from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.notifications.channels import Destination
from doorstep_notifier.notifications.models import Notification
from doorstep_notifier.notifications.rendering import (
    BankDetails,
    LanguageSupport,
    NoticeFacts,
    language_for,
    render_notice,
)
from doorstep_notifier.providers.base import OutgoingMessage


def compose_message(
    notification: Notification,
    contact: Contact,
    destination: Destination,
    *,
    bank: BankDetails,
    supports_language: LanguageSupport,
) -> OutgoingMessage:
    language = language_for(contact.preferred_language, destination.channel, supports_language)
    rendered = render_notice(
        NoticeFacts.of(notification),
        channel=destination.channel,
        name=contact.name,
        language=language,
        bank=bank,
    )
    return OutgoingMessage(
        notification_id=notification.id,
        case_id=notification.case_id,
        channel=destination.channel,
        recipient=destination.recipient,
        subject=rendered.subject,
        body=rendered.body,
        language=rendered.language,
    )
