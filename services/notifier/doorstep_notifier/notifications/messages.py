"""The message a notice becomes for one destination: rendered for its channel and language.

The dispatcher sends what :func:`compose_message` builds, and the preview API shows the same,
so operations see exactly what the customer would get.
"""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.contacts.zone import customer_zone
from doorstep_notifier.notifications.channels import Destination
from doorstep_notifier.notifications.models import NoticeKind, Notification
from doorstep_notifier.notifications.rendering import (
    BankDetails,
    LanguageSupport,
    NoticeFacts,
    RenderedNotice,
    language_for,
    render_notice,
)
from doorstep_notifier.notifications.visit_rendering import VisitNoticeFacts, render_visit_notice
from doorstep_notifier.providers.base import OutgoingMessage
from doorstep_shared.contact_rules import TimezoneUnresolvedError


def compose_message(
    notification: Notification,
    contact: Contact,
    destination: Destination,
    *,
    bank: BankDetails,
    supports_language: LanguageSupport,
) -> OutgoingMessage:
    language = language_for(contact.preferred_language, destination.channel, supports_language)
    rendered = _render(notification, contact, destination, language, bank)
    return OutgoingMessage(
        notification_id=notification.id,
        case_id=notification.case_id,
        channel=destination.channel,
        recipient=destination.recipient,
        subject=rendered.subject,
        body=rendered.body,
        language=rendered.language,
    )


def _render(
    notification: Notification,
    contact: Contact,
    destination: Destination,
    language: str,
    bank: BankDetails,
) -> RenderedNotice:
    if NoticeKind(notification.kind) is NoticeKind.OVERDUE:
        return render_notice(
            NoticeFacts.of(notification),
            channel=destination.channel,
            name=contact.name,
            language=language,
            bank=bank,
        )
    return render_visit_notice(
        VisitNoticeFacts.of(notification),
        channel=destination.channel,
        name=contact.name,
        language=language,
        bank=bank,
        zone=_local_zone(contact),
    )


def _local_zone(contact: Contact) -> tzinfo | None:
    """The zone the contact rules judge in. None only in a preview: the dispatcher fails a
    notice whose zone is unknown before it renders it."""
    try:
        return ZoneInfo(customer_zone(contact).zone)
    except TimezoneUnresolvedError:
        return None
