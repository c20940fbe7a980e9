"""May this notice go out now? The contact-rule engine answers; this module asks and acts.

The question is asked at the last moment, just before sending, with what is known then: the
case's holds and status (case view), the customer's zone and preferences (contact data), and
every notice already sent about this debt (the history). A deferred notice keeps its row and
waits, durably, until ``not_before``; a suppressed one ends. Each answer is logged, and the
first answer of a kind (and each new deferral instant) is published as a status update so the
case timeline shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.cases.models import CaseView
from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.contacts.zone import customer_zone
from doorstep_notifier.db import outbox_table
from doorstep_notifier.decisions.models import ContactDecisionRecord
from doorstep_notifier.decisions.repository import DecisionRepository
from doorstep_notifier.notifications import status_events
from doorstep_notifier.notifications.models import Notification, NotificationStatus
from doorstep_notifier.settings import NotifierSettings, rule_pack
from doorstep_shared.contact_rules import (
    Channel,
    ContactAttempt,
    ContactPreferences,
    Decision,
    LocalWindow,
    Outcome,
    PastContact,
    RulePack,
    decide,
)
from doorstep_shared.events.contracts import to_envelope
from doorstep_shared.events.topics import CASE_STATUS
from doorstep_shared.messaging.outbox import add_to_outbox

_CHANNELS = {"sms": Channel.SMS, "email": Channel.EMAIL, "letter": Channel.LETTER}


class ContactJudge:
    """Picks the pack for the notice's product and asks the engine."""

    def __init__(self, default_pack: RulePack, packs_by_product: Mapping[str, RulePack]) -> None:
        self._default = default_pack
        self._by_product = dict(packs_by_product)

    @classmethod
    def from_settings(cls, settings: NotifierSettings) -> ContactJudge:
        return cls(
            rule_pack(settings.contact_rule_pack),
            {
                product: rule_pack(spec)
                for product, spec in settings.contact_rule_packs_by_product.items()
            },
        )

    def pack_for(self, product: str | None) -> RulePack:
        """The product's pack; the bank's pack for a product unknown (None) or not listed."""
        if product is None:
            return self._default
        return self._by_product.get(product, self._default)

    async def judge(
        self,
        session: AsyncSession,
        notification: Notification,
        case: CaseView | None,
        contact: Contact,
        channel: str,
        now: datetime,
    ) -> Decision:
        zone = customer_zone(contact)
        sent = await DecisionRepository(session).sent_contacts(notification.case_id)
        history = tuple(
            PastContact(channel=_CHANNELS[kind], at=at, connected=True)
            for kind, at in sent
            if kind in _CHANNELS
        )
        attempt = ContactAttempt(
            channel=_CHANNELS[channel],
            now=now,
            timezone=zone.zone,
            preferences=_preferences(contact),
            holds=tuple(case.holds) if case else (),
            resolved=case is not None and case.status == "resolved",
            history=history,
            timezone_source=zone.detail,
        )
        return decide(self.pack_for(notification.product), attempt)


def _preferences(contact: Contact) -> ContactPreferences:
    stated = contact.contact_preferences
    hours = (
        tuple(LocalWindow(h.start, h.end) for h in stated.preferred_hours)
        if stated.preferred_hours
        else None
    )
    refused = frozenset(Channel(c) for c in stated.refused_channels if c in set(Channel))
    return ContactPreferences(
        preferred_hours=hours, refused_channels=refused, cease_contact=stated.cease_contact
    )


class DecisionService:
    def __init__(self, session: AsyncSession, event_source: str) -> None:
        self._session = session
        self._decisions = DecisionRepository(session)
        self._event_source = event_source

    async def record(
        self, notification: Notification, channel: str, d: Decision, now: datetime
    ) -> bool:
        """Log the answer and act on a deferral or suppression; True when an event was staged."""
        previous = await self._decisions.latest(notification.id)
        self.log(notification, channel, d, now)
        if d.outcome is Outcome.ALLOWED:
            return False
        notification.channel = channel
        notification.claim_token = None
        notification.updated_at = now
        if d.outcome is Outcome.DEFERRED:
            assert d.not_before is not None
            # Waiting is not a failed attempt: the attempt count stays.
            notification.next_attempt_at = d.not_before
            if previous is not None and previous.not_before == d.not_before:
                return False  # the same wait, seen again (e.g. after a restart): no new event
            event = status_events.deferred(notification, channel, d, now)
        else:
            notification.status = NotificationStatus.SUPPRESSED.value
            notification.status_reason = status_events.suppression_reason(d)
            event = status_events.suppressed(notification, channel, d, now)
        if event is None:
            return False
        await add_to_outbox(
            self._session, outbox_table, to_envelope(event, self._event_source), CASE_STATUS
        )
        return True

    def log(self, notification: Notification, channel: str, d: Decision, now: datetime) -> None:
        """Only log the answer: the caller acts on it (e.g. a deferral that comes too late)."""
        self._decisions.add(
            ContactDecisionRecord(
                notification_id=notification.id,
                case_id=notification.case_id,
                channel=channel,
                outcome=d.outcome.value,
                rule_id=d.rule_id,
                pack_id=d.pack_id,
                pack_version=d.pack_version,
                reason=d.reason[:2000],
                not_before=d.not_before,
                timezone=d.timezone,
                timezone_source=d.timezone_source[:100],
                decided_at=now,
            )
        )
