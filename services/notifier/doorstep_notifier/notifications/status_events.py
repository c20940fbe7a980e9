"""Which status event announces what happened to a notice, by its kind.

Overdue notices have the ``doorstep.notification.*`` events, which case-api reads as ladder
facts (an overdue notice sent moves the case on). A visit's appointment notice has its own pair,
``VisitNoticeSent`` and ``VisitNoticeFailed``: the scheduler waits for them before a visit may
take place. A deferral of a visit notice is announced by neither (the scheduler only needs to
know when notice was given or that it will not be); a cancellation notice announces nothing, as
no one waits for it. None: nothing to announce.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from doorstep_notifier.notifications.models import NoticeKind, Notification
from doorstep_shared.contact_rules import Decision
from doorstep_shared.events.contracts import (
    ContactDecisionFacts,
    EventData,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
    VisitNoticeFailed,
    VisitNoticeSent,
)

NO_CHANNEL = "none"


def decision_facts(decision: Decision) -> ContactDecisionFacts:
    """The engine's answer as the status events carry it."""
    return ContactDecisionFacts(
        outcome=decision.outcome.value,
        rule_id=decision.rule_id,
        pack_id=decision.pack_id,
        pack_version=decision.pack_version,
        reason=decision.reason,
        not_before=decision.not_before,
        timezone_source=decision.timezone_source,
    )


def _kind(notification: Notification) -> NoticeKind:
    return NoticeKind(notification.kind)


def _visit_id(notification: Notification) -> uuid.UUID:
    assert notification.visit_id is not None, "a visit notice names its visit"
    return notification.visit_id


def sent(notification: Notification, channel: str, now: datetime) -> EventData | None:
    kind = _kind(notification)
    if kind is NoticeKind.OVERDUE:
        return NotificationSent(
            case_id=notification.case_id,
            notification_id=notification.id,
            channel=channel,
            trigger_event_id=notification.trigger_event_id,
            sent_at=now,
        )
    if kind is NoticeKind.VISIT_APPOINTMENT:
        return VisitNoticeSent(
            case_id=notification.case_id,
            visit_id=_visit_id(notification),
            notification_id=notification.id,
            channel=channel,
            trigger_event_id=notification.trigger_event_id,
            sent_at=now,
        )
    return None


def failed(notification: Notification, reason: str, now: datetime) -> EventData | None:
    kind = _kind(notification)
    channel = notification.channel or NO_CHANNEL
    if kind is NoticeKind.OVERDUE:
        return NotificationFailed(
            case_id=notification.case_id,
            notification_id=notification.id,
            channel=channel,
            trigger_event_id=notification.trigger_event_id,
            reason=reason,
            failed_at=now,
        )
    if kind is NoticeKind.VISIT_APPOINTMENT:
        return VisitNoticeFailed(
            case_id=notification.case_id,
            visit_id=_visit_id(notification),
            notification_id=notification.id,
            channel=channel,
            trigger_event_id=notification.trigger_event_id,
            reason=reason,
            failed_at=now,
        )
    return None


def deferred(
    notification: Notification, channel: str, decision: Decision, now: datetime
) -> EventData | None:
    if _kind(notification) is not NoticeKind.OVERDUE:
        return None
    return NotificationDeferred(
        case_id=notification.case_id,
        notification_id=notification.id,
        channel=channel,
        trigger_event_id=notification.trigger_event_id,
        decision=decision_facts(decision),
        deferred_at=now,
    )


def suppressed(
    notification: Notification, channel: str, decision: Decision, now: datetime
) -> EventData | None:
    """A refusal by the contact rules; for an appointment notice, a failure naming the rule."""
    if _kind(notification) is NoticeKind.OVERDUE:
        return NotificationSuppressed(
            case_id=notification.case_id,
            notification_id=notification.id,
            channel=channel,
            trigger_event_id=notification.trigger_event_id,
            decision=decision_facts(decision),
            suppressed_at=now,
        )
    return failed(notification, suppression_reason(decision), now)


def delivered(notification: Notification, now: datetime) -> EventData | None:
    if _kind(notification) is not NoticeKind.OVERDUE:
        return None
    return NotificationDelivered(
        case_id=notification.case_id,
        notification_id=notification.id,
        channel=notification.channel or NO_CHANNEL,
        trigger_event_id=notification.trigger_event_id,
        delivered_at=now,
    )


def suppression_reason(decision: Decision) -> str:
    """``<rule id>: <reason>``, as the notice's status reason and a failure event state it."""
    return f"{decision.rule_id}: {decision.reason}"[:500]
