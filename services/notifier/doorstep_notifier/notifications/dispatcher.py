"""Background worker that delivers due notices.

Each round has three steps, so no database transaction stays open across a network call:

1. **Claim** (one short transaction): take due pending rows (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL) and lease them to this dispatcher — a claim token, and ``next_attempt_at``
   pushed past the lease so no other dispatcher takes them meanwhile.
2. **Fetch** the customer's contact data from case-api, outside any transaction.
3. **Complete** (one transaction per notice): lock the row; drop the attempt if the claim was
   lost (lease expired and another dispatcher took over, or the notice was cancelled); cancel
   if the case was resolved or collection paused meanwhile; else render, hand the message to
   the provider, mark it sent and stage its status event — all committed together, so a
   crash at any point leaves either nothing (retried after the lease) or exactly one sent
   message.

Visit notices take the same path. Holds and a resolved case do not cancel them quietly: the
contact rules refuse them, naming the rule, because the scheduler must learn that notice was
not given. An appointment notice also has a deadline, the pack's notice period before the
visit: one that could only go out later fails instead (``visits.notice_period``).
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
from doorstep_notifier.contacts.schemas import Contact, with_refusals
from doorstep_notifier.decisions.service import ContactJudge, DecisionService
from doorstep_notifier.notifications.channels import Destination, choose_destination
from doorstep_notifier.notifications.delivery import DeliveryFailure, DeliveryService, RetryPolicy
from doorstep_notifier.notifications.messages import compose_message
from doorstep_notifier.notifications.models import NoticeKind, Notification, NotificationStatus
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
from doorstep_notifier.visits.notice_period import NoticeDeadline
from doorstep_shared.case_api_contact import ContactNotFoundError, ContactUnavailableError
from doorstep_shared.clock import utc_now
from doorstep_shared.contact_rules import Decision, Outcome, TimezoneUnresolvedError
from doorstep_shared.messaging.backoff import Backoff, sleep_unless_stopped

logger = logging.getLogger(__name__)

CASE_RESOLVED_BEFORE_SENDING = "case resolved before the notice was sent"
NO_CHANNEL_POSSIBLE = "no contact channel: the customer has no phone, e-mail or postal address"
# A visit notice may be sent before the case events reached this notifier (another topic).
NO_CASE_STATE_YET = "no case state from case events yet"
ARRANGEMENT_PAUSES_VISITS = "collection paused (an active arrangement): no visit may be announced"


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


def _deferred_past(decision: Decision, deadline: NoticeDeadline) -> bool:
    return (
        decision.outcome is Outcome.DEFERRED
        and decision.not_before is not None
        and deadline.missed_at(decision.not_before)
    )


def _too_late(decision: Decision, deadline: NoticeDeadline) -> str:
    assert decision.not_before is not None
    return (
        f"{deadline.reason}: the contact rules allow it only from "
        f"{decision.not_before.isoformat()} ({decision.rule_id})"
    )


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
        self._stop_requested = asyncio.Event()
        self._judge = ContactJudge.from_settings(settings)

    def wake(self) -> None:
        """New notices were committed: look now rather than at the next poll."""
        self._wakeup.set()

    def request_stop(self) -> None:
        """Finish the round in hand, then return. Cancelled mid-round, a notice the provider
        already took would be rolled back to pending and sent again after the restart."""
        self._stop_requested.set()
        self._wakeup.set()

    async def run(self) -> None:
        backoff = Backoff(maximum=10.0)
        while not self._stop_requested.is_set():
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
                await sleep_unless_stopped(self._stop_requested, delay)
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
        if NoticeKind(notification.kind).about_a_visit:
            return notification  # the contact rules judge holds and resolution (see _send)
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
        deadline: NoticeDeadline | None = None
        if NoticeKind(notification.kind).about_a_visit:
            refusal, deadline = await self._check_visit_notice(session, notification, now)
            if refusal is not None:
                failed = await delivery.record_failure(notification, refusal, now)
                self._log_failure(notification, refusal, failed)
                return failed
        opted_out = await OptOutRepository(session).channels(notification.case_id)
        contact = with_refusals(contact, opted_out)
        destination = choose_destination(contact)
        if destination is None:
            failure = DeliveryFailure(NO_CHANNEL_POSSIBLE, permanent=True)
            failed = await delivery.record_failure(notification, failure, now)
            self._log_failure(notification, failure, failed)
            return failed
        ruled = await self._apply_contact_rules(
            session, notification, contact, destination, now, deadline
        )
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

    async def _check_visit_notice(
        self, session: AsyncSession, notification: Notification, now: datetime
    ) -> tuple[DeliveryFailure | None, NoticeDeadline | None]:
        """Why a visit notice cannot go out now (None: it may), and an appointment's deadline.

        The pack is the case's product's; a notice queued before the case view knew the
        product takes it from the view now.
        """
        case = await CaseViewRepository(session).get(notification.case_id)
        if case is None:
            return DeliveryFailure(NO_CASE_STATE_YET, permanent=False), None
        if notification.product is None:
            notification.product = case.product
        if notification.kind != NoticeKind.VISIT_APPOINTMENT:
            return None, None
        assert notification.window_start is not None, "an appointment notice has its window"
        deadline = NoticeDeadline.of(
            self._judge.pack_for(notification.product), notification.window_start
        )
        if deadline.missed_at(now):
            return DeliveryFailure(deadline.reason, permanent=True), deadline
        if case.collection_paused and not case.holds:
            return DeliveryFailure(ARRANGEMENT_PAUSES_VISITS, permanent=True), deadline
        return None, deadline

    async def _apply_contact_rules(
        self,
        session: AsyncSession,
        notification: Notification,
        contact: Contact,
        destination: Destination,
        now: datetime,
        deadline: NoticeDeadline | None = None,
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
        decisions = DecisionService(session, self._settings.event_source)
        if deadline is not None and _deferred_past(decision, deadline):
            decisions.log(notification, destination.channel, decision, now)
            failure = DeliveryFailure(_too_late(decision, deadline), permanent=True)
            failed = await self._delivery(session).record_failure(
                notification, failure, now, channel=destination.channel
            )
            self._log_failure(notification, failure, failed)
            return failed
        staged = await decisions.record(notification, destination.channel, decision, now)
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
