"""Background worker that delivers due notices.

Each round has three steps, so no database transaction stays open across a network call:

1. **Claim** (one short transaction): take due pending rows (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL) and lease them to this dispatcher — a claim token, and ``next_attempt_at``
   pushed past the lease so no other dispatcher takes them meanwhile.
2. **Fetch** the customer's contact data from case-api, outside any transaction.
3. **Complete** (one transaction per notice): lock the row; drop the attempt if the claim was
   lost (lease expired and another dispatcher took over, or the notice was cancelled); cancel
   if the case was resolved or collection paused meanwhile; else render, hand the message to
   the provider, mark it sent and stage ``NotificationSent`` — all committed together, so a
   crash at any point leaves either nothing (retried after the lease) or exactly one sent
   message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_notifier.cases.models import CaseView
from doorstep_notifier.cases.repository import CaseViewRepository
from doorstep_notifier.contacts.client import ContactSource
from doorstep_notifier.contacts.exceptions import ContactNotFoundError, ContactUnavailableError
from doorstep_notifier.contacts.schemas import Contact, with_refusals
from doorstep_notifier.decisions.service import ContactJudge, DecisionService
from doorstep_notifier.notifications.channels import Destination, choose_destination
from doorstep_notifier.notifications.delivery import DeliveryFailure, DeliveryService, RetryPolicy
from doorstep_notifier.notifications.messages import compose_message
from doorstep_notifier.notifications.models import Notification, NotificationStatus
from doorstep_notifier.notifications.rendering import BankDetails
from doorstep_notifier.notifications.repository import NotificationRepository
from doorstep_notifier.notifications.service import pause_reason
from doorstep_notifier.opt_outs.repository import OptOutRepository
from doorstep_notifier.providers.base import (
    ChannelProvider,
    MessageRejectedError,
    ProviderUnavailableError,
)
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.clock import utc_now
from doorstep_shared.contact_rules import Outcome, TimezoneUnresolvedError
from doorstep_shared.messaging.backoff import Backoff

logger = logging.getLogger(__name__)

CASE_RESOLVED_BEFORE_SENDING = "case resolved before the notice was sent"
NO_CHANNEL_POSSIBLE = "no contact channel: the customer has no phone, e-mail or postal address"


def _reason_not_to_send(case: CaseView) -> str | None:
    """Why a notice must not go out now, by the newest case state; None to send it.

    The case event that resolved or paused the case cancels pending notices at once, but a
    dispatcher may have claimed one just before: this check closes that window.
    """
    if case.status == "resolved":
        return CASE_RESOLVED_BEFORE_SENDING
    if case.holds:
        return f"{pause_reason(case.holds)} placed before the notice was sent"
    if case.collection_paused:
        return f"{pause_reason(())} before the notice was sent"
    return None


@dataclass(frozen=True, slots=True)
class Claim:
    notification_id: uuid.UUID
    case_id: uuid.UUID
    token: str


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        contacts: ContactSource,
        provider: ChannelProvider,
        settings: NotifierSettings,
        *,
        on_outbox_rows: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._contacts = contacts
        self._provider = provider
        self._settings = settings
        self._policy = RetryPolicy.from_settings(settings)
        self._on_outbox_rows = on_outbox_rows
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._judge = ContactJudge.from_settings(settings)

    def wake(self) -> None:
        """New notices were committed: look now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        backoff = Backoff(maximum=10.0)
        while True:
            try:
                handled = await self.dispatch_due()
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.next_delay()
                logger.warning(
                    "dispatcher paused",
                    extra={"error": type(exc).__name__, "retry_in_s": round(delay, 2)},
                )
                await asyncio.sleep(delay)
                continue
            if handled < self._settings.dispatch_batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wakeup.wait(), self._settings.dispatch_poll_interval_seconds
                    )
                self._wakeup.clear()

    async def dispatch_due(self) -> int:
        """One round: claim due notices and attempt each once. Returns how many were claimed."""
        claims = await self._claim()
        if claims:
            staged = await asyncio.gather(*(self._attempt(claim) for claim in claims))
            if any(staged):
                self._on_outbox_rows()
        return len(claims)

    async def _claim(self) -> list[Claim]:
        now = self._clock()
        token = str(uuid.uuid4())
        async with self._sessionmaker() as session, session.begin():
            rows = await NotificationRepository(session).claim_due(
                now=now,
                limit=self._settings.dispatch_batch_size,
                token=token,
                lease_until=now + timedelta(seconds=self._settings.dispatch_lease_seconds),
            )
        return [Claim(notification_id, case_id, token) for notification_id, case_id in rows]

    async def _attempt(self, claim: Claim) -> bool:
        """Deliver one claimed notice; True when a status event was staged in the outbox."""
        try:
            return await self._deliver(claim)
        except Exception as exc:
            # Our own bug or a database error. The traceback is logged without the exception
            # message, which may quote SQL parameters (recipient, body).
            logger.error(
                "notification attempt failed unexpectedly",
                extra={
                    "notification_id": str(claim.notification_id),
                    "case_id": str(claim.case_id),
                    "error": type(exc).__name__,
                    "trace": "".join(traceback.format_tb(exc.__traceback__)),
                },
            )
            failure = DeliveryFailure(f"internal error ({type(exc).__name__})", permanent=False)
            try:
                return await self._complete_with_failure(claim, failure)
            except Exception as second:
                # The lease runs out and a later round retries the notice.
                logger.warning(
                    "could not record the failed attempt",
                    extra={
                        "notification_id": str(claim.notification_id),
                        "error": type(second).__name__,
                    },
                )
                return False

    async def _deliver(self, claim: Claim) -> bool:
        try:
            contact = await self._contacts.fetch(claim.case_id)
        except ContactNotFoundError as exc:
            return await self._complete_with_failure(claim, DeliveryFailure(str(exc), True))
        except ContactUnavailableError as exc:
            return await self._complete_with_failure(claim, DeliveryFailure(str(exc), False))
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            notification = await self._reclaim(session, claim, now)
            if notification is None:
                return False
            return await self._send(session, notification, contact, now)

    async def _complete_with_failure(self, claim: Claim, failure: DeliveryFailure) -> bool:
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            notification = await self._reclaim(session, claim, now)
            if notification is None:
                return False
            failed = await self._delivery(session).record_failure(notification, failure, now)
        self._log_failure(notification, failure, failed)
        return failed

    async def _reclaim(
        self, session: AsyncSession, claim: Claim, now: datetime
    ) -> Notification | None:
        """The claimed notice, locked, if it is still ours to send and its case still open."""
        notification = await NotificationRepository(session).lock(claim.notification_id)
        if (
            notification is None
            or notification.status != NotificationStatus.PENDING
            or notification.claim_token != claim.token
        ):
            logger.info(
                "claim lost; another dispatcher or a case event took the notice",
                extra={"notification_id": str(claim.notification_id)},
            )
            return None
        case = await CaseViewRepository(session).get(notification.case_id)
        reason = None if case is None else _reason_not_to_send(case)
        if reason is not None:
            self._delivery(session).cancel(notification, reason, now)
            logger.info(
                "notification cancelled before sending",
                extra={
                    "notification_id": str(notification.id),
                    "case_id": str(notification.case_id),
                    "reason": reason,
                },
            )
            return None
        return notification

    async def _send(
        self, session: AsyncSession, notification: Notification, contact: Contact, now: datetime
    ) -> bool:
        delivery = self._delivery(session)
        opted_out = await OptOutRepository(session).channels(notification.case_id)
        contact = with_refusals(contact, opted_out)
        destination = choose_destination(contact)
        if destination is None:
            failure = DeliveryFailure(NO_CHANNEL_POSSIBLE, permanent=True)
            failed = await delivery.record_failure(notification, failure, now)
            self._log_failure(notification, failure, failed)
            return failed
        ruled = await self._apply_contact_rules(session, notification, contact, destination, now)
        if ruled is not None:
            return ruled
        message = compose_message(
            notification,
            contact,
            destination,
            bank=BankDetails.from_settings(self._settings),
            supports_language=self._provider.supports_language,
        )
        try:
            # A savepoint: whatever a failing provider wrote is undone, the attempt is kept.
            async with session.begin_nested():
                delivered = await self._provider.send(session, message)
        except (ProviderUnavailableError, MessageRejectedError) as exc:
            failure = DeliveryFailure(
                f"provider {self._provider.name}: {exc}",
                permanent=isinstance(exc, MessageRejectedError),
            )
            failed = await delivery.record_failure(
                notification, failure, now, channel=destination.channel
            )
            self._log_failure(notification, failure, failed)
            return failed
        await delivery.mark_sent(notification, destination.channel, delivered, now)
        logger.info(
            "notification sent",
            extra={
                "notification_id": str(notification.id),
                "case_id": str(notification.case_id),
                "channel": destination.channel,
                "language": message.language,
                "provider": delivered.provider,
            },
        )
        return True

    async def _apply_contact_rules(
        self,
        session: AsyncSession,
        notification: Notification,
        contact: Contact,
        destination: Destination,
        now: datetime,
    ) -> bool | None:
        """None when the rules allow sending now; else whether a status event was staged."""
        case = await CaseViewRepository(session).get(notification.case_id)
        try:
            decision = await self._judge.judge(
                session, notification, case, contact, destination.channel, now
            )
        except TimezoneUnresolvedError as exc:
            # Without a zone no hour can be judged lawful: never guess.
            failure = DeliveryFailure(str(exc), permanent=True)
            failed = await self._delivery(session).record_failure(
                notification, failure, now, channel=destination.channel
            )
            self._log_failure(notification, failure, failed)
            return failed
        staged = await DecisionService(session, self._settings.event_source).record(
            notification, destination.channel, decision, now
        )
        if decision.outcome is Outcome.ALLOWED:
            return None
        logger.info(
            f"notification {decision.outcome.value}",
            extra={
                "notification_id": str(notification.id),
                "case_id": str(notification.case_id),
                "rule_id": decision.rule_id,
                "pack": f"{decision.pack_id}@{decision.pack_version}",
                "not_before": decision.not_before.isoformat() if decision.not_before else None,
            },
        )
        return staged

    def _delivery(self, session: AsyncSession) -> DeliveryService:
        return DeliveryService(
            session, event_source=self._settings.event_source, policy=self._policy
        )

    @staticmethod
    def _log_failure(notification: Notification, failure: DeliveryFailure, failed: bool) -> None:
        logger.warning(
            "notification failed" if failed else "notification attempt failed; will retry",
            extra={
                "notification_id": str(notification.id),
                "case_id": str(notification.case_id),
                "attempts": notification.attempts,
                "reason": failure.reason,
                "next_attempt_at": None if failed else notification.next_attempt_at.isoformat(),
            },
        )
